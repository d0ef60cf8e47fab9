import type { InstanceSummary } from './dashboard-queries.js';
import { sourceKey, type Source } from './identity/source.js';

/** One stream's activity (a store keeps one metadata row per stream). */
export interface StreamActivity {
  source: Source;
  firstSeenMs: number;
  lastSeenMs: number;
  eventsSince: number;
  rejectedSince: number;
  serverVersion: string | undefined;
}

/**
 * Folds per-stream activity into one row per instance or service: earliest
 * first seen, latest last seen, summed counts, every server version seen, and
 * the source as its newest stream described it (license expiry can change).
 */
export function groupInstances(streams: readonly StreamActivity[]): InstanceSummary[] {
  const byKey = new Map<string, InstanceSummary & { versions: Set<string> }>();
  for (const stream of streams) {
    const key = sourceKey(stream.source);
    const seen = byKey.get(key);
    if (!seen) {
      byKey.set(key, {
        source: stream.source,
        serverVersions: [],
        versions: new Set(stream.serverVersion ? [stream.serverVersion] : []),
        firstSeenMs: stream.firstSeenMs,
        lastSeenMs: stream.lastSeenMs,
        eventsSince: stream.eventsSince,
        rejectedSince: stream.rejectedSince,
      });
      continue;
    }
    if (stream.serverVersion) seen.versions.add(stream.serverVersion);
    if (stream.lastSeenMs >= seen.lastSeenMs) seen.source = stream.source;
    seen.firstSeenMs = Math.min(seen.firstSeenMs, stream.firstSeenMs);
    seen.lastSeenMs = Math.max(seen.lastSeenMs, stream.lastSeenMs);
    seen.eventsSince += stream.eventsSince;
    seen.rejectedSince += stream.rejectedSince;
  }
  return [...byKey.values()]
    .map(({ versions, ...row }) => ({ ...row, serverVersions: [...versions].sort() }))
    .sort((a, b) => b.lastSeenMs - a.lastSeenMs);
}
