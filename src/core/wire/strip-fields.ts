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
  const cuts: [number, number][] = [];
  if (scan.marketingTracking) cuts.push([scan.marketingTracking.start, scan.marketingTracking.end]);
  const parameters = scan.parameters;
  const removedInside = scan.privateMetadata ? scan.privateMetadata.end - scan.privateMetadata.start : 0;
  if (cuts.length === 0 && removedInside === 0) return bytes;

  // The parameters' new length prefix: it may take fewer bytes than before.
  let oldPrefix = 0;
  let newBodyLength = 0;
  if (parameters && removedInside > 0) {
    const cursor = { buf: bytes, pos: parameters.start };
    readVarint32(cursor, parameters.bodyStart); // the tag
    const lengthStart = cursor.pos;
    const oldBodyLength = readVarint32(cursor, parameters.bodyStart);
    oldPrefix = parameters.bodyStart - lengthStart;
    newBodyLength = oldBodyLength - removedInside;
  }
  const newPrefix = removedInside > 0 ? varintSize(newBodyLength) : 0;
  const out = pooledBytes(bytes.length - cuts.reduce((n, [a, b]) => n + b - a, 0) - removedInside - oldPrefix + newPrefix);

  let pos = 0;
  let from = 0;
  const copyUpTo = (to: number): void => {
    if (to > from) out.set(bytes.subarray(from, to), pos);
    pos += Math.max(0, to - from);
  };
  // Cut points in byte order: the marketing field, and the parameters' length + private field.
  const edits: { at: number; skipTo: number; write?: () => void }[] = cuts.map(([a, b]) => ({ at: a, skipTo: b }));
  if (parameters && scan.privateMetadata && removedInside > 0) {
    const lengthStart = parameters.bodyStart - oldPrefix;
    edits.push({ at: lengthStart, skipTo: parameters.bodyStart, write: () => (pos = writeVarint(out, pos, newBodyLength)) });
    edits.push({ at: scan.privateMetadata.start, skipTo: scan.privateMetadata.end });
  }
  edits.sort((x, y) => x.at - y.at);
  for (const edit of edits) {
    copyUpTo(edit.at);
    edit.write?.();
    from = edit.skipTo;
  }
  copyUpTo(bytes.length);
  return out;
}

/**
 * An uninitialised Uint8Array carved from Node's shared allocation pool (for
 * sizes under 4 KiB): every byte is written before it is read, and a new
 * ArrayBuffer per event (zero-filled, tracked by the garbage collector on its
 * own) cost more than the splice itself on a gateway stripping every event.
 */
function pooledBytes(length: number): Uint8Array {
  const buffer = Buffer.allocUnsafe(length);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
}
