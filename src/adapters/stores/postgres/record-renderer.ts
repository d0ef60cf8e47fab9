import { fromBinary } from '@bufbuild/protobuf';
import { renderRecord } from '../../../core/record.js';
import type { StreamOrigin } from '../../../core/store.js';
import {
  EventSchema,
  RecordEventsRequestMetadataSchema,
  type Event,
  type RecordEventsRequestMetadata,
} from '../../../gen/telemetrygateway/v1/telemetrygateway_pb.js';

/** The downstream record JSON of an event, or undefined when its bytes do not decode. */
export type RecordRenderer = (entry: { bytes: Uint8Array; event?: Event }, origin: StreamOrigin) => string | undefined;

/** Distinct stream metadata kept decoded; streams are long-lived, so a small cache covers them. */
const MAX_CACHED_METADATA = 1024;

/**
 * Renders records with core/record.ts, decoding each stream's metadata once.
 * The pipeline only ever hands over bytes it decoded itself, so undefined is
 * for bytes from elsewhere (tests, a foreign producer): the store keeps the
 * bytes, which are authoritative, and leaves the JSON column empty rather than
 * refusing an event it can store.
 */
export function createRecordRenderer(): RecordRenderer {
  const metadataByDigest = new Map<string, RecordEventsRequestMetadata | undefined>();
  const metadataOf = (origin: StreamOrigin): RecordEventsRequestMetadata | undefined => {
    if (metadataByDigest.has(origin.metadataDigest)) return metadataByDigest.get(origin.metadataDigest);
    if (metadataByDigest.size >= MAX_CACHED_METADATA) metadataByDigest.clear();
    let metadata: RecordEventsRequestMetadata | undefined;
    try {
      metadata = fromBinary(RecordEventsRequestMetadataSchema, origin.metadataBytes);
    } catch {
      metadata = undefined;
    }
    metadataByDigest.set(origin.metadataDigest, metadata);
    return metadata;
  };
  return (entry, origin) => {
    const metadata = metadataOf(origin);
    if (metadata === undefined) return undefined;
    try {
      return renderRecord(entry.event ?? fromBinary(EventSchema, entry.bytes), metadata);
    } catch {
      return undefined;
    }
  };
}
