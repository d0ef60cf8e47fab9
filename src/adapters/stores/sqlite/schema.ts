import type { Database } from 'better-sqlite3';
import { idHash } from './event-keys.js';

/**
 * Versioned migrations, applied in order inside one transaction each and
 * tracked in `PRAGMA user_version`. Append only: never edit a shipped step.
 *
 * Rollouts: `store_meta.compatible_since` is the oldest schema version whose
 * gateway can still use the database. An additive step (a new table or index
 * older code never touches) keeps it; a step that changes what older code
 * reads or writes (`breaking`) raises it to its own version. A gateway opening
 * a database newer than it knows starts if its own version is at least that
 * floor (a rollback, an old replica restarting mid-rollout), else refuses.
 */
interface Migration {
  sql: string;
  /** Older gateways would misuse the schema after this step (and must refuse it). */
  breaking: boolean;
}

const MIGRATIONS: readonly Migration[] = [
  { breaking: true, sql: `
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
  ` },
  // The dashboard's per-instance figures (last seen, events in 24 h, latest event) as index lookups.
  { breaking: false, sql: `
  CREATE INDEX events_by_metadata_time ON events(metadata_id, received_ms);
  CREATE INDEX rejected_by_metadata_time ON rejected_events(metadata_id, received_ms);
  ` },
  // Ingest at the transport's speed: the events table loses its UNIQUE id and its five secondary
  // indexes (each insert maintained them all; the UNIQUE index on random ids dirtied pages all over
  // it on every commit). Deduplication moves to event_keys, keyed by event time (event-keys.ts);
  // the dashboard's figures come from event_minutes, rollups kept in the same commits.
  // Breaking: a version 2 gateway would insert events without their keys, and miss duplicates.
  { breaking: true, sql: `
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
  ` },
  // stream_metadata keyed by the sender, not by the stream: its digest leaves request_id out
  // (request-id.ts), which each row keeps instead, so a fleet opening a stream every few minutes
  // adds no metadata rows. Additive: an older gateway writes NULL here and whole metadata there,
  // and the readers take a NULL request_id to mean the metadata row is the stream's own.
  { breaking: false, sql: `
  ALTER TABLE events ADD COLUMN request_id TEXT;
  ALTER TABLE rejected_events ADD COLUMN request_id TEXT;
  ` },
];

/** The schema version this gateway writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The floor after applying migrations up to `version`: the newest breaking step so far. */
function floorAt(version: number): number {
  let floor = 0;
  for (let v = 1; v <= version; v++) if (MIGRATIONS[v - 1]!.breaking) floor = v;
  return floor;
}

export function migrate(db: Database): void {
  // Migration 3 hashes the ids already stored with the store's own function.
  db.function('tgw_id_hash', { deterministic: true }, (id: unknown) => idHash(String(id)));
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    // store_meta exists from version 3 on, so in any database newer than this gateway.
    const floor = (db.prepare(`SELECT value FROM store_meta WHERE key = 'compatible_since'`).pluck().get() as number | undefined) ?? current;
    if (SCHEMA_VERSION < floor) {
      throw new Error(
        `database schema version ${current} needs a gateway of schema version ${floor} or later; this gateway has schema version ${SCHEMA_VERSION}: run a newer gateway release on this store`,
      );
    }
    return; // additive steps since our version: use the database as it is, change nothing
  }
  for (let version = current; version < SCHEMA_VERSION; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!.sql);
      db.pragma(`user_version = ${version + 1}`);
      if (version + 1 >= 3) {
        db.prepare(`INSERT INTO store_meta (key, value) VALUES ('compatible_since', ?) ON CONFLICT(key) DO UPDATE SET value = max(value, excluded.value)`)
          .run(floorAt(version + 1));
      }
    }).immediate();
  }
  if (current === SCHEMA_VERSION && current >= 3) {
    // Databases migrated before the floor existed get it written once.
    db.prepare(`INSERT INTO store_meta (key, value) VALUES ('compatible_since', ?) ON CONFLICT(key) DO NOTHING`).run(floorAt(SCHEMA_VERSION));
  }
}
