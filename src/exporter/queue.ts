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

/** An event set aside because the gateway refused it on its own (never re-sent). */
export interface FailedEvent extends QueuedEvent {
  failedAtMs: number;
  reason: string;
}

export interface QueueStats {
  pending: number;
  /** Encoded bytes of the pending events. */
  pendingBytes: number;
  /** Age of the oldest pending event by its timestamp, or null when nothing is pending. */
  oldestPendingAgeMs: number | null;
  /** Exported rows still kept for inspection (until retention deletes them). */
  exportedKept: number;
  /** Events set aside as failed (poison), kept for inspection until retention deletes them. */
  failed: number;
}

/** What a bounded queue holds at most; enqueue refuses (QueueFullError) what would go beyond. */
export interface QueueLimits {
  maxPendingEvents?: number;
  maxPendingBytes?: number;
}

/**
 * The queue is full: these events were not queued (nothing already queued is
 * ever dropped to make room). The caller decides: drop them, or retry later.
 */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
  readonly code = 'QUEUE_FULL';
}

export interface EventQueue {
  /** Without credentials, e.g. "sqlite:./data/queue.db". */
  readonly description: string;
  /**
   * Resolves once every event is durable. An id already queued is left as it is.
   * Rejects with QueueFullError, queuing none of them, when they would exceed the queue's limits.
   */
  enqueue(events: readonly QueuedEvent[]): Promise<void>;
  /** Pending events in queue order, after `afterSeq` (a cursor within one export run). */
  pending(options: { limit: number; afterSeq?: number }): Promise<PendingEvent[]>;
  /** Marks these ids exported (durably); unknown or already exported ids are ignored. */
  markExported(ids: readonly string[], exportedAtMs: number): Promise<void>;
  /** Sets these pending events aside as failed, with why; they are no longer pending. */
  markFailed(events: readonly { id: string; reason: string }[], failedAtMs: number): Promise<void>;
  /**
   * Deletes exported rows exported before the cutoff, and failed rows set aside
   * before it; returns how many. Gives the space back to the file system where it can.
   */
  deleteExportedBefore(cutoffMs: number): Promise<number>;
  stats(nowMs: number): Promise<QueueStats>;
  /** The most recently exported rows, newest first (what left the instance). */
  recentlyExported(limit: number): Promise<ExportedEvent[]>;
  /** The most recently failed rows, newest first. */
  recentlyFailed(limit: number): Promise<FailedEvent[]>;
  /** Idempotent; waits for writes in progress. */
  close(): Promise<void>;
}
