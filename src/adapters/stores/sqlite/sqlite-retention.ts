import type { Database } from 'better-sqlite3';

/**
 * Retention for the SQLite store: deletes events whose event time is older
 * than `retentionMs`, with their `event_keys` rows, rejected entries received
 * before the cutoff, and `event_minutes` rollups of minutes before it.
 *
 * Small steps: each `step()` is one short transaction of at most `batchRows`
 * rows, run on the writer thread between group commits, so ingest waits for
 * one small delete at most, never for a whole pass.
 *
 * Old events are found through `event_keys` (ordered by event time), which
 * covers every row up to `keys_through_seq`, and by a scan of the rows after
 * it (at most two key generations, ~130k rows, whose keys are still in
 * memory: a quiet store may take months to fill one). The events table has no
 * index on event time (version 3 dropped it to keep inserts cheap), and none
 * is needed this way.
 *
 * Dedup: an id re-sent after retention deleted its event is stored again (its
 * key went with it). Everything else stays exact: keys are only ever deleted
 * with their rows, and a key left in memory for a deleted row is confirmed
 * against the row, finds none, and so never makes a new event a duplicate.
 *
 * Sequence numbers: the newest row of each table is never deleted. Its seq is
 * the highest, and SQLite gives a new row max(seq) + 1; deleting it would hand
 * its seq out again, and readers page by seq (`afterSeq`) and the key table
 * trusts that seqs only grow.
 */
export interface SqliteRetention {
  /** Deletes one batch of what is past retention, or frees pages; `more` is false once nothing is left to do. */
  step(): RetentionStep;
}

export interface RetentionStep {
  more: boolean;
  deletedEvents: number;
  deletedRejected: number;
}

export interface SqliteRetentionOptions {
  retentionMs: number;
  /** Most rows deleted per transaction. */
  batchRows?: number;
  /** Most pages freed per incremental_vacuum step. */
  vacuumPages?: number;
  now?: () => number;
}

export function createSqliteRetention(db: Database, options: SqliteRetentionOptions): SqliteRetention {
  const batchRows = options.batchRows ?? 1000;
  const vacuumPages = options.vacuumPages ?? 2000;
  const now = options.now ?? Date.now;
  const oldKeys = db.prepare(
    `SELECT event_ms AS eventMs, id_hash AS idHash, seq FROM event_keys
      WHERE event_ms < ? AND seq < (SELECT max(seq) FROM events) ORDER BY event_ms LIMIT ?`,
  );
  const oldRecentRows = db.prepare(
    `SELECT seq FROM events
      WHERE seq > (SELECT coalesce(max(value), 0) FROM store_meta WHERE key = 'keys_through_seq')
        AND event_ms < ? AND seq < (SELECT max(seq) FROM events) LIMIT ?`,
  ).pluck();
  const deleteEvent = db.prepare('DELETE FROM events WHERE seq = ?');
  const deleteKey = db.prepare('DELETE FROM event_keys WHERE event_ms = ? AND id_hash = ? AND seq = ?');
  const deleteRejected = db.prepare(
    `DELETE FROM rejected_events WHERE seq IN (
       SELECT seq FROM rejected_events WHERE received_ms < ? AND seq < (SELECT max(seq) FROM rejected_events)
        ORDER BY received_ms LIMIT ?)`,
  );
  const deleteMinutes = db.prepare(
    `DELETE FROM event_minutes WHERE (minute_ms, metadata_id, feature, action) IN (
       SELECT minute_ms, metadata_id, feature, action FROM event_minutes WHERE minute_ms < ? ORDER BY minute_ms LIMIT ?)`,
  );
  // Only a file with auto_vacuum=INCREMENTAL (2) can give pages back; NONE reuses them in place.
  const incremental = (db.pragma('auto_vacuum', { simple: true }) as number) === 2;
  const freePages = db.prepare('PRAGMA freelist_count').pluck();

  const deleteBatch = db.transaction((cutoffMs: number): RetentionStep => {
    let deleted = 0;
    for (const key of oldKeys.all(cutoffMs, batchRows) as { eventMs: number; idHash: number; seq: number }[]) {
      deleteEvent.run(key.seq);
      deleteKey.run(key.eventMs, key.idHash, key.seq);
      deleted++;
    }
    if (deleted < batchRows) {
      // Their keys are in memory only; a key left there for a deleted row confirms nothing (see above).
      for (const seq of oldRecentRows.all(cutoffMs, batchRows - deleted) as number[]) deleted += deleteEvent.run(seq).changes;
    }
    const deletedEvents = deleted;
    if (deleted < batchRows) deleted += deleteRejected.run(cutoffMs, batchRows - deleted).changes;
    const deletedRejected = deleted - deletedEvents;
    if (batchRows - deleted > 0) deleted += deleteMinutes.run(cutoffMs, batchRows - deleted).changes;
    return { more: deleted > 0, deletedEvents, deletedRejected };
  });

  return {
    step() {
      const deleted = deleteBatch.immediate(now() - options.retentionMs);
      if (deleted.more) return deleted;
      if (!incremental || (freePages.get() as number) === 0) return deleted;
      db.pragma(`incremental_vacuum(${vacuumPages})`);
      return { ...deleted, more: true };
    },
  };
}
