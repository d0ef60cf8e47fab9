import type { Event } from '../../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import type { AllowlistIndex } from './allowlist.js';

/** What a redaction removed, for metrics; all zero/false when the event was left as it was. */
export interface RedactionSummary {
  /** private_metadata keys dropped (every key when the event type is not allowlisted). */
  privateKeysRemoved: number;
  /** Allowlisted keys whose non-string value was replaced by an error string. */
  valuesReplaced: number;
  marketingRemoved: boolean;
}

export const NOTHING_REDACTED: RedactionSummary = Object.freeze({ privateKeysRemoved: 0, valuesReplaced: 0, marketingRemoved: false });

/** Why an allowlisted value did not leave as it was: says what it was, never what it held. */
export function notAStringValue(kind: string): string {
  return `telemetry: redacted ${kind} value (only string values of allowlisted private_metadata keys are exported)`;
}

/**
 * Removes what must not leave an instance (BEHAVIOR.md 5.2), in place: the
 * caller owns the event. marketing_tracking always goes; private_metadata keeps
 * only the allowlisted top-level keys of an allowlisted event type, and of
 * those only string values.
 */
export function redactEvent(event: Event, allowlist: AllowlistIndex): RedactionSummary {
  const marketingRemoved = event.marketingTracking !== undefined;
  event.marketingTracking = undefined;
  const parameters = event.parameters;
  const fields = parameters?.privateMetadata;
  if (parameters === undefined || fields === undefined) {
    return marketingRemoved ? { ...NOTHING_REDACTED, marketingRemoved } : NOTHING_REDACTED;
  }

  const allowed = allowlist.allowedKeys(event.feature, event.action);
  let privateKeysRemoved = 0;
  let valuesReplaced = 0;
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (allowed === undefined || !allowed.has(key)) {
      delete fields[key];
      privateKeysRemoved++;
    } else if (typeof value !== 'string') {
      fields[key] = notAStringValue(value === null ? 'null' : Array.isArray(value) ? 'list' : typeof value);
      valuesReplaced++;
    }
  }
  // Not allowlisted: the field goes entirely, as the deployed exporter does.
  if (allowed === undefined) parameters.privateMetadata = undefined;
  return { privateKeysRemoved, valuesReplaced, marketingRemoved };
}
