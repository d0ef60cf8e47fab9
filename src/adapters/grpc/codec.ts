import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { eventListFromArray } from '../../core/wire/event-list.js';
import { frameRequest } from '../../core/wire/frame-request.js';
import type { AckList } from '../../core/wire/ack-list.js';
import { varintSize, writeVarint } from '../../core/wire/wire-cursor.js';
import type { IncomingRequest } from '../../core/stream-session.js';
import type { IncomingUnaryRequest } from '../../gateway/record-event-unary.js';
import type { SizedRequest } from '../../gateway/record-events-stream.js';
import {
  EventSchema,
  RecordEventRequestSchema,
  RecordEventResponseSchema,
  RecordEventsRequestMetadataSchema,
  RecordEventsRequestSchema,
} from '../../gen/telemetrygateway/v1/telemetrygateway_pb.js';

/**
 * Decoding keeps the wire bytes of each event and of the metadata: the
 * gateway reads events straight off their bytes (core/pipeline.ts), and
 * stores keep the original bytes instead of re-encoding. What waits in
 * grpc-js's buffers between messages is bytes, not object graphs.
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

/** A message field's bytes, re-encoded when it was split over several occurrences. */
function messageBytes(slices: Uint8Array[] | undefined, encode: () => Uint8Array): Uint8Array {
  return slices?.length === 1 ? slices[0]! : encode();
}

/** RecordEventsRequest and RecordEventRequest: fields 1 and 2 are messages. */
const REQUEST_MESSAGE_FIELDS = [1, 2];

/**
 * A RecordEventsRequest as the session needs it. The common request is only
 * framed (frameRequest): its events stay bytes, each decoded or scanned on its
 * own later, so one bad event is rejected by itself. A request of unusual
 * shape is decoded with protobuf-es; one that does not decode at all becomes a
 * `malformed` request, so the session ends the stream INVALID_ARGUMENT in its
 * turn, after answering the payloads before it (thrown from here, grpc-js
 * would end the call INTERNAL at once). The reason names what is wrong, never
 * the bytes.
 */
export function decodeSizedRecordEventsRequest(bytes: Buffer): SizedRequest {
  return { request: decodeRecordEventsRequest(bytes), bytes: bytes.length };
}

export function decodeRecordEventsRequest(bytes: Buffer): IncomingRequest {
  const framed = frameRequest(bytes);
  if (framed !== undefined) {
    if (framed.payload !== 'metadata') return framed;
    try {
      const metadata = fromBinary(RecordEventsRequestMetadataSchema, framed.metadataBytes);
      return { payload: 'metadata', metadata, metadataBytes: framed.metadataBytes };
    } catch (error) {
      return malformed(error);
    }
  }
  let request;
  try {
    request = fromBinary(RecordEventsRequestSchema, bytes);
  } catch (error) {
    return malformed(error);
  }
  switch (request.payload.case) {
    case 'metadata': {
      const metadata = request.payload.value;
      const metadataBytes = messageBytes(fieldSlices(bytes, 1, REQUEST_MESSAGE_FIELDS), () => toBinary(RecordEventsRequestMetadataSchema, metadata));
      return { payload: 'metadata', metadata, metadataBytes };
    }
    case 'events':
      return { payload: 'events', events: eventListFromArray(request.payload.value.events.map((event) => toBinary(EventSchema, event))) };
    default:
      return { payload: 'none' };
  }
}

function malformed(error: unknown): IncomingRequest {
  return { payload: 'malformed', reason: error instanceof Error ? error.message : 'cannot decode' };
}

/**
 * The unary request (managed services, low volume) is decoded whole. Bytes
 * that do not decode become `malformed`, answered INVALID_ARGUMENT like the
 * stream's (thrown from here, grpc-js would answer INTERNAL).
 */
export function decodeRecordEventRequest(bytes: Buffer): IncomingUnaryRequest {
  let request;
  try {
    request = fromBinary(RecordEventRequestSchema, bytes);
  } catch (error) {
    return { malformed: error instanceof Error ? error.message : 'cannot decode' };
  }
  const { metadata, event } = request;
  return {
    metadata,
    metadataBytes: metadata
      ? messageBytes(fieldSlices(bytes, 1, REQUEST_MESSAGE_FIELDS), () => toBinary(RecordEventsRequestMetadataSchema, metadata))
      : new Uint8Array(),
    eventBytes: event && messageBytes(fieldSlices(bytes, 2, REQUEST_MESSAGE_FIELDS), () => toBinary(EventSchema, event)),
  };
}

/**
 * RecordEventsResponse {repeated string succeeded_events = 1}: a payload's
 * answer is built as these bytes while it is recorded (core/wire/ack-list.ts),
 * so sending it copies nothing. test/wire/wire-vectors.test.ts holds it to
 * protobuf-es's encoding.
 */
export function encodeRecordEventsResponse(answer: AckList): Buffer {
  return answer.bytes;
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

/**
 * Sized first, then written once: a 10,000-event payload is ~3.5 MB, and a
 * growing BinaryWriter copied it several times over (a tenth of the
 * exporter's CPU in bench/exporter-drain).
 */
export function encodeEventsRequest(eventBytes: readonly Uint8Array[]): Buffer {
  let inner = 0;
  for (const bytes of eventBytes) inner += 1 + varintSize(bytes.length) + bytes.length;
  const out = Buffer.allocUnsafe(1 + varintSize(inner) + inner);
  out[0] = RECORD_EVENTS_REQUEST_EVENTS_TAG;
  let pos = writeVarint(out, 1, inner);
  for (const bytes of eventBytes) {
    out[pos] = EVENTS_PAYLOAD_EVENTS_TAG;
    pos = writeVarint(out, pos + 1, bytes.length);
    out.set(bytes, pos);
    pos += bytes.length;
  }
  return out;
}

/** Field 2 (RecordEventsRequest.events) and field 1 (EventsPayload.events), both length-delimited. */
const RECORD_EVENTS_REQUEST_EVENTS_TAG = (2 << 3) | WireType.LengthDelimited;
const EVENTS_PAYLOAD_EVENTS_TAG = (1 << 3) | WireType.LengthDelimited;

export function encodeRecordEventRequest(metadataBytes: Uint8Array, eventBytes: Uint8Array): Buffer {
  return asBuffer(
    new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(metadataBytes).tag(2, WireType.LengthDelimited).bytes(eventBytes).finish(),
  );
}
