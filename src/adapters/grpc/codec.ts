import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import type { IncomingEvent } from '../../core/pipeline.js';
import type { IncomingRequest } from '../../core/stream-session.js';
import type { IncomingUnaryRequest } from '../../gateway/record-event.js';
import {
  EventSchema,
  RecordEventRequestSchema,
  RecordEventResponseSchema,
  RecordEventsRequestMetadataSchema,
  RecordEventsRequestSchema,
  RecordEventsResponseSchema,
  type Event,
} from '../../gen/telemetrygateway/v1/telemetrygateway_pb.js';

/**
 * Decoding keeps the wire bytes of each event and of the metadata next to the
 * decoded messages, so stores can keep the original bytes instead of
 * re-encoding. protobuf-es decodes (with its own merge and oneof rules); the
 * BinaryReader pass only finds where each already-decoded field's bytes lie.
 */

/** Bytes of every length-delimited occurrence of `fieldNo` at the top level of `bytes`. */
function fieldSlices(bytes: Uint8Array, fieldNo: number): Uint8Array[] {
  const reader = new BinaryReader(bytes);
  const slices: Uint8Array[] = [];
  while (reader.pos < reader.len) {
    const [no, wireType] = reader.tag();
    if (no === fieldNo && wireType === WireType.LengthDelimited) slices.push(reader.bytes());
    else reader.skip(wireType, no);
  }
  return slices;
}

/** Pairs decoded events with their bytes; re-encodes only if the wire had unusual (merged) framing. */
function withBytes(events: Event[], payloadSlices: Uint8Array[]): IncomingEvent[] {
  const slices = payloadSlices.length === 1 ? fieldSlices(payloadSlices[0]!, 1) : [];
  if (slices.length !== events.length) {
    return events.map((event) => ({ event, bytes: toBinary(EventSchema, event) }));
  }
  return events.map((event, i) => ({ event, bytes: slices[i]! }));
}

/** A message field's bytes, re-encoded when it was split over several occurrences. */
function messageBytes(slices: Uint8Array[], encode: () => Uint8Array): Uint8Array {
  return slices.length === 1 ? slices[0]! : encode();
}

export function decodeRecordEventsRequest(bytes: Buffer): IncomingRequest {
  const request = fromBinary(RecordEventsRequestSchema, bytes);
  switch (request.payload.case) {
    case 'metadata': {
      const metadata = request.payload.value;
      const metadataBytes = messageBytes(fieldSlices(bytes, 1), () => toBinary(RecordEventsRequestMetadataSchema, metadata));
      return { payload: 'metadata', metadata, metadataBytes };
    }
    case 'events':
      return { payload: 'events', events: withBytes(request.payload.value.events, fieldSlices(bytes, 2)) };
    default:
      return { payload: 'none' };
  }
}

export function decodeRecordEventRequest(bytes: Buffer): IncomingUnaryRequest {
  const request = fromBinary(RecordEventRequestSchema, bytes);
  const { metadata, event } = request;
  return {
    metadata,
    metadataBytes: metadata
      ? messageBytes(fieldSlices(bytes, 1), () => toBinary(RecordEventsRequestMetadataSchema, metadata))
      : new Uint8Array(),
    event: event && {
      event,
      bytes: messageBytes(fieldSlices(bytes, 2), () => toBinary(EventSchema, event)),
    },
  };
}

export function encodeRecordEventsResponse(succeededEvents: string[]): Buffer {
  return asBuffer(toBinary(RecordEventsResponseSchema, create(RecordEventsResponseSchema, { succeededEvents })));
}

export const EMPTY_RECORD_EVENT_RESPONSE = asBuffer(toBinary(RecordEventResponseSchema, create(RecordEventResponseSchema)));

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/*
 * Requests assembled from already-encoded messages (the exporter keeps events
 * as bytes): BinaryWriter frames them without decoding and re-encoding.
 * Field numbers: RecordEventsRequest.metadata = 1, .events = 2,
 * EventsPayload.events = 1; RecordEventRequest.metadata = 1, .event = 2.
 */

export function encodeMetadataRequest(metadataBytes: Uint8Array): Buffer {
  return asBuffer(new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(metadataBytes).finish());
}

export function encodeEventsRequest(eventBytes: readonly Uint8Array[]): Buffer {
  const writer = new BinaryWriter().tag(2, WireType.LengthDelimited).fork();
  for (const bytes of eventBytes) writer.tag(1, WireType.LengthDelimited).bytes(bytes);
  return asBuffer(writer.join().finish());
}

export function encodeRecordEventRequest(metadataBytes: Uint8Array, eventBytes: Uint8Array): Buffer {
  return asBuffer(
    new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(metadataBytes).tag(2, WireType.LengthDelimited).bytes(eventBytes).finish(),
  );
}
