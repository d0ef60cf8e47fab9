import type { Event } from '../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import type { Source } from './identity/source.js';

/**
 * The store port: every store and bus (SQLite, PostgreSQL, NATS, fan-out)
 * implements EventStore; SQL stores also implement EventReader.
 */

/** Who sent a batch, and the metadata message every record of theirs carries. */
export interface StreamOrigin {
  source: Source;
  /** `publisher.source` attribute. */
  publisher: string;
  /** The stream's RecordEventsRequestMetadata as wire bytes (stores keep it once per stream). */
  metadataBytes: Uint8Array;
  /** Hex SHA-256 of metadataBytes: the key under which a store keeps them. */
  metadataDigest: string;
}

/** A valid event, ready to be written. `bytes` is the Event in protobuf after the pipeline. */
export interface EventEntry {
  kind: 'event';
  id: string;
  feature: string;
  action: string;
  timestampMs: number;
  bytes: Uint8Array;
  /**
   * The same event decoded, when the pipeline has it: stores that render JSON
   * or attributes use it instead of decoding `bytes` again. Never differs from `bytes`.
   */
  event?: Event;
}

/** An event that can never be recorded, kept with the reason so nothing is silently dropped. */
export interface RejectedEntry {
  kind: 'rejected';
  id: string;
  feature: string;
  action: string;
  reason: string;
  bytes: Uint8Array;
}

export type StoreEntry = EventEntry | RejectedEntry;

export interface WriteBatch {
  origin: StreamOrigin;
  entries: readonly StoreEntry[];
}

/**
 * Per-entry result of a write, in entry order. `stored` and `duplicate` are
 * durable (an id seen before counts as recorded); `retryable` was not written
 * and must not be acknowledged.
 */
export type WriteOutcome = { status: 'stored' } | { status: 'duplicate' } | { status: 'retryable'; reason: string };

export const STORED: WriteOutcome = Object.freeze({ status: 'stored' });
export const DUPLICATE: WriteOutcome = Object.freeze({ status: 'duplicate' });
export function retryable(reason: string): WriteOutcome {
  return { status: 'retryable', reason };
}

/**
 * What one background maintenance pass of a store did (retention: deleted
 * rows, dropped partitions), or why it failed; for logs and metrics. A failed
 * pass is retried at the next one.
 */
export type MaintenanceReport =
  | { ok: true; deletedEvents: number; deletedRejected: number; droppedPartitions: number }
  | { ok: false; reason: string };

export type MaintenanceListener = (report: MaintenanceReport) => void;

export type StoreHealth = { ok: true; latencyMs: number } | { ok: false; reason: string };

export interface EventStore {
  /** A short description without credentials, e.g. "sqlite:./data/telemetry.db". */
  readonly description: string;
  /** Resolves once every entry is durable or known not to be; never rejects for expected failures. */
  write(batch: WriteBatch): Promise<WriteOutcome[]>;
  /** Whether the store accepts writes right now. */
  health(): Promise<StoreHealth>;
  /** Idempotent. Waits for in-flight writes. */
  close(): Promise<void>;
}

export interface StoredEventRow {
  seq: number;
  id: string;
  eventBytes: Uint8Array;
  metadataBytes: Uint8Array;
  publisher: string;
  receivedAtMs: number;
}

export interface RejectedEventRow {
  seq: number;
  id: string;
  feature: string;
  action: string;
  reason: string;
  publisher: string;
  eventBytes: Uint8Array;
  metadataBytes: Uint8Array;
  receivedAtMs: number;
}

export interface ListOptions {
  /** At most this many rows, oldest first. */
  limit: number;
  /** Only rows after this sequence number (for paging). */
  afterSeq?: number;
}

export interface EventReader {
  listEvents(options: ListOptions): Promise<StoredEventRow[]>;
  countEvents(): Promise<number>;
  listRejected(options: ListOptions): Promise<RejectedEventRow[]>;
  countRejected(): Promise<number>;
  close(): Promise<void>;
}
