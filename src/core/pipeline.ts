import { fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  EventSchema,
  RecordEventsRequestMetadataSchema,
  type Event,
} from '../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { validateEvent, validateScannedEvent } from './event-validation.js';
import { mergeLegacyMetadata } from './legacy-metadata.js';
import { redactEvent, NOTHING_REDACTED, type RedactionSummary } from './privacy/redact-event.js';
import type { AllowlistIndex } from './privacy/allowlist.js';
import { MAX_RECORD_BYTES, recordByteLength, recordMayBeTooLarge } from './record.js';
import type { StoreEntry, StreamOrigin } from './store.js';
import { readEventId, scanEvent } from './wire/scan-event.js';
import { stripPrivateFields } from './wire/strip-fields.js';

/**
 * How one payload's events are to be cleaned: `redact` is false for sources
 * the privacy policy exempts (managed services, trusted licenses, enforcement
 * off), else their private_metadata and marketing_tracking go as the
 * allowlist says.
 */
export interface PipelineOptions {
  redact: boolean;
  allowlist: AllowlistIndex;
}

/** One event made ready for the store, and what the privacy policy removed from it. */
export interface PreparedEvent {
  entry: StoreEntry;
  removed: RedactionSummary;
}

/**
 * Turns one event's wire bytes into what the store writes (BEHAVIOR.md 2.1-2.5
 * plus the gateway's privacy policy): private fields removed, legacy metadata
 * merged, invalid, undecodable and oversized events set aside with a reason.
 *
 * The common event is handled from its bytes alone (scanEvent): private fields
 * are cut out of the bytes, nothing is decoded into objects or re-encoded.
 * Whatever needs the decoded event (legacy metadata, allowlisted keys to
 * filter, an unusual encoding, a record that may be too large) goes through
 * prepareDecoded, the reference the fast path is tested against.
 *
 * Takes `bytes` over: private fields are cut out of them in place, and the
 * entry holds a view of what is left. The caller must not read them again (the
 * gateway reads each event of a request once).
 */
export function prepareEvent(bytes: Uint8Array, origin: StreamOrigin, options: PipelineOptions): PreparedEvent {
  const scan = scanEvent(bytes);
  if (scan === undefined || scan.hasLegacyMetadata) return prepareDecoded(bytes, origin, options);
  // Checked on the bytes as sent, before stripping rewrites them; the decoder then measures the record exactly.
  if (recordMayBeTooLarge(bytes.length, origin.metadataBytes.length)) return prepareDecoded(bytes, origin, options);

  let removed = NOTHING_REDACTED;
  let kept = bytes;
  let privateKept = scan.privateMetadata !== undefined;
  if (options.redact && (scan.privateMetadata !== undefined || scan.marketingTracking !== undefined)) {
    // Allowlisted keys are filtered one by one: the decoder's job.
    if (scan.privateMetadata !== undefined && options.allowlist.allowedKeys(scan.feature, scan.action) !== undefined) {
      return prepareDecoded(bytes, origin, options);
    }
    kept = stripPrivateFields(bytes, scan);
    privateKept = false;
    removed = strippedSummary(scan.privateKeyCount, scan.marketingTracking !== undefined);
  }

  const { id, feature, action } = scan;
  const reason = validateScannedEvent(scan, privateKept && scan.privateNonFinite);
  if (reason !== undefined) return { entry: { kind: 'rejected', id, feature, action, reason, bytes: kept }, removed };
  const { seconds, nanos } = scan.timestamp!;
  return { entry: { kind: 'event', id, feature, action, timestampMs: Number(seconds) * 1000 + Math.floor(nanos / 1e6), bytes: kept }, removed };
}

/**
 * What stripping removed: one shared frozen summary per usual combination, where a new one per
 * event was garbage made per event.
 */
function strippedSummary(privateKeysRemoved: number, marketingRemoved: boolean): RedactionSummary {
  if (privateKeysRemoved >= SHARED_SUMMARY_KEYS) return { privateKeysRemoved, valuesReplaced: 0, marketingRemoved };
  const index = 2 * privateKeysRemoved + (marketingRemoved ? 1 : 0);
  return (sharedSummaries[index] ??= Object.freeze({ privateKeysRemoved, valuesReplaced: 0, marketingRemoved }));
}
const SHARED_SUMMARY_KEYS = 64;
const sharedSummaries = new Array<RedactionSummary | undefined>(2 * SHARED_SUMMARY_KEYS);

/**
 * The same as prepareEvent, by decoding the event with protobuf-es, cleaning
 * the decoded message and encoding it again only where it changed. An event
 * that does not decode is set aside on its own (the rest of its payload is
 * recorded), with nothing of it kept when its private fields cannot be told apart.
 */
export function prepareDecoded(bytes: Uint8Array, origin: StreamOrigin, options: PipelineOptions): PreparedEvent {
  let event: Event;
  try {
    event = fromBinary(EventSchema, bytes);
  } catch (error) {
    const reason = `malformed event: ${error instanceof Error ? error.message : 'cannot decode'}`;
    const entry: StoreEntry = { kind: 'rejected', id: readEventId(bytes), feature: '', action: '', reason, bytes: options.redact ? new Uint8Array() : bytes };
    return { entry, removed: NOTHING_REDACTED };
  }
  let changed = false;
  let removed = NOTHING_REDACTED;
  if (options.redact && (event.marketingTracking !== undefined || event.parameters?.privateMetadata !== undefined)) {
    const hadPrivate = event.parameters?.privateMetadata !== undefined;
    removed = redactEvent(event, options.allowlist);
    changed = removed.marketingRemoved || removed.privateKeysRemoved > 0 || removed.valuesReplaced > 0 ||
      (hadPrivate && event.parameters?.privateMetadata === undefined);
  }
  if (mergeLegacyMetadata(event)) changed = true;
  const kept = changed ? toBinary(EventSchema, event) : bytes;

  const reason = validateEvent(event);
  if (reason !== undefined) return { entry: rejectedEntry(event, kept, reason), removed };
  if (recordMayBeTooLarge(kept.length, origin.metadataBytes.length)) {
    const size = recordByteLength(event, fromBinary(RecordEventsRequestMetadataSchema, origin.metadataBytes));
    if (size >= MAX_RECORD_BYTES) {
      return { entry: rejectedEntry(event, kept, `record of ${size} bytes exceeds the ${MAX_RECORD_BYTES}-byte limit`), removed };
    }
  }
  return {
    entry: { kind: 'event', id: event.id, feature: event.feature, action: event.action, timestampMs: timestampMs(event), bytes: kept, event },
    removed,
  };
}

function rejectedEntry(event: Event, bytes: Uint8Array, reason: string): StoreEntry {
  return { kind: 'rejected', id: event.id, feature: event.feature, action: event.action, reason, bytes };
}

function timestampMs(event: Event): number {
  const ts = event.timestamp;
  return ts === undefined ? 0 : Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6);
}
