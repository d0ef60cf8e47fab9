import { toBinary, fromBinary } from '@bufbuild/protobuf';
import {
  EventSchema,
  RecordEventsRequestMetadataSchema,
  type Event,
} from '../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { validateEvent } from './event-validation.js';
import { mergeLegacyMetadata } from './legacy-metadata.js';
import { MAX_RECORD_BYTES, recordByteLength, recordMayBeTooLarge } from './record.js';
import type { StoreEntry, StreamOrigin } from './store.js';

/** An event as decoded from the wire, with the exact bytes it was decoded from. */
export interface IncomingEvent {
  event: Event;
  bytes: Uint8Array;
}

/**
 * Turns one decoded event into what the store writes (BEHAVIOR.md 2.1-2.5):
 * legacy metadata merged, invalid and oversized events set aside with a reason.
 * The wire bytes are kept as they came unless the merge changed the event, so
 * the hot path neither re-encodes nor renders JSON.
 */
export function prepareEntry(incoming: IncomingEvent, origin: StreamOrigin): StoreEntry {
  const { event } = incoming;
  const reason = validateEvent(event);
  if (reason !== undefined) return rejectedEntry(event, incoming.bytes, reason);

  const bytes = mergeLegacyMetadata(event) ? toBinary(EventSchema, event) : incoming.bytes;
  if (recordMayBeTooLarge(bytes.length, origin.metadataBytes.length)) {
    const size = recordByteLength(event, fromBinary(RecordEventsRequestMetadataSchema, origin.metadataBytes));
    if (size >= MAX_RECORD_BYTES) {
      return rejectedEntry(event, bytes, `record of ${size} bytes exceeds the ${MAX_RECORD_BYTES}-byte limit`);
    }
  }
  return {
    kind: 'event',
    id: event.id,
    feature: event.feature,
    action: event.action,
    timestampMs: timestampMs(event),
    bytes,
    event,
  };
}

function rejectedEntry(event: Event, bytes: Uint8Array, reason: string): StoreEntry {
  return { kind: 'rejected', id: event.id, feature: event.feature, action: event.action, reason, bytes };
}

function timestampMs(event: Event): number {
  const ts = event.timestamp;
  return ts === undefined ? 0 : Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6);
}
