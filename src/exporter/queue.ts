/**
 * The exporter's durable queue port (BEHAVIOR.md 5.1): rows of
 * (id, timestamp, payload bytes, exported_at). SQLite and PostgreSQL implement it.
 */

export interface QueuedEvent {
  id: string;
  timestampMs: number;
  /** The redacted Event, protobuf-encoded: exactly what goes on the wire. */
  bytes: Uint8Array;
}

export interface PendingEvent extends QueuedEvent {
  /** Queue order: export reads pending events by ascending seq. */
  seq: number;
}

export interface ExportedEvent extends QueuedEvent {
  exportedAtMs: number;
}

export interface QueueStats {
  pending: number;
  /** Age of the oldest pending event by its timestamp, or null when nothing is pending. */
  oldestPendingAgeMs: number | null;
  /** Exported rows still kept for inspection (until retention deletes them). */
  exportedKept: number;
}

export interface EventQueue {
  /** Without credentials, e.g. "sqlite:./data/queue.db". */
  readonly description: string;
  /** Resolves once every event is durable. An id already queued is left as it is. */
  enqueue(events: readonly QueuedEvent[]): Promise<void>;
  /** Pending events in queue order, after `afterSeq` (a cursor within one export run). */
  pending(options: { limit: number; afterSeq?: number }): Promise<PendingEvent[]>;
  /** Marks these ids exported (durably); unknown or already exported ids are ignored. */
  markExported(ids: readonly string[], exportedAtMs: number): Promise<void>;
  /** Deletes exported rows exported before the cutoff; returns how many. */
  deleteExportedBefore(cutoffMs: number): Promise<number>;
  stats(nowMs: number): Promise<QueueStats>;
  /** The most recently exported rows, newest first (what left the instance). */
  recentlyExported(limit: number): Promise<ExportedEvent[]>;
  /** Idempotent; waits for writes in progress. */
  close(): Promise<void>;
}
