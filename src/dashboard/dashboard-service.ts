import type { DashboardQueries, InstanceSummary, RejectedFilter, RejectedSummary } from '../core/dashboard-queries.js';
import type { EventStore } from '../core/store.js';
import type { LiveStats } from './live-stats.js';
import { OUTCOMES, type OutcomeCounts } from './minute-series.js';
import { cached } from './cached.js';

export const HOUR_MS = 60 * 60_000;
export const DAY_MS = 24 * HOUR_MS;

export interface DashboardServiceOptions {
  store: EventStore;
  live: LiveStats;
  /** Store-backed aggregates; without them every figure comes from the live counters (since start). */
  queries: DashboardQueries | undefined;
  /** How long aggregate answers are reused, so many open dashboards cost the store one query. */
  cacheMs?: number;
  now?: () => number;
}

/** Where a figure came from: the store (every replica, survives restarts) or this process's counters. */
export type FigureSource = 'store' | 'memory';

/**
 * The JSON the pages and scripts read (`/api/...`): store aggregates where the
 * store can answer them, live counters for "now" and for the outcomes a store
 * does not keep (duplicates, retryable failures, rate-limited events).
 */
export function createDashboardService(options: DashboardServiceOptions) {
  const { store, live, queries } = options;
  const now = options.now ?? Date.now;
  const cacheMs = options.cacheMs ?? 2_000;

  const storedMinutes = cached(cacheMs, () => queries!.minuteCounts(now() - HOUR_MS));
  const topPairs = cached(cacheMs, () => queries!.topFeatureActions(now() - HOUR_MS, 10));
  const storeInstances = cached(cacheMs, () => queries!.instances(now() - DAY_MS));
  const storeHealth = cached(cacheMs, () => store.health());

  return {
    async overview() {
      const [minutes, top, health] = await Promise.all([
        queries ? storedMinutes().catch(() => undefined) : undefined,
        queries ? topPairs().catch(() => undefined) : undefined,
        storeHealth(),
      ]);
      const fromStore = new Map((minutes ?? []).map((m) => [m.minuteMs, m]));
      const perMinute = live.perMinute(60).map(({ startMs, counts }) => {
        const stored = fromStore.get(startMs);
        return {
          minuteMs: startMs,
          ...counts,
          ...(minutes ? { stored: stored?.stored ?? 0, rejected: stored?.rejected ?? 0 } : {}),
        };
      });
      return {
        generatedAtMs: now(),
        startedAtMs: live.startedAtMs,
        eventsPerSecond: live.ratePerSecond(),
        openStreams: live.openStreams(),
        totalsSinceStart: live.totals(),
        lastHour: sumOutcomes(perMinute),
        perMinute,
        perMinuteSource: (minutes ? 'store' : 'memory') as FigureSource,
        topFeatureActions: top ?? live.topFeatureActions(10),
        topFeatureActionsSource: (top ? 'store' : 'memory') as FigureSource,
        store: {
          description: store.description,
          ...(health.ok ? { ok: true, probeLatencyMs: health.latencyMs } : { ok: false, reason: health.reason }),
          writeLatencyMs: live.writeLatencyMs() ?? null,
        },
      };
    },

    async instances(): Promise<{ instances: InstanceSummary[]; source: FigureSource }> {
      const fromStore = queries ? await storeInstances().catch(() => undefined) : undefined;
      return fromStore ? { instances: fromStore, source: 'store' } : { instances: live.instances(), source: 'memory' };
    },

    async rejected(filter: RejectedFilter): Promise<{ rejected: RejectedSummary[]; source: FigureSource }> {
      if (queries) return { rejected: await queries.rejected(filter), source: 'store' };
      const rows = live
        .rejected()
        .filter(
          (r) =>
            (filter.beforeSeq === undefined || r.seq < filter.beforeSeq) &&
            (!filter.feature || r.feature === filter.feature) &&
            (!filter.action || r.action === filter.action) &&
            (!filter.publisher || r.publisher === filter.publisher) &&
            (!filter.reason || r.reason.toLowerCase().includes(filter.reason.toLowerCase())),
        )
        .slice(0, filter.limit)
        .map(({ eventBytes: _e, metadataBytes: _m, ...row }) => row);
      return { rejected: rows, source: 'memory' };
    },

    async rejectedEvent(seq: number) {
      if (queries) return queries.rejectedEvent(seq);
      return live.rejected().find((r) => r.seq === seq);
    },
  };
}

export type DashboardService = ReturnType<typeof createDashboardService>;

function sumOutcomes(minutes: readonly OutcomeCounts[]): OutcomeCounts {
  const sum = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as OutcomeCounts;
  for (const minute of minutes) for (const o of OUTCOMES) sum[o] += minute[o];
  return sum;
}
