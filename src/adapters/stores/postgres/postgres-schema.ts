import type { Pool, PoolClient } from 'pg';
import { inTransaction } from './pg-transaction.js';
import { DAY_MS, dayStart, DEFAULT_PARTITION, LEGACY_PARTITION, LEGACY_UNTIL_KEY, timeLiteral } from './postgres-partitions.js';

/**
 * Versioned migrations, append only: never edit a shipped step. Each gateway
 * replica runs `migrate` at start; an advisory lock makes the replicas take
 * turns, so exactly one applies each step and the others find it done.
 *
 * Rollouts: `telemetry_gateway_meta.compatible_since` is the oldest schema
 * version whose gateway can still use the database, as in the SQLite store
 * (sqlite/schema.ts). An additive step (a new table, column or index older
 * code never needs) keeps it; a `breaking` step raises it to its own version.
 * A gateway opening a database newer than it knows starts, changing nothing,
 * if its version is at least that floor (a rollback, an old replica restarting
 * mid-rollout), else refuses.
 *
 * Index builds on a table that may be big run CREATE INDEX CONCURRENTLY,
 * outside the migration transaction (`concurrentIndex`): idempotent (IF NOT
 * EXISTS), and an INVALID index a crashed build left behind is dropped and
 * built again. Replicas take turns on a session advisory lock taken with
 * pg_try_advisory_lock in a loop: a waiter blocked inside a statement would
 * hold a snapshot that CREATE INDEX CONCURRENTLY waits for.
 *
 * Layout: `events` is keyed by (event time, event id) and partitioned by day
 * of event time (re-sent events carry their original time, so they hit the
 * key and are dropped by ON CONFLICT DO NOTHING); `seq` orders rows for paging; the
 * downstream record `{"event", "metadata"}` is kept as JSONB beside the exact
 * protobuf bytes (`event`), which stay authoritative. Stream metadata is kept
 * once per sender (its digest leaves request_id out), as in the SQLite store.
 */
interface Migration {
  /** SQL, or a step that needs more than one statement's logic (run inside the migration transaction). */
  up: string | ((client: PoolClient, context: MigrationContext) => Promise<void>);
  /** Older gateways would misuse the schema after this step (and must refuse it): raises the compatible_since floor. */
  breaking: boolean;
}

interface MigrationContext {
  nowMs: number;
}

const MIGRATIONS: readonly Migration[] = [
  { breaking: true, up: `
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
  ` },
  // Version 2: `events` partitioned by event time (postgres-partitions.ts), keyed by (event_time,
  // event_id). An existing table becomes the partition `events_legacy` without being rewritten:
  // its bound CHECK and its key index were made beforehand without blocking writes
  // (prepareLegacyEvents); here it is renamed and attached, which only updates the catalog.
  // Breaking: a version 1 gateway inserts with ON CONFLICT (event_id), which has no unique index now.
  { breaking: true, up: partitionEvents },
  // Version 3, additive (older gateways never read these tables, and keep running):
  // - event_minutes: per-minute rollups (by received time) of stored and rejected events per stream
  //   and feature/action, kept by insert-group.ts in the same statement as the inserts; the
  //   dashboard reads them (postgres-dashboard-queries.ts), so every replica shows the same figures.
  //   `shard` spreads a hot stream's row over a few rows so concurrent commits rarely wait on one
  //   row lock; readers sum over it. Rejected events count under feature = action = '' (their
  //   names are unchecked input, and need not multiply the rows). The last day is backfilled.
  // - rate_usage: per-source events admitted per UTC day by each replica, the shared state of the
  //   cluster-wide rate limits and daily quotas (postgres-rate-usage.ts).
  { breaking: false, up: `
  CREATE TABLE event_minutes (
    minute_ms        bigint NOT NULL,
    metadata_digest  text NOT NULL,
    feature          text NOT NULL,
    action           text NOT NULL,
    shard            smallint NOT NULL,
    stored           bigint NOT NULL,
    rejected         bigint NOT NULL,
    last_ms          bigint NOT NULL,
    last_seq         bigint,
    PRIMARY KEY (minute_ms, metadata_digest, feature, action, shard)
  );
  CREATE INDEX event_minutes_by_metadata ON event_minutes (metadata_digest, minute_ms);
  INSERT INTO event_minutes (minute_ms, metadata_digest, feature, action, shard, stored, rejected, last_ms, last_seq)
  SELECT minute_ms, metadata_digest, feature, action, 0, sum(stored), sum(rejected), max(last_ms), max(last_seq)
    FROM (
      SELECT (floor(extract(epoch FROM received_at) / 60) * 60000)::bigint AS minute_ms, metadata_digest, feature, action,
             count(*) AS stored, 0 AS rejected, (max(extract(epoch FROM received_at)) * 1000)::bigint AS last_ms, max(seq) AS last_seq
        FROM events
       WHERE event_time >= now() - interval '3 days' AND received_at >= now() - interval '1 day'
       GROUP BY 1, 2, 3, 4
      UNION ALL
      SELECT (floor(extract(epoch FROM received_at) / 60) * 60000)::bigint, metadata_digest, '', '',
             0, count(*), (max(extract(epoch FROM received_at)) * 1000)::bigint, NULL
        FROM rejected_events
       WHERE received_at >= now() - interval '1 day'
       GROUP BY 1, 2
    ) AS backfill
   GROUP BY 1, 2, 3, 4;
  CREATE TABLE rate_usage (
    source_key  text NOT NULL,
    day         bigint NOT NULL,
    replica_id  text NOT NULL,
    used        bigint NOT NULL,
    demand_at   timestamptz NOT NULL,
    PRIMARY KEY (source_key, day, replica_id)
  );
  ` },
  // Version 4: stream_metadata keyed by the sender, not by the stream: its digest leaves request_id
  // out (core/wire/request-id.ts) and each row keeps its stream's request_id instead, so a fleet
  // opening a stream every few minutes adds no metadata rows. Additive (a catalog change, no
  // rewrite): an older gateway writes NULL here and whole metadata there, and a NULL request_id
  // means the metadata row is the stream's own.
  { breaking: false, up: `
  ALTER TABLE events ADD COLUMN IF NOT EXISTS request_id text;
  ALTER TABLE rejected_events ADD COLUMN IF NOT EXISTS request_id text;
  ` },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** First key of the advisory lock: an arbitrary constant naming "telemetry-gateway migrations". */
const LOCK_CLASS = 0x7467_7731;
/** The session lock for concurrent index builds (see above). */
const CONCURRENT_LOCK_CLASS = 0x7467_7733;
const CONCURRENT_LOCK_POLL_MS = 200;

/** The floor after applying migrations up to `version`: the newest breaking step so far. */
function floorAt(version: number): number {
  let floor = 0;
  for (let v = 1; v <= version; v++) if (MIGRATIONS[v - 1]!.breaking) floor = v;
  return floor;
}

/** Brings the schema to SCHEMA_VERSION; safe to run from several processes at once. */
export async function migrate(pool: Pool, schema: string | undefined, nowMs = Date.now()): Promise<void> {
  const lockKey = schema ?? '';
  // Bookkeeping tables, and the version check, first: a newer schema is left as it is.
  const current = await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, lockKey]);
    if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS telemetry_gateway_migrations (
         version    integer PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    await client.query('CREATE TABLE IF NOT EXISTS telemetry_gateway_meta (key text PRIMARY KEY, value bigint NOT NULL)');
    return checkVersion(client);
  });
  if (current > SCHEMA_VERSION) return;
  if (current === 1) {
    // A big unpartitioned table: the slow parts of version 2 run first, without blocking writes.
    await withConcurrentLock(pool, lockKey, async (client) => {
      if ((await checkVersion(client)) === 1) await prepareLegacyEvents(client, nowMs, true);
    });
  }
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, lockKey]);
    const now = await checkVersion(client);
    if (now > SCHEMA_VERSION) return; // another replica of a newer release got there first
    for (let version = now; version < SCHEMA_VERSION; version++) {
      const { up } = MIGRATIONS[version]!;
      if (typeof up === 'string') await client.query(up);
      else await up(client, { nowMs });
      await client.query('INSERT INTO telemetry_gateway_migrations (version) VALUES ($1)', [version + 1]);
    }
    // Raised by breaking steps, never lowered; written once for stores migrated before it existed.
    await client.query(
      `INSERT INTO telemetry_gateway_meta (key, value) VALUES ('compatible_since', $1)
       ON CONFLICT (key) DO UPDATE SET value = greatest(telemetry_gateway_meta.value, excluded.value)`,
      [floorAt(SCHEMA_VERSION)],
    );
  });
}

/** The stored version; throws when it is newer than this gateway and its floor is above it. */
async function checkVersion(client: PoolClient): Promise<number> {
  const { rows } = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM telemetry_gateway_migrations');
  const current = rows[0]?.version ?? 0;
  if (current <= SCHEMA_VERSION) return current;
  const meta = await client.query<{ value: string }>(`SELECT value FROM telemetry_gateway_meta WHERE key = 'compatible_since'`);
  const floor = meta.rows[0] ? Number(meta.rows[0].value) : current;
  if (SCHEMA_VERSION < floor) {
    throw new Error(
      `database schema version ${current} needs a gateway of schema version ${floor} or later; this gateway has schema version ${SCHEMA_VERSION}: run a newer gateway release on this store`,
    );
  }
  return current; // additive steps since our version: use the database as it is, change nothing
}

/**
 * Makes the unpartitioned `events` of version 1 attachable as the partition
 * `events_legacy` for [MINVALUE, boundary): boundary is the start of the day
 * after tomorrow (UTC), so events of now keep going there until the attach.
 * The few rows at or after it (clients with clocks in the future) are moved
 * aside and inserted into the partitioned table after the attach. Then a CHECK
 * (added NOT VALID, so only a brief lock; VALIDATE scans without blocking
 * writes) proves the bound, and the key and seq indexes the partitioned parent
 * needs are built. `concurrently`: outside any transaction, without blocking
 * writes; otherwise inside the migration transaction (a table found empty or
 * created a moment ago). Idempotent: a crash anywhere leaves a state this
 * picks up from.
 */
async function prepareLegacyEvents(client: PoolClient, nowMs: number, concurrently: boolean): Promise<void> {
  await client.query(
    `INSERT INTO telemetry_gateway_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`,
    [LEGACY_UNTIL_KEY, dayStart(nowMs) + 2 * DAY_MS],
  );
  const meta = await client.query<{ value: string }>('SELECT value FROM telemetry_gateway_meta WHERE key = $1', [LEGACY_UNTIL_KEY]);
  const boundary = timeLiteral(Number(meta.rows[0]!.value));
  const hasCheck = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = 'events'::regclass AND conname = 'events_legacy_bound'`,
  );
  if (hasCheck.rows[0]!.n === 0) {
    const step = async (): Promise<void> => {
      await client.query('CREATE TABLE IF NOT EXISTS events_legacy_outliers (LIKE events INCLUDING DEFAULTS)');
      await client.query(
        `WITH moved AS (DELETE FROM events WHERE event_time >= ${boundary} RETURNING *) INSERT INTO events_legacy_outliers SELECT * FROM moved`,
      );
      await client.query(`ALTER TABLE events ADD CONSTRAINT events_legacy_bound CHECK (event_time < ${boundary}) NOT VALID`);
    };
    if (concurrently) {
      await client.query('BEGIN');
      try {
        await step();
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    } else {
      await step();
    }
  }
  await client.query('ALTER TABLE events VALIDATE CONSTRAINT events_legacy_bound');
  await concurrentIndex(client, 'events_legacy_key', 'UNIQUE INDEX', 'events (event_time, event_id)', concurrently);
  await concurrentIndex(client, 'events_legacy_by_seq', 'INDEX', 'events (seq)', concurrently);
}

/**
 * CREATE [UNIQUE] INDEX [CONCURRENTLY] IF NOT EXISTS, after dropping an
 * INVALID index of that name (what a build that crashed or failed leaves;
 * IF NOT EXISTS alone would keep it, unused and still maintained on writes).
 * Only call holding the concurrent lock (or inside the migration transaction),
 * so an invalid index found is never another replica's build in progress.
 */
export async function concurrentIndex(client: PoolClient, name: string, kind: 'INDEX' | 'UNIQUE INDEX', on: string, concurrently = true): Promise<void> {
  const { rows } = await client.query<{ valid: boolean }>('SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass($1)', [name]);
  const how = concurrently ? ' CONCURRENTLY' : '';
  if (rows[0] && !rows[0].valid) await client.query(`DROP INDEX${how} IF EXISTS ${name}`);
  await client.query(`CREATE ${kind}${how} IF NOT EXISTS ${name} ON ${on}`);
}

/** Version 2 (see MIGRATIONS). */
async function partitionEvents(client: PoolClient, context: MigrationContext): Promise<void> {
  const empty = (await client.query<{ empty: boolean }>('SELECT NOT EXISTS (SELECT 1 FROM events) AS empty')).rows[0]!.empty;
  // The sequence outlives the table it was created with: the partitioned table owns it from now on.
  await client.query('ALTER SEQUENCE events_seq OWNED BY NONE');
  if (empty) {
    await client.query('DROP TABLE events');
    await client.query('DROP TABLE IF EXISTS events_legacy_outliers');
    await client.query('DELETE FROM telemetry_gateway_meta WHERE key = $1', [LEGACY_UNTIL_KEY]);
  } else {
    // Normally done already, without blocking writes (migrate); here only if a table appeared since.
    await prepareLegacyEvents(client, context.nowMs, false);
    await client.query(`ALTER TABLE events RENAME TO ${LEGACY_PARTITION}`);
    await client.query(`ALTER TABLE ${LEGACY_PARTITION} RENAME CONSTRAINT events_seq_key TO events_legacy_seq_key`);
    // The key becomes (event_time, event_id), over the index built beforehand: the parent's primary
    // key attaches to a primary key only (a plain unique index would make ATTACH build another).
    await client.query(`ALTER TABLE ${LEGACY_PARTITION} DROP CONSTRAINT events_pkey`);
    await client.query(`ALTER TABLE ${LEGACY_PARTITION} ADD CONSTRAINT events_legacy_key PRIMARY KEY USING INDEX events_legacy_key`);
    for (const [from, to] of [
      ['events_by_feature_action', 'events_legacy_by_feature_action'],
      ['events_by_source', 'events_legacy_by_source'],
    ]) {
      await client.query(`ALTER INDEX ${from} RENAME TO ${to}`);
    }
    // (event_time, event_id) covers it.
    await client.query('DROP INDEX events_by_event_time');
  }
  await client.query(`
    CREATE TABLE events (
      event_id         text NOT NULL,
      seq              bigint NOT NULL DEFAULT nextval('events_seq'),
      metadata_digest  text NOT NULL REFERENCES stream_metadata (digest),
      source           text NOT NULL,
      feature          text NOT NULL,
      action           text NOT NULL,
      event_time       timestamptz NOT NULL,
      received_at      timestamptz NOT NULL,
      event            bytea NOT NULL,
      record           jsonb,
      PRIMARY KEY (event_time, event_id)
    ) PARTITION BY RANGE (event_time);
    ALTER SEQUENCE events_seq OWNED BY events.seq;
    CREATE INDEX events_by_seq ON events (seq);
    CREATE INDEX events_by_feature_action ON events (feature, action);
    CREATE INDEX events_by_source ON events (source);
  `);
  if (!empty) {
    const until = Number((await client.query<{ value: string }>('SELECT value FROM telemetry_gateway_meta WHERE key = $1', [LEGACY_UNTIL_KEY])).rows[0]!.value);
    // The CHECK proves the bound and the indexes match the parent's: a catalog change, no scan, no build.
    await client.query(`ALTER TABLE events ATTACH PARTITION ${LEGACY_PARTITION} FOR VALUES FROM (MINVALUE) TO (${timeLiteral(until)})`);
  }
  await client.query(`CREATE TABLE ${DEFAULT_PARTITION} PARTITION OF events DEFAULT`);
  if (!empty) {
    await client.query('INSERT INTO events SELECT * FROM events_legacy_outliers ON CONFLICT DO NOTHING');
    await client.query('DROP TABLE events_legacy_outliers');
  }
}


/** Runs `use` on one connection holding the session-level concurrent-build lock (polled, see above). */
async function withConcurrentLock(pool: Pool, lockKey: string, use: (client: PoolClient) => Promise<void>): Promise<void> {
  const client = await pool.connect();
  const ignore = (): void => {};
  client.on('error', ignore);
  let failed: unknown;
  try {
    for (;;) {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [CONCURRENT_LOCK_CLASS, lockKey]);
      if (rows[0]!.locked) break;
      await new Promise((resolve) => setTimeout(resolve, CONCURRENT_LOCK_POLL_MS));
    }
    try {
      await use(client);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [CONCURRENT_LOCK_CLASS, lockKey]);
    }
  } catch (error) {
    failed = error;
    throw error;
  } finally {
    client.removeListener('error', ignore);
    // On failure the connection is closed, which also releases the session lock if the unlock did not run.
    client.release(failed instanceof Error ? failed : undefined);
  }
}
