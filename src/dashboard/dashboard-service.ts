import type { DashboardQueries, FeatureActionCount, InstanceSummary, MinuteSummary, RejectedDetail, RejectedFilter, RejectedSummary } from '../core/dashboard-queries.js';
import type { EventStore } from '../core/store.js';
import type { FigureSource, Overview } from './api-types.js';
import { cached } from './cached.js';
import type { LiveStats } from './live-stats.js';
import { createMinuteHistory, MINUTE_MS, type ClosedMinutes } from './minute-history.js';
import { OUTCOMES, type OutcomeCounts } from './minute-series.js';

export const DAY_MS = 24 * 60 * MINUTE_MS;
const CHART_MINUTES = 60;
const TOP_PAIRS = 10;

export interface DashboardServiceOptions {
  store: EventStore;
  live: LiveStats;
  /** Store-backed aggregates; without them every figure comes from the live counters (since start). */
  queries: DashboardQueries | undefined;
  /** How long the instances list and store health are reused, so many open dashboards cost the store one query. */
  cacheMs?: number;
  now?: () => number;
}

/** The figures behind the dashboard's /api answers (the HTTP adapter shapes them into api-types.ts). */
export interface DashboardService {
  overview(): Promise<Overview>;
  /** Instances and services seen in the last 24 h. */
  instances(): Promise<{ instances: InstanceSummary[]; source: FigureSource }>;
  rejected(filter: RejectedFilter): Promise<{ rejected: RejectedSummary[]; source: FigureSource }>;
  rejectedEvent(seq: number): Promise<RejectedDetail | undefined>;
}

/**
 * The JSON the pages and scripts read (`/api/...`). With store queries,
 * closed minutes come from the store (every replica's writes, across
 * restarts) and the open minutes from this gateway's counters, or, when
 * other replicas write the store too (`sharedByReplicas`), from the store as
 * well (a short cache), so every replica shows the same; duplicates,
 * retryable failures and rate-limited events, which no store keeps, always
 * come from the counters.
 */
export function createDashboardService(options: DashboardServiceOptions): DashboardService {
  const { store, live, queries } = options;
  const now = options.now ?? Date.now;
  const cacheMs = options.cacheMs ?? 5_000;

  const history = queries ? createMinuteHistory(queries) : undefined;
  // Counting each instance's last 24 h is the dearest query: reuse it longer than the rest.
  const storeInstances = cached(cacheMs * 2, () => queries!.instances(now() - DAY_MS));
  const storeHealth = cached(Math.min(cacheMs, 2_000), () => store.health());
  // The minute before this one and this one: covers every minute `history` still calls open.
  const openMinutes = queries?.sharedByReplicas
    ? cached(Math.min(cacheMs, 2_000), () => {
        const minuteMs = Math.floor(now() / MINUTE_MS) * MINUTE_MS;
        return queries.minuteSummaries(minuteMs - MINUTE_MS, minuteMs + MINUTE_MS);
      })
    : undefined;

  return {
    async overview(): Promise<Overview> {
      const [closed, openFromStore, health] = await Promise.all([
        history?.closed(now()).catch(() => undefined),
        openMinutes?.().catch(() => undefined),
        storeHealth(),
      ]);
      const open = closed && openFromStore ? openFromStore.filter((m) => m.minuteMs >= closed.openFromMs) : undefined;
      const window = live.perMinute(CHART_MINUTES);
      const firstMinuteMs = window[0]!.startMs;
      const fromStore = new Map([...(closed?.minutes ?? []), ...(open ?? [])].map((m) => [m.minuteMs, m]));
      const perMinute = window.map(({ startMs, counts }) => {
        const stored = closed && (startMs < closed.openFromMs || open) ? (fromStore.get(startMs) ?? { stored: 0, rejected: 0 }) : undefined;
        return { minuteMs: startMs, ...counts, ...(stored ? { stored: stored.stored, rejected: stored.rejected } : {}) };
      });
      return {
        generatedAtMs: now(),
        startedAtMs: live.startedAtMs,
        eventsPerSecond: live.ratePerSecond(),
        openStreams: live.openStreams(),
        totalsSinceStart: live.totals(),
        lastHour: sumOutcomes(perMinute),
        perMinute,
        perMinuteSource: closed ? 'store' : 'memory',
        topFeatureActions: topPairs(closed, open, firstMinuteMs),
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

    async rejectedEvent(seq: number): Promise<RejectedDetail | undefined> {
      if (queries) return queries.rejectedEvent(seq);
      return live.rejected().find((r) => r.seq === seq);
    },
  };

  /** The hour's most stored pairs: closed minutes from the store when it can say, open ones from the store when shared, else the counters. */
  function topPairs(closed: ClosedMinutes | undefined, open: MinuteSummary[] | undefined, firstMinuteMs: number): FeatureActionCount[] {
    const merged = new Map<string, FeatureActionCount>();
    const add = (pair: FeatureActionCount): void => {
      const key = `${pair.feature}\u0000${pair.action}`;
      const sum = merged.get(key);
      if (sum) sum.events += pair.events;
      else merged.set(key, { ...pair });
    };
    for (const minute of closed?.minutes ?? []) if (minute.minuteMs >= firstMinuteMs) minute.pairs.forEach(add);
    if (open) for (const minute of open) minute.pairs.forEach(add);
    else live.pairsSince(closed ? closed.openFromMs : firstMinuteMs).forEach(add);
    return [...merged.values()]
      .sort((a, b) => b.events - a.events || a.feature.localeCompare(b.feature) || a.action.localeCompare(b.action))
      .slice(0, TOP_PAIRS);
  }
}

function sumOutcomes(minutes: readonly OutcomeCounts[]): OutcomeCounts {
  const sum = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as OutcomeCounts;
  for (const minute of minutes) for (const o of OUTCOMES) sum[o] += minute[o];
  return sum;
}
