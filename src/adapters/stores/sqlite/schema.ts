import type { Database } from 'better-sqlite3';
import { idHash } from './event-keys.js';

/**
 * Versioned migrations, applied in order inside one transaction each and
 * tracked in `PRAGMA user_version`. Append only: never edit a shipped step.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE stream_metadata (
    id            INTEGER PRIMARY KEY,
    digest        TEXT NOT NULL UNIQUE,
    publisher     TEXT NOT NULL,
    source_json   TEXT NOT NULL,
    metadata      BLOB NOT NULL,
    first_seen_ms INTEGER NOT NULL
  );
  CREATE TABLE events (
    seq          INTEGER PRIMARY KEY,
    event_id     TEXT NOT NULL UNIQUE,
    metadata_id  INTEGER NOT NULL REFERENCES stream_metadata(id),
    feature      TEXT NOT NULL,
    action       TEXT NOT NULL,
    publisher    TEXT NOT NULL,
    event_ms     INTEGER NOT NULL,
    received_ms  INTEGER NOT NULL,
    event        BLOB NOT NULL
  );
  CREATE INDEX events_by_event_time ON events(event_ms);
  CREATE INDEX events_by_received_time ON events(received_ms);
  CREATE INDEX events_by_feature_action ON events(feature, action);
  CREATE INDEX events_by_publisher ON events(publisher);
  CREATE TABLE rejected_events (
    seq          INTEGER PRIMARY KEY,
    event_id     TEXT NOT NULL,
    metadata_id  INTEGER NOT NULL REFERENCES stream_metadata(id),
    feature      TEXT NOT NULL,
    action       TEXT NOT NULL,
    publisher    TEXT NOT NULL,
    reason       TEXT NOT NULL,
    received_ms  INTEGER NOT NULL,
    event        BLOB NOT NULL
  );
  CREATE INDEX rejected_by_received_time ON rejected_events(received_ms);
  CREATE TABLE health_probe (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checked_ms INTEGER NOT NULL
  );
  `,
  // The dashboard's per-instance figures (last seen, events in 24 h, latest event) as index lookups.
  `
  CREATE INDEX events_by_metadata_time ON events(metadata_id, received_ms);
  CREATE INDEX rejected_by_metadata_time ON rejected_events(metadata_id, received_ms);
  `,
  // Ingest at the transport's speed: the events table loses its UNIQUE id and its five secondary
  // indexes (each insert maintained them all; the UNIQUE index on random ids dirtied pages all over
  // it on every commit). Deduplication moves to event_keys, keyed by event time (event-keys.ts);
  // the dashboard's figures come from event_minutes, rollups kept in the same commits.
  `
  CREATE TABLE events_v3 (
    seq          INTEGER PRIMARY KEY,
    event_id     TEXT NOT NULL,
    metadata_id  INTEGER NOT NULL REFERENCES stream_metadata(id),
    feature      TEXT NOT NULL,
    action       TEXT NOT NULL,
    publisher    TEXT NOT NULL,
    event_ms     INTEGER NOT NULL,
    received_ms  INTEGER NOT NULL,
    event        BLOB NOT NULL
  );
  INSERT INTO events_v3 SELECT seq, event_id, metadata_id, feature, action, publisher, event_ms, received_ms, event FROM events;
  DROP TABLE events;
  ALTER TABLE events_v3 RENAME TO events;
  CREATE TABLE event_keys (
    event_ms INTEGER NOT NULL,
    id_hash  INTEGER NOT NULL,
    seq      INTEGER NOT NULL,
    PRIMARY KEY (event_ms, id_hash, seq)
  ) WITHOUT ROWID;
  INSERT INTO event_keys SELECT event_ms, tgw_id_hash(event_id), seq FROM events;
  CREATE TABLE store_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
  INSERT INTO store_meta VALUES ('keys_through_seq', (SELECT coalesce(max(seq), 0) FROM events));
  CREATE TABLE event_minutes (
    minute_ms   INTEGER NOT NULL,
    metadata_id INTEGER NOT NULL,
    feature     TEXT NOT NULL,
    action      TEXT NOT NULL,
    events      INTEGER NOT NULL,
    last_ms     INTEGER NOT NULL,
    last_seq    INTEGER NOT NULL,
    PRIMARY KEY (minute_ms, metadata_id, feature, action)
  ) WITHOUT ROWID;
  INSERT INTO event_minutes
    SELECT received_ms / 60000 * 60000, metadata_id, feature, action, count(*), max(received_ms), max(seq)
      FROM events GROUP BY 1, 2, 3, 4;
  CREATE INDEX event_minutes_by_metadata ON event_minutes(metadata_id, minute_ms);
  `,
];

export function migrate(db: Database): void {
  // Migration 3 hashes the ids already stored with the store's own function.
  db.function('tgw_id_hash', { deterministic: true }, (id: unknown) => idHash(String(id)));
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`database schema version ${current} is newer than this gateway knows (${MIGRATIONS.length})`);
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
