import type { Pool } from 'pg';

/**
 * Versioned migrations, append only: never edit a shipped step. Each gateway
 * replica runs `migrate` at start; an advisory lock makes the replicas take
 * turns, so exactly one applies each step and the others find it done.
 *
 * Layout: `events` is keyed by event id (re-sent ids hit the primary key and
 * are dropped by ON CONFLICT DO NOTHING); `seq` orders rows for paging; the
 * downstream record `{"event", "metadata"}` is kept as JSONB beside the exact
 * protobuf bytes (`event`), which stay authoritative. Stream metadata is kept
 * once per digest, as in the SQLite store.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE stream_metadata (
    digest      text PRIMARY KEY,
    publisher   text NOT NULL,
    source      jsonb NOT NULL,
    metadata    bytea NOT NULL,
    first_seen  timestamptz NOT NULL DEFAULT now()
  );
  CREATE SEQUENCE events_seq;
  CREATE TABLE events (
    event_id         text PRIMARY KEY,
    seq              bigint NOT NULL DEFAULT nextval('events_seq') UNIQUE,
    metadata_digest  text NOT NULL REFERENCES stream_metadata (digest),
    source           text NOT NULL,
    feature          text NOT NULL,
    action           text NOT NULL,
    event_time       timestamptz NOT NULL,
    received_at      timestamptz NOT NULL,
    event            bytea NOT NULL,
    record           jsonb
  );
  ALTER SEQUENCE events_seq OWNED BY events.seq;
  CREATE INDEX events_by_event_time ON events (event_time);
  CREATE INDEX events_by_feature_action ON events (feature, action);
  CREATE INDEX events_by_source ON events (source);
  CREATE TABLE rejected_events (
    seq              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id         text NOT NULL,
    metadata_digest  text NOT NULL REFERENCES stream_metadata (digest),
    source           text NOT NULL,
    feature          text NOT NULL,
    action           text NOT NULL,
    reason           text NOT NULL,
    received_at      timestamptz NOT NULL,
    event            bytea NOT NULL
  );
  CREATE INDEX rejected_by_received_at ON rejected_events (received_at);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** First key of the advisory lock: an arbitrary constant naming "telemetry-gateway migrations". */
const LOCK_CLASS = 0x7467_7731;

/** Brings the schema to SCHEMA_VERSION; safe to run from several processes at once. */
export async function migrate(pool: Pool, schema: string | undefined): Promise<void> {
  const client = await pool.connect();
  // A checked-out client that loses its connection emits 'error'; without a listener that would crash the process.
  const ignore = (): void => {};
  client.on('error', ignore);
  let failed: unknown;
  try {
    await client.query('BEGIN');
    // Transaction-scoped: released by COMMIT or ROLLBACK, and by the server if this connection dies.
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, schema ?? '']);
    if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS telemetry_gateway_migrations (
         version    integer PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM telemetry_gateway_migrations');
    const current = rows[0]?.version ?? 0;
    if (current > MIGRATIONS.length) {
      throw new Error(`database schema version ${current} is newer than this gateway knows (${MIGRATIONS.length})`);
    }
    for (let version = current; version < MIGRATIONS.length; version++) {
      await client.query(MIGRATIONS[version]!);
      await client.query('INSERT INTO telemetry_gateway_migrations (version) VALUES ($1)', [version + 1]);
    }
    await client.query('COMMIT');
  } catch (error) {
    failed = error;
    await client.query('ROLLBACK').catch(ignore);
    throw error;
  } finally {
    client.removeListener('error', ignore);
    client.release(failed instanceof Error ? failed : undefined);
  }
}
