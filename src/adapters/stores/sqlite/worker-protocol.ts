import type { StoreEntry, StoreHealth, StreamOrigin, WriteBatch, WriteOutcome } from '../../../core/store.js';

/**
 * Messages between the gateway thread and the SQLite writer thread.
 *
 * A batch's bytes travel packed into one transferred ArrayBuffer: an entry's
 * bytes are usually a view into the whole request buffer, and structured clone
 * would copy that entire buffer once per entry.
 */
export type ToWorker =
  | { type: 'write'; id: number; batch: PackedBatch }
  | { type: 'health'; id: number }
  | { type: 'close'; id: number };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'failed'; reason: string }
  | { type: 'written'; id: number; outcomes: WriteOutcome[] }
  | { type: 'health'; id: number; health: StoreHealth }
  | { type: 'closed'; id: number };

export interface SqliteWorkerData {
  path: string;
  maxEntriesPerCommit?: number;
}

type PackedEntry = Omit<StoreEntry, 'bytes' | 'event'> & { offset: number; length: number };

export interface PackedBatch {
  origin: Omit<StreamOrigin, 'metadataBytes'> & { metadataOffset: number; metadataLength: number };
  entries: PackedEntry[];
  buffer: ArrayBuffer;
}

export function packBatch(batch: WriteBatch): PackedBatch {
  const total = batch.origin.metadataBytes.length + batch.entries.reduce((n, e) => n + e.bytes.length, 0);
  const buffer = new ArrayBuffer(total);
  const view = new Uint8Array(buffer);
  let offset = 0;
  const place = (bytes: Uint8Array): [number, number] => {
    view.set(bytes, offset);
    offset += bytes.length;
    return [offset - bytes.length, bytes.length];
  };
  const { metadataBytes, ...origin } = batch.origin;
  const [metadataOffset, metadataLength] = place(metadataBytes);
  // The decoded event stays behind: cloning it would cost more than SQLite needs it.
  const entries = batch.entries.map((whole) => {
    const { bytes, ...entry } = whole;
    if ('event' in entry) delete entry.event;
    const [entryOffset, length] = place(bytes);
    return { ...entry, offset: entryOffset, length } as PackedEntry;
  });
  return { origin: { ...origin, metadataOffset, metadataLength }, entries, buffer };
}

export function unpackBatch(packed: PackedBatch): WriteBatch {
  const { metadataOffset, metadataLength, ...origin } = packed.origin;
  const bytes = (offset: number, length: number): Uint8Array => new Uint8Array(packed.buffer, offset, length);
  return {
    origin: { ...origin, metadataBytes: bytes(metadataOffset, metadataLength) },
    entries: packed.entries.map(({ offset, length, ...entry }) => ({ ...entry, bytes: bytes(offset, length) }) as StoreEntry),
  };
}
