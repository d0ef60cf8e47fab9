import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { EventQueue, ExportedEvent, PendingEvent, QueuedEvent, QueueStats } from '../../exporter/queue.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS queued_events (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    timestamp_ms   INTEGER NOT NULL,
    payload        BLOB NOT NULL,
    exported_at_ms INTEGER
  );
  CREATE INDEX IF NOT EXISTS queued_events_pending ON queued_events(seq) WHERE exported_at_ms IS NULL;
  CREATE INDEX IF NOT EXISTS queued_events_exported ON queued_events(exported_at_ms) WHERE exported_at_ms IS NOT NULL;
`;

interface PendingWrite {
  apply: () => void;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * The default exporter queue: one SQLite file shared by the recording process
 * and the export daemon (WAL lets them work at once). synchronous=FULL, so an
 * event is on disk before record() resolves. Writes (enqueues, and marks as
 * each gateway response arrives) share one commit per event-loop turn, so
 * neither pays an fsync each.
 */
export function openSqliteQueue(path: string): EventQueue {
  mkdirSync(dirname(path), { recursive: true });
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 10000');
  db.exec(SCHEMA);

  const insert = db.prepare('INSERT OR IGNORE INTO queued_events (id, timestamp_ms, payload) VALUES (?, ?, ?)');
  const selectPending = db.prepare(
    `SELECT seq, id, timestamp_ms AS timestampMs, payload AS bytes FROM queued_events
      WHERE exported_at_ms IS NULL AND seq > ? ORDER BY seq LIMIT ?`,
  );
  const mark = db.prepare('UPDATE queued_events SET exported_at_ms = ? WHERE id = ? AND exported_at_ms IS NULL');
  const purge = db.prepare('DELETE FROM queued_events WHERE exported_at_ms IS NOT NULL AND exported_at_ms < ?');
  const countPending = db.prepare('SELECT count(*) AS n, min(timestamp_ms) AS oldest FROM queued_events WHERE exported_at_ms IS NULL');
  const countExported = db.prepare('SELECT count(*) AS n FROM queued_events WHERE exported_at_ms IS NOT NULL');
  const selectExported = db.prepare(
    `SELECT id, timestamp_ms AS timestampMs, payload AS bytes, exported_at_ms AS exportedAtMs FROM queued_events
      WHERE exported_at_ms IS NOT NULL ORDER BY exported_at_ms DESC, seq DESC LIMIT ?`,
  );
  const applyAll = db.transaction((writes: PendingWrite[]) => {
    for (const write of writes) write.apply();
  });

  let waiting: PendingWrite[] = [];
  let flushScheduled = false;
  let closed = false;
  const flush = (): void => {
    flushScheduled = false;
    const writes = waiting;
    waiting = [];
    try {
      applyAll(writes);
      for (const write of writes) write.resolve();
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

  return {
    description: `sqlite:${path}`,
    enqueue(events) {
      if (events.length === 0) return Promise.resolve();
      return commitSoon(() => {
        for (const e of events) insert.run(e.id, e.timestampMs, e.bytes);
      });
    },
    async pending({ limit, afterSeq = 0 }) {
      open();
      return selectPending.all(afterSeq, limit) as PendingEvent[];
    },
    markExported(ids, exportedAtMs) {
      return commitSoon(() => {
        for (const id of ids) mark.run(exportedAtMs, id);
      });
    },
    async deleteExportedBefore(cutoffMs) {
      open();
      return purge.run(cutoffMs).changes;
    },
    async stats(nowMs): Promise<QueueStats> {
      open();
      const pending = countPending.get() as { n: number; oldest: number | null };
      const exported = countExported.get() as { n: number };
      return {
        pending: pending.n,
        oldestPendingAgeMs: pending.oldest === null ? null : Math.max(0, nowMs - pending.oldest),
        exportedKept: exported.n,
      };
    },
    async recentlyExported(limit) {
      open();
      return selectExported.all(limit) as ExportedEvent[];
    },
    async close() {
      if (closed) return;
      if (flushScheduled) flush();
      closed = true;
      db.close();
    },
  };
}

