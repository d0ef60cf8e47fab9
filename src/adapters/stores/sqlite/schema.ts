import type { Database } from 'better-sqlite3';

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
];

export function migrate(db: Database): void {
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
