import BetterSqlite3 from 'better-sqlite3';
import { ensurePrivateFile } from '../fs/private-file.js';
import { prepareQueueSchema } from './sqlite-queue-schema.js';
import { QueueFullError, type EventQueue, type ExportedEvent, type FailedEvent, type PendingEvent, type QueueLimits, type QueueStats } from '../../exporter/queue.js';

interface PendingWrite {
  apply: () => void;
  resolve: () => void;
  reject: (error: Error) => void;
}

export interface SqliteQueueOptions extends QueueLimits {}

/**
 * The default exporter queue: one SQLite file shared by the recording process
 * and the export daemon (WAL lets them work at once). synchronous=FULL, so an
 * event is on disk before record() resolves. Writes (enqueues, and marks as
 * each gateway response arrives) share one commit per event-loop turn, so
 * neither pays an fsync each. auto_vacuum=INCREMENTAL: the space retention
 * frees goes back to the file system. The file holds the instance's events
 * (user ids, metadata, allowlisted private values), so it is owner-only: 0600,
 * also when it existed wider (SQLite gives its -wal/-shm the same mode), in a
 * directory created 0700.
 */
export function openSqliteQueue(path: string, options: SqliteQueueOptions = {}): EventQueue {
  ensurePrivateFile(path);
  const db = new BetterSqlite3(path);
  db.pragma('busy_timeout = 10000');
  if ((db.pragma('auto_vacuum', { simple: true }) as number) !== 2) {
    db.pragma('auto_vacuum = INCREMENTAL');
    // A file made before this setting needs one VACUUM to take it; a new one does not. Busy (the
    // other process is writing): the file keeps working as it is and the next open tries again.
    if ((db.pragma('page_count', { simple: true }) as number) > 0) {
      try {
        db.exec('VACUUM');
      } catch {
        // SQLITE_BUSY: see above.
      }
    }
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  prepareQueueSchema(db);

  const insert = db.prepare('INSERT OR IGNORE INTO queued_events (id, timestamp_ms, payload_bytes) VALUES (?, ?, ?)');
  const insertPayload = db.prepare('INSERT INTO queued_payloads (seq, payload) VALUES (?, ?)');
  const counters = db.prepare('SELECT pending_events AS events, pending_bytes AS bytes FROM queue_counters WHERE id = 1');
  const selectPending = db.prepare(
    `SELECT e.seq, e.id, e.timestamp_ms AS timestampMs, p.payload AS bytes
       FROM queued_events e JOIN queued_payloads p ON p.seq = e.seq
      WHERE e.exported_at_ms IS NULL AND e.seq > ? ORDER BY e.seq LIMIT ?`,
  );
  const mark = db.prepare('UPDATE queued_events SET exported_at_ms = ? WHERE id = ? AND exported_at_ms IS NULL');
  const markRange = db.prepare('UPDATE queued_events SET exported_at_ms = ? WHERE seq BETWEEN ? AND ? AND exported_at_ms IS NULL');
  const copyFailed = db.prepare(
    `INSERT OR REPLACE INTO failed_events (id, timestamp_ms, payload, failed_at_ms, reason)
       SELECT e.id, e.timestamp_ms, p.payload, ?, ? FROM queued_events e JOIN queued_payloads p ON p.seq = e.seq
        WHERE e.id = ? AND e.exported_at_ms IS NULL`,
  );
  const deletePending = db.prepare('DELETE FROM queued_events WHERE id = ? AND exported_at_ms IS NULL RETURNING seq');
  const deletePayload = db.prepare('DELETE FROM queued_payloads WHERE seq = ?');
  const purgePayloads = db.prepare(
    'DELETE FROM queued_payloads WHERE seq IN (SELECT seq FROM queued_events WHERE exported_at_ms IS NOT NULL AND exported_at_ms < ?)',
  );
  const purge = db.prepare('DELETE FROM queued_events WHERE exported_at_ms IS NOT NULL AND exported_at_ms < ?');
  const purgeFailed = db.prepare('DELETE FROM failed_events WHERE failed_at_ms < ?');
  const oldestPending = db.prepare('SELECT min(timestamp_ms) AS oldest FROM queued_events WHERE exported_at_ms IS NULL');
  const countExported = db.prepare('SELECT count(*) AS n FROM queued_events WHERE exported_at_ms IS NOT NULL');
  const countFailed = db.prepare('SELECT count(*) AS n FROM failed_events');
  const selectExported = db.prepare(
    `SELECT e.id, e.timestamp_ms AS timestampMs, p.payload AS bytes, e.exported_at_ms AS exportedAtMs
       FROM queued_events e JOIN queued_payloads p ON p.seq = e.seq
      WHERE e.exported_at_ms IS NOT NULL ORDER BY e.exported_at_ms DESC, e.seq DESC LIMIT ?`,
  );
  const selectFailed = db.prepare(
    `SELECT id, timestamp_ms AS timestampMs, payload AS bytes, failed_at_ms AS failedAtMs, reason FROM failed_events
      ORDER BY failed_at_ms DESC, rowid DESC LIMIT ?`,
  );
  // One transaction per turn; a write refused for the queue's limits is refused alone.
  const applyAll = db.transaction((writes: PendingWrite[]) =>
    writes.map((write) => {
      try {
        write.apply();
        return undefined;
      } catch (error) {
        if (error instanceof QueueFullError) return error;
        throw error;
      }
    }),
  );

  // Where each pending row read in this export run stood: acknowledged ids that
  // were read one after another are marked with one range update (no pending row
  // lies between them: seq only grows, and rows leave only by being marked or set aside).
  const readOrder = new Map<string, { seq: number; position: number }>();
  let nextPosition = 0;
  type MarkGroup = { kind: 'range'; fromSeq: number; toSeq: number } | { kind: 'id'; id: string };
  const contiguousRuns = (ids: readonly string[]): MarkGroup[] => {
    const groups: MarkGroup[] = [];
    const known: { seq: number; position: number }[] = [];
    for (const id of ids) {
      const read = readOrder.get(id);
      if (read === undefined) groups.push({ kind: 'id', id });
      else {
        known.push(read);
        readOrder.delete(id);
      }
    }
    known.sort((a, b) => a.position - b.position);
    for (let i = 0; i < known.length; ) {
      let j = i;
      while (j + 1 < known.length && known[j + 1]!.position === known[j]!.position + 1) j++;
      groups.push({ kind: 'range', fromSeq: known[i]!.seq, toSeq: known[j]!.seq });
      i = j + 1;
    }
    return groups;
  };

  let waiting: PendingWrite[] = [];
  let flushScheduled = false;
  let closed = false;
  const flush = (): void => {
    flushScheduled = false;
    const writes = waiting;
    waiting = [];
    try {
      const refused = applyAll(writes);
      writes.forEach((write, i) => (refused[i] ? write.reject(refused[i]) : write.resolve()));
    } catch (error) {
      for (const write of writes) write.reject(error as Error);
    }
  };
  const open = (): void => {
    if (closed) throw new Error('the queue is closed');
  };
  const commitSoon = (apply: () => void): Promise<void> => {
    if (closed) return Promise.reject(new Error('the queue is closed'));
    return new Promise((resolve, reject) => {
      waiting.push({ apply, resolve, reject });
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    });
  };
  const checkLimits = (events: number, bytes: number): void => {
    if (options.maxPendingEvents === undefined && options.maxPendingBytes === undefined) return;
    const now = counters.get() as { events: number; bytes: number };
    if (options.maxPendingEvents !== undefined && now.events + events > options.maxPendingEvents) {
      throw new QueueFullError(`the export queue is full: ${now.events} events pending (limit ${options.maxPendingEvents}); ${events} not queued`);
    }
    if (options.maxPendingBytes !== undefined && now.bytes + bytes > options.maxPendingBytes) {
      throw new QueueFullError(`the export queue is full: ${now.bytes} bytes pending (limit ${options.maxPendingBytes}); ${events} events not queued`);
    }
  };

  return {
    description: `sqlite:${path}`,
    enqueue(events) {
      if (events.length === 0) return Promise.resolve();
      return commitSoon(() => {
        checkLimits(events.length, events.reduce((sum, e) => sum + e.bytes.length, 0));
        for (const e of events) {
          const { changes, lastInsertRowid } = insert.run(e.id, e.timestampMs, e.bytes.length);
          if (changes > 0) insertPayload.run(lastInsertRowid, e.bytes);
        }
      });
    },
    async pending({ limit, afterSeq = 0 }) {
      open();
      const rows = selectPending.all(afterSeq, limit) as PendingEvent[];
      if (afterSeq === 0) readOrder.clear(); // a new export run
      for (const row of rows) readOrder.set(row.id, { seq: row.seq, position: nextPosition++ });
      return rows;
    },
    markExported(ids, exportedAtMs) {
      return commitSoon(() => {
        for (const group of contiguousRuns(ids)) {
          if (group.kind === 'range') markRange.run(exportedAtMs, group.fromSeq, group.toSeq);
          else mark.run(exportedAtMs, group.id);
        }
      });
    },
    markFailed(events, failedAtMs) {
      return commitSoon(() => {
        for (const { id, reason } of events) {
          if (copyFailed.run(failedAtMs, reason, id).changes === 0) continue;
          const removed = deletePending.get(id) as { seq: number } | undefined;
          if (removed !== undefined) deletePayload.run(removed.seq);
        }
      });
    },
    async deleteExportedBefore(cutoffMs) {
      open();
      const deleted = db.transaction(() => (purgePayloads.run(cutoffMs), purge.run(cutoffMs).changes) + purgeFailed.run(cutoffMs).changes)();
      if (deleted > 0) {
        db.pragma('incremental_vacuum');
        db.pragma('wal_checkpoint(TRUNCATE)'); // a checkpoint blocked by a reader is retried next time
      }
      return deleted;
    },
    async stats(nowMs): Promise<QueueStats> {
      open();
      const { events, bytes } = counters.get() as { events: number; bytes: number };
      const { oldest } = oldestPending.get() as { oldest: number | null };
      return {
        pending: events,
        pendingBytes: bytes,
        oldestPendingAgeMs: oldest === null ? null : Math.max(0, nowMs - oldest),
        exportedKept: (countExported.get() as { n: number }).n,
        failed: (countFailed.get() as { n: number }).n,
      };
    },
    async recentlyExported(limit) {
      open();
      return selectExported.all(limit) as ExportedEvent[];
    },
    async recentlyFailed(limit) {
      open();
      return selectFailed.all(limit) as FailedEvent[];
    },
    async close() {
      if (closed) return;
      if (flushScheduled) flush();
      closed = true;
      db.close();
    },
  };
}
