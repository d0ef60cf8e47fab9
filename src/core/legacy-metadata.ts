import type { Event } from '../gen/telemetrygateway/v1/telemetrygateway_pb.js';

/**
 * Copies int64 `legacy_metadata` (sent by instances older than late 2023) into
 * the double `metadata` map, the legacy value winning on a clash, and clears it
 * (BEHAVIOR.md 2.1). Mutates the event the pipeline owns; returns whether
 * anything changed, so callers know the original wire bytes are now stale.
 */
export function mergeLegacyMetadata(event: Event): boolean {
  const parameters = event.parameters;
  if (parameters === undefined) return false;
  const legacy = parameters.legacyMetadata;
  let merged = false;
  for (const key in legacy) {
    parameters.metadata[key] = Number(legacy[key]);
    merged = true;
  }
  if (merged) parameters.legacyMetadata = {};
  return merged;
}
