import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openStore } from '../../src/adapters/stores/open-store.js';
import { DAY_MS, dayStart, partitionName } from '../../src/adapters/stores/postgres/postgres-partitions.js';
import { SCHEMA_VERSION } from '../../src/adapters/stores/postgres/postgres-schema.js';
import { openPostgresStore, type PostgresStore } from '../../src/adapters/stores/postgres/postgres-store.js';
import type { EventEntry } from '../../src/core/store.js';
import { postgresTestStore, requireService, withPostgres } from '../helpers/services.js';
import { eventEntry, origin } from './store-contract.js';

const skip = await requireService('postgres');

/** The version 1 layout, as the gateway created it before partitioning (postgres-schema.ts, migration 1). */
const VERSION_1_DDL = `
  CREATE TABLE telemetry_gateway_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
  INSERT INTO telemetry_gateway_migrations (version) VALUES (1);
  CREATE TABLE stream_metadata (
    digest text PRIMARY KEY, publisher text NOT NULL, source jsonb NOT NULL, metadata bytea NOT NULL,
    first_seen timestamptz NOT NULL DEFAULT now()
  );
  CREATE SEQUENCE events_seq;
  CREATE TABLE events (
    event_id text PRIMARY KEY,
    seq bigint NOT NULL DEFAULT nextval('events_seq') UNIQUE,
    metadata_digest text NOT NULL REFERENCES stream_metadata (digest),
    source text NOT NULL, feature text NOT NULL, action text NOT NULL,
    event_time timestamptz NOT NULL, received_at timestamptz NOT NULL,
    event bytea NOT NULL, record jsonb
  );
  ALTER SEQUENCE events_seq OWNED BY events.seq;
  CREATE INDEX events_by_event_time ON events (event_time);
  CREATE INDEX events_by_feature_action ON events (feature, action);
  CREATE INDEX events_by_source ON events (source);
  CREATE TABLE rejected_events (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, event_id text NOT NULL,
    metadata_digest text NOT NULL REFERENCES stream_metadata (digest),
    source text NOT NULL, feature text NOT NULL, action text NOT NULL, reason text NOT NULL,
    received_at timestamptz NOT NULL, event bytea NOT NULL
  );
  CREATE INDEX rejected_by_received_at ON rejected_events (received_at);
`;

const at = (timestampMs: number, id?: string): EventEntry => ({ ...eventEntry(id), timestampMs });
const statuses = (outcomes: { status: string }[]): string[] => outcomes.map((o) => o.status);

async function partitionsOf(schema: string): Promise<string[]> {
  return withPostgres(async (c) =>
    (await c.query(
      `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = format('%I.events', $1::text)::regclass ORDER BY 1`,
      [schema],
    )).rows.map((r) => r.relname as string),
  );
}

/** Creates the version 1 layout in a fresh schema and inserts events with the given ids and times. */
async function versionOneStore(rows: { id: string; timeMs: number }[]): Promise<ReturnType<typeof postgresTestStore>> {
  const db = postgresTestStore();
  const o = origin();
  await withPostgres(async (c) => {
    await c.query(`CREATE SCHEMA "${db.schema}"`);
    await c.query(`SET search_path = "${db.schema}"`);
    await c.query(VERSION_1_DDL);
    await c.query(`INSERT INTO stream_metadata (digest, publisher, source, metadata) VALUES ($1, $2, $3, $4)`, [
      o.metadataDigest, o.publisher, JSON.stringify(o.source), Buffer.from(o.metadataBytes),
    ]);
    for (const row of rows) {
      // The way version 1 inserted: to_timestamp(ms / 1000), so a re-send computes the same key.
      await c.query(
        `INSERT INTO events (event_id, metadata_digest, source, feature, action, event_time, received_at, event)
         VALUES ($1, $2, 'unlicensed_instance', 'search', 'submitted', to_timestamp($3::float8 / 1000), now(), $4)`,
        [row.id, o.metadataDigest, row.timeMs, Buffer.from(`bytes of ${row.id}`)],
      );
    }
  });
  return db;
}

describe('postgres partitions and retention', { skip }, () => {
  it('creates daily partitions around today and a default partition; events land by event time', async () => {
    const db = postgresTestStore();
    const store = await openPostgresStore(db.url);
    try {
      const today = dayStart(Date.now());
      const expected = [-2, -1, 0, 1, 2, 3].map((d) => partitionName(today + d * DAY_MS));
      assert.deepEqual(await partitionsOf(db.schema), ['events_default', ...expected].sort());
      const now = at(Date.now());
      const old = at(Date.now() - 40 * DAY_MS);
      const future = at(Date.now() + 400 * DAY_MS);
      assert.deepEqual(statuses(await store.write({ origin: origin(), entries: [now, old, future] })), ['stored', 'stored', 'stored']);
      const where = await withPostgres(async (c) =>
        Object.fromEntries((await c.query(`SELECT event_id, tableoid::regclass::text AS part FROM "${db.schema}".events`)).rows.map((r) => [r.event_id, r.part.replace(/^.*\./, '')])),
      );
      assert.equal(where[now.id], partitionName(today));
      assert.equal(where[old.id], 'events_default');
      assert.equal(where[future.id], 'events_default');
      // Re-sent: duplicates wherever they are.
      assert.deepEqual(statuses(await store.write({ origin: origin(), entries: [now, old, future] })), ['duplicate', 'duplicate', 'duplicate']);
      assert.equal(await store.countEvents(), 3);
    } finally {
      await store.close();
      await db.drop();
    }
  });

  it('a partition created for a day the default partition holds rows of takes them over; dedup stays exact', async () => {
    const db = postgresTestStore();
    let store = await openPostgresStore(db.url);
    try {
      const t = Date.now() - 10 * DAY_MS;
      const early = at(t);
      assert.deepEqual(statuses(await store.write({ origin: origin(), entries: [early] })), ['stored']);
      // As if the clock were 10 days back: that day is "today" and gets its partition.
      const { createdPartitions } = await store.maintain({ nowMs: t });
      assert.ok(createdPartitions.includes(partitionName(dayStart(t))), createdPartitions.join());
      const part = await withPostgres(async (c) =>
        (await c.query(`SELECT tableoid::regclass::text AS part FROM "${db.schema}".events WHERE event_id = $1`, [early.id])).rows[0].part as string,
      );
      assert.match(part, new RegExp(`${partitionName(dayStart(t))}$`));
      await store.close();
      store = await openPostgresStore(db.url);
      assert.deepEqual(statuses(await store.write({ origin: origin(), entries: [early, at(t)] })), ['duplicate', 'stored']);
      assert.equal(await store.countEvents(), 2);
    } finally {
      await store.close();
      await db.drop();
    }
  });

  it('the retention pass drops whole days past retention, deletes old default-partition rows and old rejected events', async () => {
    const db = postgresTestStore();
    const store = await openPostgresStore(db.url, { retentionMs: 3 * DAY_MS, maintenanceIntervalMs: 3_600_000 });
    try {
      const now = Date.now();
      const recent = at(now);
      const fourDays = at(now - 4 * DAY_MS);
      const ancient = at(now - 100 * DAY_MS);
      // A day 4 days back has a partition only if created while it was within reach: make it so.
      await store.maintain({ nowMs: now - 4 * DAY_MS });
      await store.write({
        origin: origin(),
        entries: [recent, fourDays, ancient, { kind: 'rejected', id: 'bad-1', feature: 'Bad', action: 'x', reason: 'invalid', bytes: Buffer.from('x') }],
      });
      await withPostgres((c) => c.query(`UPDATE "${db.schema}".rejected_events SET received_at = now() - interval '10 days'`));
      await store.write({ origin: origin(), entries: [{ kind: 'rejected', id: 'bad-2', feature: 'Bad', action: 'x', reason: 'invalid', bytes: Buffer.from('x') }] });
      assert.equal(await store.countEvents(), 3);

      const { retention } = await store.maintain({ nowMs: now });
      assert.ok(retention);
      assert.ok(retention.droppedPartitions.includes(partitionName(dayStart(now - 4 * DAY_MS))), retention.droppedPartitions.join());
      assert.equal(retention.deletedEvents, 1, 'the 100-day-old event in the default partition');
      assert.equal(retention.deletedRejected, 1);
      const ids = (await store.listEvents({ limit: 10 })).map((e) => e.id);
      assert.deepEqual(ids, [recent.id]);
      assert.deepEqual((await store.listRejected({ limit: 10 })).map((r) => r.id), ['bad-2']);
      const parts = await partitionsOf(db.schema);
      assert.ok(parts.includes(partitionName(dayStart(now))));
      assert.ok(!parts.some((p) => p.startsWith('events_p') && Date.UTC(+p.slice(8, 12), +p.slice(12, 14) - 1, +p.slice(14, 16)) + DAY_MS <= now - 3 * DAY_MS), parts.join());
      // A second pass has nothing left to do.
      assert.deepEqual((await store.maintain({ nowMs: now })).retention, { droppedPartitions: [], deletedEvents: 0, deletedRejected: 0 });
    } finally {
      await store.close();
      await db.drop();
    }
  });

  it('openStore passes the retention on: the pass at open removes what is past it', async () => {
    const db = postgresTestStore();
    const store = await openPostgresStore(db.url);
    const ancient = at(Date.now() - 100 * DAY_MS);
    await store.write({ origin: origin(), entries: [ancient, at(Date.now())] });
    await store.close();
    const opened = await openStore(db.url, { retentionMs: 30 * DAY_MS });
    try {
      const deadline = Date.now() + 10_000;
      while ((await (opened as typeof store).countEvents()) !== 1) {
        assert.ok(Date.now() < deadline, 'the pass at open did not delete the old event');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await opened.close();
      await db.drop();
    }
  });

  it('migrates the version 1 layout without rewriting it: rows readable, dedup across the migration, the old table dropped once past retention', async () => {
    const now = Date.now();
    const before = [
      { id: 'v1-now', timeMs: now - 1000 },
      { id: 'v1-old', timeMs: now - 20 * DAY_MS },
      { id: 'v1-future', timeMs: now + 30 * DAY_MS }, // beyond the legacy bound: moved to the partitioned table
    ];
    const db = await versionOneStore(before);
    const oid = await withPostgres(async (c) => (await c.query(`SELECT format('%I.events', $1::text)::regclass::oid AS oid, pg_relation_filenode(format('%I.events', $1::text)::regclass) AS node`, [db.schema])).rows[0]);
    // Two replicas upgrade at once.
    const opened = await Promise.allSettled([openPostgresStore(db.url, { retentionMs: 365 * DAY_MS }), openPostgresStore(db.url)]);
    const failed = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) {
      await Promise.all(opened.map((o) => (o.status === 'fulfilled' ? o.value.close() : undefined)));
      await db.drop();
      throw failed.reason;
    }
    const [store, other] = opened.map((o) => (o as PromiseFulfilledResult<PostgresStore>).value) as [PostgresStore, PostgresStore];
    await other.close();
    try {
      const parts = await partitionsOf(db.schema);
      assert.ok(parts.includes('events_legacy') && parts.includes('events_default'), parts.join());
      const legacy = await withPostgres(async (c) =>
        (await c.query(`SELECT oid, pg_relation_filenode(oid) AS node FROM pg_class WHERE oid = format('%I.events_legacy', $1::text)::regclass`, [db.schema])).rows[0],
      );
      assert.equal(legacy.oid, oid.oid, 'the old table itself is the partition');
      assert.equal(legacy.node, oid.node, 'not rewritten');
      // ATTACH used the indexes built beforehand (concurrently) and built none of its own.
      const legacyIndexes = await withPostgres(async (c) =>
        (await c.query(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'events_legacy' ORDER BY 1`, [db.schema])).rows.map((r) => r.indexname),
      );
      assert.deepEqual(legacyIndexes, ['events_legacy_by_feature_action', 'events_legacy_by_seq', 'events_legacy_by_source', 'events_legacy_key', 'events_legacy_seq_key']);
      const versions = await withPostgres(async (c) => (await c.query(`SELECT version FROM "${db.schema}".telemetry_gateway_migrations ORDER BY 1`)).rows.map((r) => r.version));
      assert.deepEqual(versions, [1, 2, 3]);

      assert.equal(await store.countEvents(), 3);
      assert.deepEqual((await store.listEvents({ limit: 10 })).map((e) => e.id).sort(), before.map((r) => r.id).sort());
      const resent = before.map((r) => at(r.timeMs, r.id));
      const fresh = at(now);
      assert.deepEqual(statuses(await store.write({ origin: origin(), entries: [...resent, fresh] })), ['duplicate', 'duplicate', 'duplicate', 'stored']);
      assert.equal(await store.countEvents(), 4);
      // The sequence survived the move: new rows list after the old ones.
      const listed = (await store.listEvents({ limit: 10 })).map((e) => e.id);
      assert.equal(listed.at(-1), fresh.id);

      // 400 days on, with the 365-day retention, the whole legacy range is past: dropped.
      const later = await store.maintain({ nowMs: now + 400 * DAY_MS });
      assert.ok(later.retention!.droppedPartitions.includes('events_legacy'), later.retention!.droppedPartitions.join());
      assert.ok(!(await partitionsOf(db.schema)).includes('events_legacy'));
    } finally {
      await store.close();
      await db.drop();
    }
  });

  it('an INVALID index left by a crashed concurrent build is dropped and built again', async () => {
    const db = await versionOneStore([
      { id: 'a', timeMs: Date.now() },
      { id: 'b', timeMs: Date.now() },
    ]);
    try {
      // A CREATE INDEX CONCURRENTLY that fails leaves its index behind, INVALID, under the name the migration uses.
      await withPostgres(async (c) => {
        await c.query(`SET search_path = "${db.schema}"`);
        await assert.rejects(c.query('CREATE UNIQUE INDEX CONCURRENTLY events_legacy_key ON events (feature)'), /could not create unique index/);
        assert.equal((await c.query(`SELECT indisvalid FROM pg_index WHERE indexrelid = 'events_legacy_key'::regclass`)).rows[0].indisvalid, false);
      });
      const store = await openPostgresStore(db.url);
      await store.close();
      const def = await withPostgres(async (c) =>
        (await c.query(`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'events_legacy_key'`, [db.schema])).rows[0].indexdef as string,
      );
      assert.match(def, /\(event_time, event_id\)/);
    } finally {
      await db.drop();
    }
  });
});

describe('postgres schema rollouts', { skip }, () => {
  it('records the schema version and its compatible-since floor', async () => {
    const db = postgresTestStore();
    try {
      await (await openPostgresStore(db.url)).close();
      const floor = await withPostgres(async (c) => (await c.query(`SELECT value FROM "${db.schema}".telemetry_gateway_meta WHERE key = 'compatible_since'`)).rows[0].value);
      assert.equal(Number(floor), 2, 'version 2 partitioned events: version 1 gateways must refuse it');
    } finally {
      await db.drop();
    }
  });

  it('this gateway starts against a newer additive schema (an older binary during a rollout or rollback)', async () => {
    const db = postgresTestStore();
    try {
      let store = await openPostgresStore(db.url);
      const first = eventEntry();
      await store.write({ origin: origin(), entries: [first] });
      await store.close();
      // What a newer gateway with one additive step would leave: version + 1, the same floor, a new column and table.
      await withPostgres(async (c) => {
        await c.query(`SET search_path = "${db.schema}"`);
        await c.query('ALTER TABLE events ADD COLUMN future_column text');
        await c.query('CREATE TABLE future_additive (x integer)');
        await c.query('INSERT INTO telemetry_gateway_migrations (version) VALUES ($1)', [SCHEMA_VERSION + 1]);
      });
      for (const open of [() => openPostgresStore(db.url), () => openStore(db.url)]) {
        const opened = await open();
        const outcomes = await opened.write({ origin: origin(), entries: [first, eventEntry()] });
        assert.deepEqual(statuses(outcomes), ['duplicate', 'stored']);
        assert.equal((await opened.health()).ok, true);
        await opened.close();
      }
      store = await openPostgresStore(db.url);
      assert.equal(await store.countEvents(), 3);
      await store.close();
      const versions = await withPostgres(async (c) => (await c.query(`SELECT max(version) AS v FROM "${db.schema}".telemetry_gateway_migrations`)).rows[0].v);
      assert.equal(versions, SCHEMA_VERSION + 1, 'the newer version is left as it is');
    } finally {
      await db.drop();
    }
  });

  it('refuses a newer schema whose floor is above this gateway, saying what to do', async () => {
    const db = postgresTestStore();
    try {
      await (await openPostgresStore(db.url)).close();
      await withPostgres(async (c) => {
        await c.query(`SET search_path = "${db.schema}"`);
        await c.query('INSERT INTO telemetry_gateway_migrations (version) VALUES ($1)', [SCHEMA_VERSION + 2]);
        await c.query(`UPDATE telemetry_gateway_meta SET value = $1 WHERE key = 'compatible_since'`, [SCHEMA_VERSION + 1]);
      });
      const expected = new RegExp(
        `database schema version ${SCHEMA_VERSION + 2} needs a gateway of schema version ${SCHEMA_VERSION + 1} or later; this gateway has schema version ${SCHEMA_VERSION}: run a newer gateway release`,
      );
      await assert.rejects(openPostgresStore(db.url), expected);
      await assert.rejects(openStore(db.url), expected);
    } finally {
      await db.drop();
    }
  });
});
