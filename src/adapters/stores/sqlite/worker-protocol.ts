import { DUPLICATE, retryable, STORED, type MaintenanceReport, type StoreEntry, type StoreHealth, type StreamOrigin, type WriteBatch, type WriteOutcome } from '../../../core/store.js';

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
  /** `buffer`: the batch's, handed back (transferred) for the next batch to reuse. */
  | { type: 'written'; id: number; outcomes: PackedOutcomes; buffer: ArrayBuffer }
  | { type: 'health'; id: number; health: StoreHealth }
  | { type: 'closed'; id: number }
  | { type: 'maintenance'; report: MaintenanceReport };

export interface SqliteWorkerData {
  path: string;
  maxEntriesPerCommit?: number;
  retentionMs?: number;
  retentionIntervalMs?: number;
}

/**
 * A batch as a handful of flat values rather than an object per entry (which
 * structured clone would walk one by one): the entries' bytes in one buffer,
 * their numbers in typed arrays, their strings joined into one.
 */
export interface PackedBatch {
  origin: Omit<StreamOrigin, 'metadataBytes'> & { metadataOffset: number; metadataLength: number };
  /** Per entry: 1 for an event, 0 for a rejected entry. */
  kinds: Uint8Array;
  /** Per entry: offset and length of its bytes in `buffer`. */
  spans: Uint32Array;
  timestampsMs: Float64Array;
  /** id, feature, action (and reason, for rejected entries) of every entry, concatenated... */
  text: string;
  /** ...and the length of each of those strings, in that order. */
  textLengths: Uint32Array;
  buffer: ArrayBuffer;
}

/**
 * Packs a batch into `spare` when it is large enough (a buffer an earlier batch came back in), else
 * into a new buffer with room to spare, so that the next batches of a similar size fit in it.
 */
export function packBatch(batch: WriteBatch, spare?: ArrayBuffer): PackedBatch {
  const { entries } = batch;
  const n = entries.length;
  let total = batch.origin.metadataBytes.length;
  let strings = 0;
  for (const entry of entries) {
    total += entry.bytes.length;
    strings += entry.kind === 'event' ? 3 : 4;
  }
  const buffer = spare !== undefined && spare.byteLength >= total ? spare : new ArrayBuffer(Math.ceil((total * 1.25) / 65_536) * 65_536);
  const view = new Uint8Array(buffer);
  view.set(batch.origin.metadataBytes, 0);
  let offset = batch.origin.metadataBytes.length;
  const kinds = new Uint8Array(n);
  const spans = new Uint32Array(2 * n);
  const timestampsMs = new Float64Array(n);
  const textLengths = new Uint32Array(strings);
  const parts: string[] = new Array(strings);
  let s = 0;
  const text = (value: string): void => {
    parts[s] = value;
    textLengths[s++] = value.length;
  };
  for (let i = 0; i < n; i++) {
    const entry = entries[i]!;
    view.set(entry.bytes, offset);
    spans[2 * i] = offset;
    spans[2 * i + 1] = entry.bytes.length;
    offset += entry.bytes.length;
    text(entry.id);
    text(entry.feature);
    text(entry.action);
    if (entry.kind === 'event') {
      kinds[i] = 1;
      timestampsMs[i] = entry.timestampMs;
    } else {
      text(entry.reason);
    }
  }
  const { metadataBytes, ...origin } = batch.origin;
  return {
    origin: { ...origin, metadataOffset: 0, metadataLength: metadataBytes.length },
    kinds,
    spans,
    timestampsMs,
    text: parts.join(''),
    textLengths,
    buffer,
  };
}

export function unpackBatch(packed: PackedBatch): WriteBatch {
  const { metadataOffset, metadataLength, ...origin } = packed.origin;
  const { kinds, spans, timestampsMs, text, textLengths, buffer } = packed;
  let at = 0;
  let s = 0;
  const next = (): string => {
    const length = textLengths[s++]!;
    at += length;
    return text.slice(at - length, at);
  };
  const nextName = (): string => {
    const length = textLengths[s++]!;
    at += length;
    return nameAt(text, at - length, length);
  };
  const entries = new Array<StoreEntry>(kinds.length);
  for (let i = 0; i < kinds.length; i++) {
    const bytes = new Uint8Array(buffer, spans[2 * i]!, spans[2 * i + 1]!);
    const id = next();
    const feature = nextName();
    const action = nextName();
    entries[i] = kinds[i] === 1
      ? { kind: 'event', id, feature, action, timestampMs: timestampsMs[i]!, bytes }
      : { kind: 'rejected', id, feature, action, reason: next(), bytes };
  }
  return { origin: { ...origin, metadataBytes: new Uint8Array(buffer, metadataOffset, metadataLength) }, entries };
}

/**
 * Feature and action names of recent batches, by a hash of their first and last
 * characters and length: the same few names come in batch after batch, and the
 * writer looks each one up in its rollup maps and binds it. A name found here
 * is the same string as last time (its hash computed once); a new one is
 * copied out of the batch's text, so the cache holds no batch's text alive.
 */
const NAME_SLOTS = 256;
const names = new Array<string | undefined>(NAME_SLOTS);

function nameAt(text: string, start: number, length: number): string {
  if (length === 0) return '';
  const slot = (length * 31 + text.charCodeAt(start) * 7 + text.charCodeAt(start + length - 1)) & (NAME_SLOTS - 1);
  const known = names[slot];
  if (known !== undefined && known.length === length && text.startsWith(known, start)) return known;
  const name = Buffer.from(text.slice(start, start + length), 'utf16le').toString('utf16le');
  names[slot] = name;
  return name;
}

/** Outcomes as one status byte each (0 stored, 1 duplicate, 2 retryable) and the retryable reasons by index. */
export interface PackedOutcomes {
  statuses: Uint8Array;
  reasons: Record<number, string>;
}

export function packOutcomes(outcomes: readonly WriteOutcome[]): PackedOutcomes {
  const statuses = new Uint8Array(outcomes.length);
  const reasons: Record<number, string> = {};
  outcomes.forEach((outcome, i) => {
    if (outcome.status === 'duplicate') statuses[i] = 1;
    else if (outcome.status === 'retryable') {
      statuses[i] = 2;
      reasons[i] = outcome.reason;
    }
  });
  return { statuses, reasons };
}

/** A plain loop: Array.from over the typed array went through its iterator, an object per entry (68 B per event). */
export function unpackOutcomes(packed: PackedOutcomes): WriteOutcome[] {
  const { statuses, reasons } = packed;
  const outcomes = new Array<WriteOutcome>(statuses.length);
  for (let i = 0; i < statuses.length; i++) {
    const status = statuses[i];
    outcomes[i] = status === 0 ? STORED : status === 1 ? DUPLICATE : retryable(reasons[i] ?? 'not written');
  }
  return outcomes;
}
