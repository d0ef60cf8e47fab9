import { fromBinary } from '@bufbuild/protobuf';
import { recordMetadataJson, renderRecord, renderRecordFromJson, writeRecord } from '../../../core/record.js';
import type { ByteOut } from '../../../core/wire/byte-out.js';
import { eventJsonObject } from '../../../core/wire/event-json.js';
import type { StreamOrigin } from '../../../core/store.js';
import {
  EventSchema,
  RecordEventsRequestMetadataSchema,
  type Event,
  type RecordEventsRequestMetadata,
} from '../../../gen/telemetrygateway/v1/telemetrygateway_pb.js';

/**
 * Appends the downstream record JSON of an event to `out` as UTF-8; returns false, appending
 * nothing, when its bytes do not decode.
 */
export type RecordRenderer = (entry: { bytes: Uint8Array; event?: Event }, origin: StreamOrigin, out: ByteOut) => boolean;

/** A stream's metadata, decoded and as record JSON (text, and its UTF-8 bytes). */
interface StreamMetadata {
  decoded: RecordEventsRequestMetadata;
  json: string;
  jsonBytes: Buffer;
}

/** Distinct stream metadata kept decoded; streams are long-lived, so a small cache covers them. */
const MAX_CACHED_METADATA = 1024;

/**
 * Renders records as core/record.ts does, decoding each stream's metadata once.
 * The event's JSON is written from its bytes straight into `out` where it can
 * be (writeRecord), else built as an object from them (eventJsonObject),
 * else decoded: the same JSON each way. The record is `{"event":...,"metadata":...}`
 * around the stream's metadata JSON, made once per stream.
 * The pipeline only ever hands over bytes it decoded itself, so false is
 * for bytes from elsewhere (tests, a foreign producer): the store keeps the
 * bytes, which are authoritative, and leaves the JSON column empty rather than
 * refusing an event it can store.
 */
export function createRecordRenderer(): RecordRenderer {
  const metadataByDigest = new Map<string, StreamMetadata | undefined>();
  const metadataOf = (origin: StreamOrigin): StreamMetadata | undefined => {
    if (metadataByDigest.has(origin.metadataDigest)) return metadataByDigest.get(origin.metadataDigest);
    if (metadataByDigest.size >= MAX_CACHED_METADATA) metadataByDigest.clear();
    let metadata: StreamMetadata | undefined;
    try {
      const decoded = fromBinary(RecordEventsRequestMetadataSchema, origin.metadataBytes);
      const json = recordMetadataJson(decoded);
      metadata = { decoded, json, jsonBytes: Buffer.from(json) };
    } catch {
      metadata = undefined;
    }
    metadataByDigest.set(origin.metadataDigest, metadata);
    return metadata;
  };
  const renderText = (entry: { bytes: Uint8Array; event?: Event }, metadata: StreamMetadata): string | undefined => {
    try {
      if (entry.event !== undefined) return renderRecord(entry.event, metadata.decoded);
      const event = eventJsonObject(entry.bytes);
      if (event !== undefined) return renderRecordFromJson(event, metadata.json);
      return renderRecord(fromBinary(EventSchema, entry.bytes), metadata.decoded);
    } catch {
      return undefined;
    }
  };
  return (entry, origin, out) => {
    const metadata = metadataOf(origin);
    if (metadata === undefined) return false;
    // The usual case: written from the bytes, no object and no string per field.
    if (entry.event === undefined && writeRecord(entry.bytes, metadata.jsonBytes, out)) return true;
    const text = renderText(entry, metadata);
    if (text === undefined) return false;
    out.text(text);
    return true;
  };
}
