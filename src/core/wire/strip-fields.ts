import type { ScannedEvent } from './scan-event.js';
import { readVarint32, writeVarint } from './wire-cursor.js';

/**
 * The event's bytes without marketing_tracking and without
 * parameters.private_metadata: the fields are cut out of the bytes as they
 * came and the parameters' length prefix is rewritten, so every other byte the
 * instance sent is kept as it was. For an event in canonical encoding (what
 * every protobuf runtime writes) this equals decoding, clearing both fields and
 * encoding again.
 *
 * The cut is made in `bytes` themselves (the caller gives them up): the kept
 * bytes after each cut move left over it, and the result is the start of
 * `bytes`. A copy into memory of its own cost a copy per event and held tens of
 * MB of slabs under load, alive until the payload was answered, while the
 * request they came from is alive that long anyway. Stripping what was stripped
 * changes nothing.
 */
export function stripPrivateFields(bytes: Uint8Array, scan: ScannedEvent): Uint8Array {
  const marketing = scan.marketingTracking;
  const parameters = scan.parameters;
  const privateField = parameters !== undefined ? scan.privateMetadata : undefined;
  const removedInside = privateField !== undefined ? privateField.end - privateField.start : 0;
  if (marketing === undefined && removedInside === 0) return bytes;

  if (removedInside === 0) {
    // Only the marketing field goes: the bytes after it move to where it began.
    return bytes.subarray(0, moveLeft(bytes, marketing!.end, bytes.length, marketing!.start));
  }

  // The parameters' length prefix is rewritten (it may take fewer bytes than before, never more),
  // read before anything moves. Every move reads at or right of where it writes.
  const cursor = { buf: bytes, pos: parameters!.start };
  readVarint32(cursor, parameters!.bodyStart); // the tag
  const lengthStart = cursor.pos;
  const newBodyLength = readVarint32(cursor, parameters!.bodyStart) - removedInside;

  // In byte order: the marketing field (a top-level field, so wholly before or after the
  // parameters), the parameters' length prefix, the private field inside the parameters.
  const marketingFirst = marketing !== undefined && marketing.start < parameters!.start;
  let to = marketingFirst ? moveLeft(bytes, marketing.end, lengthStart, marketing.start) : lengthStart;
  to = writeVarint(bytes, to, newBodyLength);
  to = moveLeft(bytes, parameters!.bodyStart, privateField!.start, to);
  let from = privateField!.end;
  if (marketing !== undefined && !marketingFirst) {
    to = moveLeft(bytes, from, marketing.start, to);
    from = marketing.end;
  }
  to = moveLeft(bytes, from, bytes.length, to);
  return bytes.subarray(0, to);
}

/** Segments up to this long are moved byte by byte: a call to copyWithin cost more. */
const SHORT_MOVE = 32;

/** Moves `room`'s bytes [from, end) to `to` (never right of `from`); returns the position after them. */
function moveLeft(room: Uint8Array, from: number, end: number, to: number): number {
  if (to === from) return end;
  if (end - from <= SHORT_MOVE) {
    for (let i = from; i < end; i++) room[to++] = room[i]!;
    return to;
  }
  room.copyWithin(to, from, end);
  return to + end - from;
}
