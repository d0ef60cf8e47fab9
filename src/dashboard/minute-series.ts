import type { Outcome, OutcomeCounts } from './api-types.js';

export type { Outcome, OutcomeCounts };

/** What happened to events, as the overview splits them (the API's Outcome, as a list). */
export const OUTCOMES: readonly Outcome[] = ['stored', 'duplicate', 'rejected', 'retryable', 'rateLimited'];

export const zeroCounts = (): OutcomeCounts => ({ stored: 0, duplicate: 0, rejected: 0, retryable: 0, rateLimited: 0 });

/**
 * Counts per time bucket (minutes for the chart, seconds for the rate "now"),
 * keeping only the newest `keep` buckets: memory stays bounded however long
 * the gateway runs.
 */
export function createBucketSeries(bucketMs: number, keep: number) {
  const buckets = new Map<number, OutcomeCounts>();
  return {
    add(nowMs: number, outcome: Outcome, n: number): void {
      const start = nowMs - (nowMs % bucketMs);
      let counts = buckets.get(start);
      if (!counts) {
        buckets.set(start, (counts = zeroCounts()));
        // Map iteration is insertion order, and buckets are created in time order.
        for (const oldest of buckets.keys()) {
          if (buckets.size <= keep) break;
          buckets.delete(oldest);
        }
      }
      counts[outcome] += n;
    },
    /** The `count` buckets ending with the current one, oldest first, zeros where nothing happened. */
    window(nowMs: number, count: number): { startMs: number; counts: OutcomeCounts }[] {
      const current = nowMs - (nowMs % bucketMs);
      return Array.from({ length: count }, (_, i) => {
        const startMs = current - (count - 1 - i) * bucketMs;
        return { startMs, counts: buckets.get(startMs) ?? zeroCounts() };
      });
    },
  };
}
