import type BetterSqlite3 from 'better-sqlite3';

/*
 * The exporter queue's tables. An event's payload lives in its own table,
 * apart from the row export marks: marking a million events exported then
 * rewrites a million ~70-byte rows instead of a million rows carrying their
 * payloads (about 3x less SQLite time per mark in bench/exporter-drain, where
 * marks were the exporter's largest cost).
 *
 * queue_counters keeps the pending count and bytes exact across every process
 * sharing the file (triggers run inside each writer's transaction), so a
 * bounded enqueue checks one row instead of counting a million.
 */
const TABLES = `
  CREATE TABLE IF NOT EXISTS queued_events (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    timestamp_ms   INTEGER NOT NULL,
    payload_bytes  INTEGER NOT NULL,
    exported_at_ms INTEGER
  );
  CREATE TABLE IF NOT EXISTS queued_payloads (
    seq     INTEGER PRIMARY KEY,
    payload BLOB NOT NULL
  );
  CREATE TABLE IF NOT EXISTS failed_events (
    id           TEXT PRIMARY KEY,
    timestamp_ms INTEGER NOT NULL,
    payload      BLOB NOT NULL,
    failed_at_ms INTEGER NOT NULL,
    reason       TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS queue_counters (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    pending_events INTEGER NOT NULL,
    pending_bytes  INTEGER NOT NULL
  );
`;

const INDEXES_AND_TRIGGERS = `
  CREATE INDEX IF NOT EXISTS queued_events_pending ON queued_events(seq) WHERE exported_at_ms IS NULL;
  CREATE INDEX IF NOT EXISTS queued_events_exported ON queued_events(exported_at_ms) WHERE exported_at_ms IS NOT NULL;
  CREATE INDEX IF NOT EXISTS failed_events_at ON failed_events(failed_at_ms);
  INSERT OR IGNORE INTO queue_counters
    SELECT 1, count(*), coalesce(sum(payload_bytes), 0) FROM queued_events WHERE exported_at_ms IS NULL;
  CREATE TRIGGER IF NOT EXISTS queued_events_counted_in AFTER INSERT ON queued_events BEGIN
    UPDATE queue_counters SET pending_events = pending_events + 1, pending_bytes = pending_bytes + NEW.payload_bytes WHERE id = 1;
  END;
  CREATE TRIGGER IF NOT EXISTS queued_events_counted_out AFTER UPDATE OF exported_at_ms ON queued_events
    WHEN OLD.exported_at_ms IS NULL AND NEW.exported_at_ms IS NOT NULL BEGIN
    UPDATE queue_counters SET pending_events = pending_events - 1, pending_bytes = pending_bytes - OLD.payload_bytes WHERE id = 1;
  END;
  CREATE TRIGGER IF NOT EXISTS queued_events_counted_gone AFTER DELETE ON queued_events
    WHEN OLD.exported_at_ms IS NULL BEGIN
    UPDATE queue_counters SET pending_events = pending_events - 1, pending_bytes = pending_bytes - OLD.payload_bytes WHERE id = 1;
  END;
`;

/**
 * A file from before the payloads had their own table (payload in
 * queued_events) is moved over in one transaction: same seqs, same marks, the
 * same counters (the count triggers are dropped first so the copy does not
 * count twice). A process still running the old code on the same file then
 * fails on its next statement rather than writing to a layout it misreads.
 */
const MIGRATE_FROM_INLINE_PAYLOADS = `
  DROP TRIGGER IF EXISTS queued_events_counted_in;
  DROP TRIGGER IF EXISTS queued_events_counted_out;
  DROP TRIGGER IF EXISTS queued_events_counted_gone;
  DROP INDEX IF EXISTS queued_events_pending;
  DROP INDEX IF EXISTS queued_events_exported;
  ALTER TABLE queued_events RENAME TO queued_events_inline;
  ${TABLES}
  INSERT INTO queued_events (seq, id, timestamp_ms, payload_bytes, exported_at_ms)
    SELECT seq, id, timestamp_ms, length(payload), exported_at_ms FROM queued_events_inline ORDER BY seq;
  INSERT INTO queued_payloads (seq, payload) SELECT seq, payload FROM queued_events_inline ORDER BY seq;
  UPDATE sqlite_sequence SET seq = max(seq, (SELECT seq FROM sqlite_sequence WHERE name = 'queued_events_inline'))
    WHERE name = 'queued_events';
  DROP TABLE queued_events_inline;
`;

/** Creates the tables, or brings an older file to this layout; idempotent, one immediate transaction. */
export function prepareQueueSchema(db: BetterSqlite3.Database): void {
  db.transaction(() => {
    const inline = db.prepare(`SELECT 1 FROM pragma_table_info('queued_events') WHERE name = 'payload'`).get() !== undefined;
    db.exec(inline ? MIGRATE_FROM_INLINE_PAYLOADS : TABLES);
    db.exec(INDEXES_AND_TRIGGERS);
  }).immediate();
}
