import { fromBinary, toJson, type JsonObject } from '@bufbuild/protobuf';
import {
  EventSchema,
  RecordEventsRequestMetadataSchema,
  type Event,
  type RecordEventsRequestMetadata,
} from '../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import type { ByteOut } from './wire/byte-out.js';
import { writeEventJson } from './wire/event-json.js';
import type { AttributeFacts } from './wire/scan-record-attributes.js';

/** Records this large or larger can never fit the bus (BEHAVIOR.md 2.5). */
export const MAX_RECORD_BYTES = 10_000_000;

/**
 * The most a record's JSON can outgrow the protobuf bytes it came from: a
 * string of control characters escapes to six bytes per byte ("\u0000"), and a
 * few bytes of braces and names per field stay well inside a factor of eight.
 */
const MAX_JSON_EXPANSION = 8;

/** The downstream record `{"event": ..., "metadata": ...}` in proto3 JSON (BEHAVIOR.md 2.4). */
export function renderRecord(event: Event, metadata: RecordEventsRequestMetadata): string {
  return JSON.stringify(recordObject(event, metadata));
}

/** The metadata half of a record, as JSON text: a stream's is the same for each of its events. */
export function recordMetadataJson(metadata: RecordEventsRequestMetadata): string {
  return JSON.stringify(toJson(RecordEventsRequestMetadataSchema, metadata));
}

// The record's text around its two halves: what JSON.stringify of recordObject writes.
const RECORD_OPEN = '{"event":';
const RECORD_METADATA = ',"metadata":';
const RECORD_CLOSE = 0x7d; // }

/** renderRecord, from the event's JSON object and recordMetadataJson: JSON.stringify of the record is exactly this. */
export function renderRecordFromJson(event: JsonObject, metadataJson: string): string {
  return `${RECORD_OPEN}${JSON.stringify(event)}${RECORD_METADATA}${metadataJson}}`;
}

/**
 * renderRecordFromJson's text as UTF-8, the event's half written straight from its bytes
 * (writeEventJson), appended to `out`; false, with `out` as it was, where writeEventJson declines.
 */
export function writeRecord(eventBytes: Uint8Array, metadataJson: Uint8Array, out: ByteOut): boolean {
  const start = out.length;
  out.ascii(RECORD_OPEN);
  if (!writeEventJson(eventBytes, out)) {
    out.length = start;
    return false;
  }
  out.ascii(RECORD_METADATA);
  out.copy(metadataJson);
  out.byte(RECORD_CLOSE);
  return true;
}

export function recordObject(event: Event, metadata: RecordEventsRequestMetadata): JsonObject {
  return {
    event: toJson(EventSchema, event),
    metadata: toJson(RecordEventsRequestMetadataSchema, metadata),
  };
}

/**
 * Whether the record for an event of `eventBytes` wire bytes, under metadata of
 * `metadataBytes`, could reach MAX_RECORD_BYTES. When false the record is known
 * to be small enough without rendering it, which keeps JSON off the hot path.
 */
export function recordMayBeTooLarge(eventBytes: number, metadataBytes: number): boolean {
  return (eventBytes + metadataBytes) * MAX_JSON_EXPANSION + 64 >= MAX_RECORD_BYTES;
}

/** Byte length of the rendered record, in UTF-8 as it would be published. */
export function recordByteLength(event: Event, metadata: RecordEventsRequestMetadata): number {
  return Buffer.byteLength(renderRecord(event, metadata), 'utf8');
}

const PRIVATE_METADATA_MARKER = 'recordsPrivateMetadata';

/** The string attributes published with each record (BEHAVIOR.md 2.4). */
export function recordAttributes(event: Event, publisherSource: string): Record<string, string> {
  const markers = new Map<string, boolean>();
  const metadata = event.parameters?.metadata ?? {};
  for (const key in metadata) {
    if (key.startsWith(PRIVATE_METADATA_MARKER)) markers.set(key, (metadata[key] ?? 0) > 0);
  }
  return attributesOfFacts(event.feature, event.action, publisherSource, {
    hasPrivateMetadata: event.parameters?.privateMetadata !== undefined,
    markers,
  });
}

/**
 * The same attributes from what scanRecordAttributes read off the event's
 * bytes: `event.recordsPrivateMetadata<Name>` for each such metadata key with
 * a value above 0 (a bare marker, without a name, does not count).
 */
export function attributesOfFacts(feature: string, action: string, publisherSource: string, facts: AttributeFacts): Record<string, string> {
  const attributes: Record<string, string> = {
    'publisher.source': publisherSource,
    'event.feature': feature,
    'event.action': action,
    'event.hasPrivateMetadata': String(facts.hasPrivateMetadata),
  };
  for (const [key, positive] of facts.markers) {
    if (positive && key.length >= PRIVATE_METADATA_MARKER.length + 2) attributes[`event.${key}`] = 'true';
  }
  return attributes;
}

/** Renders the record of an event a store kept as wire bytes: exactly what renderRecord gave at ingest. */
export function renderStoredRecord(eventBytes: Uint8Array, metadataBytes: Uint8Array): string {
  return renderRecord(fromBinary(EventSchema, eventBytes), fromBinary(RecordEventsRequestMetadataSchema, metadataBytes));
}
