import { eventListOf, type EventList } from './event-list.js';
import { readLength, readVarint32, skipValue, WireError, WireType, type WireCursor } from './wire-cursor.js';

/**
 * The framing of a RecordEventsRequest, read without decoding any event: which
 * payload it carries and where each event's bytes lie (views into `bytes`).
 * Follows protobuf-es's merge rules for the common shapes: the oneof's last
 * member wins, repeated occurrences of the events payload concatenate. Returns
 * undefined for anything else (a metadata message split over occurrences,
 * groups, a member of the wrong wire type, broken framing): the caller then
 * decodes the request with protobuf-es, which decides.
 */
export type RequestFrame =
  | { payload: 'metadata'; metadataBytes: Uint8Array }
  | { payload: 'events'; events: EventList }
  | { payload: 'none' };

const METADATA = 1;
const EVENTS = 2;
const PAYLOAD_EVENT = 1;

export function frameRequest(bytes: Uint8Array): RequestFrame | undefined {
  try {
    return frame({ buf: bytes, pos: 0 }, bytes.length);
  } catch (error) {
    if (error instanceof WireError) return undefined;
    throw error;
  }
}

function frame(c: WireCursor, end: number): RequestFrame | undefined {
  let result: { payload: 'none' } | { payload: 'metadata'; metadataBytes: Uint8Array } | { payload: 'events'; spans: SpanBuilder } = { payload: 'none' };
  while (c.pos < end) {
    const tag = readVarint32(c, end);
    const fieldNo = tag >>> 3;
    const wireType = tag & 7;
    if (fieldNo === METADATA || fieldNo === EVENTS) {
      if (wireType !== WireType.LengthDelimited) return undefined;
      const bodyEnd = readLength(c, end);
      if (fieldNo === METADATA) {
        if (result.payload === 'metadata') return undefined;
        result = { payload: 'metadata', metadataBytes: c.buf.subarray(c.pos, bodyEnd) };
      } else {
        if (result.payload !== 'events') result = { payload: 'events', spans: new SpanBuilder() };
        if (!frameEvents(c, bodyEnd, result.spans)) return undefined;
      }
      c.pos = bodyEnd;
    } else if (fieldNo === 0 || !skipValue(c, wireType, end)) {
      return undefined;
    }
  }
  return result.payload === 'events' ? { payload: 'events', events: eventListOf(c.buf, result.spans.finish()) } : result;
}

/** Appends where the events of one EventsPayload body lie; false when the decoder must decide. */
function frameEvents(c: WireCursor, end: number, spans: SpanBuilder): boolean {
  while (c.pos < end) {
    const tag = readVarint32(c, end);
    const fieldNo = tag >>> 3;
    if (fieldNo === PAYLOAD_EVENT) {
      if ((tag & 7) !== WireType.LengthDelimited) return false;
      const bodyEnd = readLength(c, end);
      spans.push(c.pos, bodyEnd);
      c.pos = bodyEnd;
    } else if (fieldNo === 0 || !skipValue(c, tag & 7, end)) {
      return false;
    }
  }
  return true;
}

/**
 * Event boundaries as 32-bit offsets in one typed array: 8 bytes an event, and
 * no JS array of numbers for the GC to walk while a payload of a few hundred
 * thousand events waits for its answer.
 */
class SpanBuilder {
  private data = new Uint32Array(256);
  private length = 0;

  push(start: number, end: number): void {
    if (this.length + 2 > this.data.length) {
      const grown = new Uint32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = start;
    this.data[this.length++] = end;
  }

  /** The spans, copied to their exact size when growing left much unused. */
  finish(): Uint32Array {
    return this.length * 2 < this.data.length ? this.data.slice(0, this.length) : this.data.subarray(0, this.length);
  }
}
