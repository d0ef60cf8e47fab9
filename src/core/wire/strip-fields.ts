import type { ScannedEvent } from './scan-event.js';
import { readVarint32, varintSize, writeVarint } from './wire-cursor.js';

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
  const marketingLength = marketing !== undefined ? marketing.end - marketing.start : 0;
  if (removedInside === 0) {
    // Only the marketing field goes: the bytes before it, then the bytes after it.
    const out = pooledBytes(bytes.length - marketingLength);
    out.set(bytes.subarray(0, marketing!.start), 0);
    out.set(bytes.subarray(marketing!.end), marketing!.start);
    return out;
  }

  // The parameters' length prefix is rewritten (it may take fewer bytes than before).
  const cursor = { buf: bytes, pos: parameters!.start };
  readVarint32(cursor, parameters!.bodyStart); // the tag
  const lengthStart = cursor.pos;
  const newBodyLength = readVarint32(cursor, parameters!.bodyStart) - removedInside;
  const oldPrefix = parameters!.bodyStart - lengthStart;
  const out = pooledBytes(bytes.length - marketingLength - removedInside - oldPrefix + varintSize(newBodyLength));

  // In byte order: the marketing field (a top-level field, so wholly before or after the
  // parameters), the parameters' length prefix, the private field inside the parameters.
  const marketingFirst = marketing !== undefined && marketing.start < parameters!.start;
  let pos = 0;
  let from = 0;
  if (marketingFirst) {
    pos = copy(bytes, from, marketing.start, out, pos);
    from = marketing.end;
  }
  pos = copy(bytes, from, lengthStart, out, pos);
  pos = writeVarint(out, pos, newBodyLength);
  pos = copy(bytes, parameters!.bodyStart, privateField!.start, out, pos);
  from = privateField!.end;
  if (marketing !== undefined && !marketingFirst) {
    pos = copy(bytes, from, marketing.start, out, pos);
    from = marketing.end;
  }
  copy(bytes, from, bytes.length, out, pos);
  return out;
}

/** Segments up to this long are copied byte by byte: a view made to copy a few bytes cost more. */
const SHORT_COPY = 32;

/** Copies bytes [from, to) to `out` at `pos`; returns the position after them. */
function copy(bytes: Uint8Array, from: number, to: number, out: Uint8Array, pos: number): number {
  if (to <= from) return pos;
  if (to - from <= SHORT_COPY) {
    for (let i = from; i < to; i++) out[pos++] = bytes[i]!;
    return pos;
  }
  out.set(bytes.subarray(from, to), pos);
  return pos + to - from;
}

/** Bytes carved from one slab at a time (one view per event, no Buffer object besides). */
const SLAB_BYTES = 64 * 1024;
/** Events at least this large get an ArrayBuffer of their own. */
const MAX_CARVED = 4 * 1024;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

/**
 * A Uint8Array carved from a shared slab (zero-filled once per 64 KiB, not
 * per event): a new ArrayBuffer per event (zero-filled, tracked by the garbage
 * collector on its own) cost more than the splice itself on a gateway
 * stripping every event, and Node's pool made a Buffer object besides each
 * view. Offsets stay 8-byte aligned, as in Node's pool. A slab is freed once
 * no event carved from it is held.
 */
function pooledBytes(length: number): Uint8Array {
  if (length >= MAX_CARVED) return new Uint8Array(length);
  if (slabUsed + length > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = new Uint8Array(slab, slabUsed, length);
  slabUsed += (length + 7) & ~7;
  return out;
}
