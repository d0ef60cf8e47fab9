import type { DashboardQueries, MinuteSummary } from '../core/dashboard-queries.js';

export const MINUTE_MS = 60_000;

export interface MinuteHistoryOptions {
  /** Minutes of history kept (the chart's hour). */
  keepMinutes?: number;
  /**
   * How long after a minute ends its rows are taken to be all written (the
   * store stamps rows when it commits them, within milliseconds).
   */
  settleMs?: number;
}

export interface ClosedMinutes {
  /** Minutes before this one are closed and come from the store; this one and later are open. */
  openFromMs: number;
  minutes: MinuteSummary[];
}

/**
 * The store's per-minute figures, fetched once per minute: a closed minute
 * cannot change, so each poll only asks the store for minutes that closed
 * since the last one. Store work is then proportional to what was ingested,
 * not to how often or how many dashboards poll. The open minutes come from the
 * live counters instead.
 */
export function createMinuteHistory(queries: DashboardQueries, options: MinuteHistoryOptions = {}) {
  const keep = options.keepMinutes ?? 60;
  const settleMs = options.settleMs ?? 5_000;
  const minutes = new Map<number, MinuteSummary>();
  let coveredUntilMs = 0;
  let pending: Promise<void> | undefined;

  const catchUp = async (openFromMs: number): Promise<void> => {
    const fromMs = Math.max(coveredUntilMs, openFromMs - keep * MINUTE_MS);
    if (fromMs >= openFromMs) return;
    for (const minute of await queries.minuteSummaries(fromMs, openFromMs)) minutes.set(minute.minuteMs, minute);
    coveredUntilMs = openFromMs;
    for (const minuteMs of minutes.keys()) if (minuteMs < openFromMs - keep * MINUTE_MS) minutes.delete(minuteMs);
  };

  return {
    async closed(nowMs: number): Promise<ClosedMinutes> {
      const openFromMs = Math.floor((nowMs - settleMs) / MINUTE_MS) * MINUTE_MS;
      // One catch-up at a time: concurrent polls wait for it instead of querying again.
      while (coveredUntilMs < openFromMs) {
        pending ??= catchUp(openFromMs).finally(() => (pending = undefined));
        await pending;
      }
      return { openFromMs, minutes: [...minutes.values()].filter((m) => m.minuteMs < openFromMs).sort((a, b) => a.minuteMs - b.minuteMs) };
    },
  };
}
