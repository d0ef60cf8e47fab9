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

/**
 * Bytes of every occurrence of `fieldNo` at the top level of `bytes`, or
 * undefined when this pass could disagree with protobuf-es about the framing:
 * protobuf-es reads a message field as length-delimited whatever wire type its
 * tag says, so an occurrence of one of `messageFields` with another wire type
 * would put the two parses out of step (slices that are not the decoded
 * messages' bytes). The caller then re-encodes.
 */
function fieldSlices(bytes: Uint8Array, fieldNo: number, messageFields: readonly number[]): Uint8Array[] | undefined {
  const reader = new BinaryReader(bytes);
  const slices: Uint8Array[] = [];
  try {
    while (reader.pos < reader.len) {
      const [no, wireType] = reader.tag();
      if (messageFields.includes(no) && wireType !== WireType.LengthDelimited) return undefined;
      if (no === fieldNo) slices.push(reader.bytes());
      else reader.skip(wireType, no);
    }
  } catch {
    return undefined;
  }
  return slices;
}

/** Pairs decoded events with their bytes; re-encodes only if the wire had unusual (merged) framing. */
function withBytes(events: Event[], payloadSlices: Uint8Array[] | undefined): IncomingEvent[] {
  const slices = payloadSlices?.length === 1 ? fieldSlices(payloadSlices[0]!, 1, [1]) : undefined;
  if (slices?.length !== events.length) {
    return events.map((event) => ({ event, bytes: toBinary(EventSchema, event) }));
  }
  return events.map((event, i) => ({ event, bytes: slices[i]! }));
}

/** A message field's bytes, re-encoded when it was split over several occurrences. */
function messageBytes(slices: Uint8Array[] | undefined, encode: () => Uint8Array): Uint8Array {
  return slices?.length === 1 ? slices[0]! : encode();
}

/** RecordEventsRequest and RecordEventRequest: fields 1 and 2 are messages. */
const REQUEST_MESSAGE_FIELDS = [1, 2];

/**
 * A request that does not decode (invalid UTF-8 in a string, broken framing,
 * nesting beyond protobuf-es's limit) becomes a `malformed` request, so the
 * session ends the stream INVALID_ARGUMENT in its turn, after answering the
 * payloads before it. Thrown from here, grpc-js would end the call INTERNAL at
 * once. The reason names what is wrong, never the bytes.
 */
export function decodeRecordEventsRequest(bytes: Buffer): IncomingRequest {
  let request;
  try {
    request = fromBinary(RecordEventsRequestSchema, bytes);
  } catch (error) {
    return { payload: 'malformed', reason: error instanceof Error ? error.message : 'cannot decode' };
  }
  switch (request.payload.case) {
    case 'metadata': {
      const metadata = request.payload.value;
      const metadataBytes = messageBytes(fieldSlices(bytes, 1, REQUEST_MESSAGE_FIELDS), () => toBinary(RecordEventsRequestMetadataSchema, metadata));
      return { payload: 'metadata', metadata, metadataBytes };
    }
    case 'events':
      return { payload: 'events', events: withBytes(request.payload.value.events, fieldSlices(bytes, 2, REQUEST_MESSAGE_FIELDS)) };
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
      ? messageBytes(fieldSlices(bytes, 1, REQUEST_MESSAGE_FIELDS), () => toBinary(RecordEventsRequestMetadataSchema, metadata))
      : new Uint8Array(),
    event: event && {
      event,
      bytes: messageBytes(fieldSlices(bytes, 2, REQUEST_MESSAGE_FIELDS), () => toBinary(EventSchema, event)),
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
