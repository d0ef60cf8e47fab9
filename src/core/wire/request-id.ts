import { createHash } from 'node:crypto';
import { readLength, readVarint32, skipValue, WireError, WireType, writeVarint, varintSize } from './wire-cursor.js';

/** `RecordEventsRequestMetadata.request_id` (PROTOCOL.md). */
const REQUEST_ID_FIELD = 1;
const REQUEST_ID_TAG = (REQUEST_ID_FIELD << 3) | WireType.LengthDelimited;

/** A stream's metadata split in two: what identifies the sender, and the request id that differs per stream. */
export interface SplitMetadata {
  /** The metadata without request_id: the same bytes for every stream of one sender. */
  identityBytes: Uint8Array;
  /** Hex SHA-256 of identityBytes: the key under which SQL stores keep the metadata once per sender. */
  identityDigest: string;
  /** The stream's request_id ('' when absent). */
  requestId: string;
}

/**
 * Cuts request_id out of a RecordEventsRequestMetadata's bytes. A store keeps
 * the rest once per sender and the request id beside each event, so a fleet
 * that opens a stream every few minutes adds no metadata rows;
 * joinRequestId puts it back. For metadata in canonical encoding (request_id,
 * field 1, first: what every protobuf runtime writes) the two are exact
 * inverses. Bytes that do not frame are kept whole, with no request id.
 */
export function splitRequestId(metadataBytes: Uint8Array): SplitMetadata {
  let requestId = '';
  const kept: [number, number][] = [];
  try {
    const c = { buf: metadataBytes, pos: 0 };
    const end = metadataBytes.length;
    while (c.pos < end) {
      const fieldStart = c.pos;
      const tag = readVarint32(c, end);
      if (tag === REQUEST_ID_TAG) {
        const bodyEnd = readLength(c, end);
        requestId = Buffer.from(metadataBytes.buffer, metadataBytes.byteOffset + c.pos, bodyEnd - c.pos).toString('utf8');
        c.pos = bodyEnd;
        continue;
      }
      if (!skipValue(c, tag & 7, end)) throw new WireError('group in metadata');
      const last = kept[kept.length - 1];
      if (last && last[1] === fieldStart) last[1] = c.pos;
      else kept.push([fieldStart, c.pos]);
    }
  } catch (error) {
    if (!(error instanceof WireError)) throw error;
    return withDigest(metadataBytes, '');
  }
  if (kept.length === 1 && kept[0]![0] === 0 && kept[0]![1] === metadataBytes.length) return withDigest(metadataBytes, requestId);
  const identityBytes = new Uint8Array(kept.reduce((n, [a, b]) => n + b - a, 0));
  let pos = 0;
  for (const [a, b] of kept) {
    identityBytes.set(metadataBytes.subarray(a, b), pos);
    pos += b - a;
  }
  return withDigest(identityBytes, requestId);
}

/** The metadata a stream sent, from what splitRequestId kept: request_id first, as canonical encoding has it. */
export function joinRequestId(identityBytes: Uint8Array, requestId: string | null | undefined): Uint8Array {
  if (!requestId) return identityBytes;
  const id = Buffer.from(requestId, 'utf8');
  const out = new Uint8Array(1 + varintSize(id.length) + id.length + identityBytes.length);
  out[0] = REQUEST_ID_TAG;
  let pos = writeVarint(out, 1, id.length);
  out.set(id, pos);
  pos += id.length;
  out.set(identityBytes, pos);
  return out;
}

/** A stored row as readers return it: its metadata as the stream sent it, from the sender's metadata and the row's request_id (NULL: the metadata is whole). */
export function withStreamMetadata<Row extends { metadataBytes: Uint8Array }>(row: Row & { requestId: string | null }): Row {
  const { requestId, ...rest } = row;
  return { ...rest, metadataBytes: joinRequestId(row.metadataBytes, requestId) } as unknown as Row;
}

function withDigest(identityBytes: Uint8Array, requestId: string): SplitMetadata {
  return { identityBytes, identityDigest: createHash('sha256').update(identityBytes).digest('hex'), requestId };
}
