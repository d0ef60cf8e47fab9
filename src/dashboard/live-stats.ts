import type { FeatureActionCount, InstanceSummary, RejectedDetail } from '../core/dashboard-queries.js';
import { sourceKey, type Source } from '../core/identity/source.js';
import type { StoreEntry, StreamOrigin, WriteOutcome } from '../core/store.js';
import { createBucketSeries, zeroCounts, type Outcome, type OutcomeCounts } from './minute-series.js';
import { serverVersionOf } from '../core/server-version.js';

export interface LiveStatsOptions {
  /** Distinct instances, and feature/action pairs per minute, remembered; more are counted in totals only. */
  maxKeys?: number;
  /** Newest rejected events kept for stores the dashboard cannot query. */
  maxRejected?: number;
  now?: () => number;
}

/**
 * In-memory figures from the ingest observer: the "now" numbers (events/s,
 * open streams, write latency), the outcomes a store does not keep (duplicates,
 * retryable failures, rate-limited), and a bounded fallback for stores without
 * dashboard queries. Each observation is O(entries) counter updates: no
 * decoding on the ingest path except one event per instance per minute, for
 * its server version.
 */
export function createLiveStats(options: LiveStatsOptions = {}) {
  const maxKeys = options.maxKeys ?? 10_000;
  const maxRejected = options.maxRejected ?? 200;
  const now = options.now ?? Date.now;
  const startedAtMs = now();
  const minutes = createBucketSeries(60_000, 61);
  const seconds = createBucketSeries(1_000, 12);
  const totals = zeroCounts();
  /** Stored feature/action pairs per minute, newest 61 minutes. */
  const pairMinutes = new Map<number, MinutePairs>();
  const instances = new Map<string, InstanceSummary & { versionCheckedMs: number }>();
  const rejected: RejectedDetail[] = [];
  const writeMs: number[] = [];
  let nextRejectedSeq = 1;
  let openStreams = 0;

  const count = (at: number, outcome: Outcome, n: number): void => {
    minutes.add(at, outcome, n);
    seconds.add(at, outcome, n);
    totals[outcome] += n;
  };

  const instanceFor = (source: Source, at: number) => {
    const key = sourceKey(source);
    let seen = instances.get(key);
    if (!seen && instances.size < maxKeys) {
      seen = { source, serverVersions: [], firstSeenMs: at, lastSeenMs: at, eventsSince: 0, rejectedSince: 0, versionCheckedMs: 0 };
      instances.set(key, seen);
    }
    return seen;
  };

  return {
    observer: {
      streamStarted(): void {
        openStreams++;
      },
      streamIdentified(origin: StreamOrigin): void {
        instanceFor(origin.source, now());
      },
      streamEnded(): void {
        openStreams = Math.max(0, openStreams - 1);
      },
      payloadRecorded(origin: StreamOrigin, entries: readonly StoreEntry[], outcomes: readonly WriteOutcome[], ms: number): void {
        const at = now();
        const payload = zeroCounts();
        entries.forEach((entry, i) => {
          const status = outcomes[i]?.status ?? 'retryable';
          const outcome: Outcome = status === 'retryable' ? 'retryable' : entry.kind === 'rejected' ? 'rejected' : status;
          payload[outcome]++;
          if (outcome === 'stored' && entry.kind === 'event') countPair(at, entry.feature, entry.action);
          if (outcome === 'rejected' && entry.kind === 'rejected') keepRejected(origin, entry, at);
        });
        for (const [outcome, n] of Object.entries(payload) as [Outcome, number][]) if (n > 0) count(at, outcome, n);
        writeMs.push(ms);
        if (writeMs.length > 200) writeMs.splice(0, writeMs.length - 100);
        const seen = instanceFor(origin.source, at);
        if (seen) {
          seen.source = origin.source;
          seen.lastSeenMs = at;
          seen.eventsSince += payload.stored + payload.duplicate;
          seen.rejectedSince += payload.rejected;
          const first = entries.find((e) => e.kind === 'event');
          if (first && at - seen.versionCheckedMs > 60_000) {
            seen.versionCheckedMs = at;
            const version = serverVersionOf(first.bytes);
            if (version && !seen.serverVersions.includes(version)) seen.serverVersions = [...seen.serverVersions, version].sort();
          }
        }
      },
      privacyEnforced(): void {},
      rateLimited(_origin: StreamOrigin, events: number): void {
        count(now(), 'rateLimited', events);
      },
    },

    /** Events per second over the last ten whole seconds, by outcome. */
    ratePerSecond(): OutcomeCounts {
      const window = seconds.window(now(), 11).slice(0, 10);
      const rate = zeroCounts();
      for (const { counts } of window) for (const key of Object.keys(rate) as Outcome[]) rate[key] += counts[key] / 10;
      return rate;
    },
    /** The last `count` minutes, oldest first. */
    perMinute: (count: number) => minutes.window(now(), count),
    totals: (): OutcomeCounts => ({ ...totals }),
    startedAtMs,
    openStreams: () => openStreams,
    /** Median and maximum of the last store writes, in ms. */
    writeLatencyMs(): { p50: number; max: number } | undefined {
      if (writeMs.length === 0) return undefined;
      const sorted = [...writeMs].sort((a, b) => a - b);
      return { p50: sorted[Math.floor(sorted.length / 2)]!, max: sorted[sorted.length - 1]! };
    },
    /** Stored feature/action pairs of the minutes starting at or after `fromMs`, merged. */
    pairsSince(fromMs: number): FeatureActionCount[] {
      const merged = new Map<string, FeatureActionCount>();
      for (const [minuteMs, pairs] of pairMinutes) {
        if (minuteMs < fromMs) continue;
        for (const actions of pairs.byFeature.values()) {
          for (const pair of actions.values()) {
            const key = `${pair.feature}\u0000${pair.action}`;
            const sum = merged.get(key);
            if (sum) sum.events += pair.events;
            else merged.set(key, { ...pair });
          }
        }
      }
      return [...merged.values()];
    },
    instances: (): InstanceSummary[] =>
      [...instances.values()]
        .map(({ versionCheckedMs: _, ...row }) => ({ ...row }))
        .sort((a, b) => b.lastSeenMs - a.lastSeenMs),
    /** Newest first. */
    rejected: (): readonly RejectedDetail[] => rejected,
  };

  function countPair(at: number, feature: string, action: string): void {
    const minuteMs = at - (at % 60_000);
    let pairs = pairMinutes.get(minuteMs);
    if (!pairs) {
      pairMinutes.set(minuteMs, (pairs = { size: 0, byFeature: new Map() }));
      for (const oldest of pairMinutes.keys()) {
        if (pairMinutes.size <= 61) break;
        pairMinutes.delete(oldest);
      }
    }
    // By the event's own strings: counted for every stored event, a key built for each was garbage.
    let actions = pairs.byFeature.get(feature);
    const pair = actions?.get(action);
    if (pair) {
      pair.events++;
      return;
    }
    if (pairs.size >= maxKeys) return;
    if (!actions) pairs.byFeature.set(feature, (actions = new Map()));
    actions.set(action, { feature, action, events: 1 });
    pairs.size++;
  }

  function keepRejected(origin: StreamOrigin, entry: Extract<StoreEntry, { kind: 'rejected' }>, at: number): void {
    rejected.unshift({
      seq: nextRejectedSeq++,
      id: entry.id,
      feature: entry.feature,
      action: entry.action,
      reason: entry.reason,
      publisher: origin.publisher,
      source: origin.source,
      receivedAtMs: at,
      // Copies (a Buffer's slice() would not be one): the entry's bytes may be a view into a whole payload's buffer.
      eventBytes: new Uint8Array(entry.bytes),
      metadataBytes: new Uint8Array(origin.metadataBytes),
    });
    if (rejected.length > maxRejected) rejected.length = maxRejected;
  }
}

export type LiveStats = ReturnType<typeof createLiveStats>;

/** One minute's stored feature/action pairs, by feature then action, and how many pairs. */
interface MinutePairs {
  size: number;
  byFeature: Map<string, Map<string, FeatureActionCount>>;
}
