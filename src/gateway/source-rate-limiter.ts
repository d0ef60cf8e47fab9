import { sourceKey } from '../core/identity/source.js';
import type { RateUsageExchange, UsageReport } from '../core/rate-usage-exchange.js';
import { admitShared, shareFromExchange, utcDay, type ClusterShare } from '../core/shared-rate-limit.js';
import type { StreamOrigin } from '../core/store.js';
import { budgetIsFresh, type RateLimitPolicy, type SourceBudget } from '../core/token-bucket.js';

export interface SourceRateLimiter {
  /** How many of `count` events from this origin to take now. */
  admit(origin: StreamOrigin, count: number): number;
  /** Stops the background exchange (shared limits) and sends its last counts. Idempotent. */
  close(): Promise<void>;
}

export interface SharedLimitsOptions {
  /** The store the replicas exchange their per-source counts through. */
  usage: RateUsageExchange;
  /** Between exchanges; default 1 s. */
  intervalMs?: number;
  /** Exchanges failing this long: back to this replica's own limits; default 5 s. */
  staleAfterMs?: number;
  /** Told of a failed exchange at most once a minute (with how many failed since). */
  warn(failures: number, error: unknown): void;
}

/** Budgets kept before idle ones are forgotten. */
const SWEEP_ABOVE = 50_000;
const WARN_EVERY_MS = 60_000;

interface SourceState {
  budget: SourceBudget | undefined;
  share: ClusterShare | undefined;
  /** Admitted since the last exchange that counted them. */
  unreported: number;
  /** Asked since the last exchange (it then reports the source, even with nothing admitted: it is active here). */
  asked: boolean;
}

/**
 * One budget per source (`sourceKey`: instance and license, or service and
 * environment, as the per-source stream cap counts them). Alone, in memory on
 * this replica; with `shared`, cluster-wide through a shared store, approximately
 * (src/core/shared-rate-limit.ts): `admit` stays synchronous and local, and an
 * exchange in the background (one round trip per interval for every source
 * asked since the last) reports this replica's counts and reads the others'.
 */
export function createSourceRateLimiter(
  policy: RateLimitPolicy,
  options: { now?: () => number; shared?: SharedLimitsOptions } = {},
): SourceRateLimiter | undefined {
  if (policy.eventsPerSecond <= 0 && policy.dailyQuota <= 0) return undefined;
  const now = options.now ?? Date.now;
  const shared = options.shared;
  const intervalMs = shared?.intervalMs ?? 1_000;
  const staleAfterMs = shared?.staleAfterMs ?? 5_000;
  // A quota share is an allowance until the next exchange: one that outlived a few (the source was idle
  // here) no longer says what the cluster has left, and is renewed before anything more is admitted.
  const renewAfterMs = 3 * intervalMs;
  const sources = new Map<string, SourceState>();

  let closed = false;
  let running: Promise<void> | undefined;
  /** The last exchange failed: sources without a share are not held (see admitShared). */
  let failing = false;
  let failures = 0;
  let lastWarnMs = Number.NEGATIVE_INFINITY;

  const exchange = async (): Promise<void> => {
    if (!shared) return;
    const day = utcDay(now());
    const reports: UsageReport[] = [];
    for (const [key, state] of sources) {
      if (!state.asked && state.unreported === 0) continue;
      reports.push({ sourceKey: key, admitted: state.unreported });
      state.asked = false;
      state.unreported = 0;
    }
    if (reports.length === 0) return;
    let others;
    try {
      others = await shared.usage.exchange(day, reports);
    } catch (error) {
      failing = true;
      // Not counted: report them again next time.
      for (const report of reports) {
        const state = sources.get(report.sourceKey);
        if (state) state.unreported += report.admitted;
      }
      failures++;
      const nowMs = now();
      if (nowMs - lastWarnMs >= WARN_EVERY_MS) {
        lastWarnMs = nowMs;
        shared.warn(failures, error);
        failures = 0;
      }
      return;
    }
    failing = false;
    const nowMs = now();
    for (const { sourceKey: key } of reports) {
      const state = sources.get(key);
      if (!state) continue;
      const ownUsed = state.budget !== undefined && state.budget.day === day ? state.budget.usedToday : 0;
      state.share = shareFromExchange(policy, others.get(key) ?? { activeReplicas: 0, usedToday: 0 }, ownUsed, day, nowMs);
    }
  };
  const tick = (): void => {
    if (closed || running) return;
    running = exchange().finally(() => (running = undefined));
  };
  const timer = shared ? setInterval(tick, intervalMs) : undefined;
  timer?.unref();
  // A held source (admitShared) asks for the next exchange now rather than at the next interval.
  let soon: NodeJS.Immediate | undefined;
  const exchangeSoon = (): void => {
    soon ??= setImmediate(() => {
      soon = undefined;
      if (running) void running.then(tick);
      else tick();
    });
  };

  let closing: Promise<void> | undefined;
  return {
    admit(origin, count) {
      const key = sourceKey(origin.source);
      const nowMs = now();
      let state = sources.get(key);
      if (!state) sources.set(key, (state = { budget: undefined, share: undefined, unreported: 0, asked: false }));
      const hold =
        shared !== undefined &&
        !failing &&
        policy.dailyQuota > 0 &&
        (state.share === undefined || state.share.day !== utcDay(nowMs) || nowMs - state.share.syncedAtMs > renewAfterMs);
      const { admitted, budget } = admitShared(state.budget, count, nowMs, policy, state.share, staleAfterMs, hold);
      if (hold) exchangeSoon();
      state.budget = budget;
      state.asked = true;
      state.unreported += admitted;
      if (sources.size > SWEEP_ABOVE) {
        for (const [k, s] of sources) {
          if (s.unreported === 0 && !s.asked && s.budget !== undefined && budgetIsFresh(s.budget, nowMs, policy)) sources.delete(k);
        }
      }
      return admitted;
    },
    close() {
      closed = true;
      if (timer) clearInterval(timer);
      if (soon) clearImmediate(soon);
      // The last counts go out, so the others see this replica's use of the day.
      return (closing ??= (async () => {
        await running;
        await exchange().catch(() => {});
        await shared?.usage.close();
      })());
    },
  };
}
