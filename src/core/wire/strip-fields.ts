import type { ScannedEvent } from './scan-event.js';
import { readVarint32, writeVarint } from './wire-cursor.js';

/**
 * The event's bytes without marketing_tracking and without
 * parameters.private_metadata: the fields are cut out of the bytes as they
 * came and the parameters' length prefix is rewritten, so every other byte the
 * instance sent is kept as it was. For an event in canonical encoding (what
 * every protobuf runtime writes) this equals decoding, clearing both fields and
 * encoding again.
 */
export function stripPrivateFields(bytes: Uint8Array, scan: ScannedEvent): Uint8Array {
  const marketing = scan.marketingTracking;
  const parameters = scan.parameters;
  const privateField = parameters !== undefined ? scan.privateMetadata : undefined;
  const removedInside = privateField !== undefined ? privateField.end - privateField.start : 0;
  if (marketing === undefined && removedInside === 0) return bytes;

  // The whole event is copied once, then the kept bytes after each cut are moved left over it, in
  // place: copying piece by piece took a view of the event per piece (`set` copies from a whole
  // array only), and those views were most of what stripping allocated.
  const { room, at } = reserve(bytes.length);
  room.set(bytes, at);
  let to: number;
  if (removedInside === 0) {
    // Only the marketing field goes: the bytes after it move to where it began.
    to = moveLeft(room, at + marketing!.end, at + bytes.length, at + marketing!.start);
    return carve(room, at, to);
  }

  // The parameters' length prefix is rewritten (it may take fewer bytes than before, never more).
  const cursor = { buf: bytes, pos: parameters!.start };
  readVarint32(cursor, parameters!.bodyStart); // the tag
  const lengthStart = cursor.pos;
  const newBodyLength = readVarint32(cursor, parameters!.bodyStart) - removedInside;

  // In byte order: the marketing field (a top-level field, so wholly before or after the
  // parameters), the parameters' length prefix, the private field inside the parameters.
  const marketingFirst = marketing !== undefined && marketing.start < parameters!.start;
  to = at + (marketingFirst ? marketing.start : lengthStart);
  if (marketingFirst) to = moveLeft(room, at + marketing.end, at + lengthStart, to);
  to = writeVarint(room, to, newBodyLength);
  to = moveLeft(room, at + parameters!.bodyStart, at + privateField!.start, to);
  let from = privateField!.end;
  if (marketing !== undefined && !marketingFirst) {
    to = moveLeft(room, at + from, at + marketing.start, to);
    from = marketing.end;
  }
  to = moveLeft(room, at + from, at + bytes.length, to);
  return carve(room, at, to);
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

/** Bytes carved from one slab at a time (one view per event, no Buffer object besides). */
const SLAB_BYTES = 64 * 1024;
/** Events at least this large get an array of their own. */
const MAX_CARVED = 4 * 1024;
let slab = new Uint8Array(SLAB_BYTES);
let slabUsed = 0;

/**
 * Room for an event's bytes before stripping: at the end of a shared slab
 * (zero-filled once per 64 KiB, not per event): a new ArrayBuffer per event
 * (zero-filled, tracked by the garbage collector on its own) cost more than the
 * splice itself on a gateway stripping every event, and Node's pool made a
 * Buffer object besides each view. A large event gets an array of its own.
 */
function reserve(length: number): { room: Uint8Array; at: number } {
  if (length >= MAX_CARVED) return { room: new Uint8Array(length), at: 0 };
  if (slabUsed + length > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  return { room: slab, at: slabUsed };
}

/**
 * The stripped event, [start, end) of its room. In a slab, what the cuts left over is given back
 * (offsets stay 8-byte aligned, as in Node's pool), and the slab is freed once no event carved from
 * it is held. A large event is copied to an array of its exact size, so the bytes cut out of it are
 * not held with it.
 */
function carve(room: Uint8Array, start: number, end: number): Uint8Array {
  if (room !== slab) return room.slice(start, end);
  slabUsed = start + ((end - start + 7) & ~7);
  return room.subarray(start, end);
}
