import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toBinary } from '@bufbuild/protobuf';
import { openStore, openReader } from '../../src/adapters/stores/open-store.js';
import { SCHEMA_VERSION } from '../../src/adapters/stores/postgres/postgres-schema.js';
import { openPostgresStore } from '../../src/adapters/stores/postgres/postgres-store.js';
import { renderStoredRecord } from '../../src/core/record.js';
import { EventSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { testEvent } from '../helpers/gateway.js';
import { postgresTestStore, requireService, uniqueName, withPostgres } from '../helpers/services.js';
import { describeStoreContract, eventEntry, origin } from './store-contract.js';

const skip = await requireService('postgres');

describe('postgres', { skip }, () => {
  describeStoreContract('postgres', async () => {
    const db = postgresTestStore();
    const store = await openPostgresStore(db.url);
    return {
      store,
      reader: store,
      countMetadataRows: () => withPostgres(async (c) => Number((await c.query(`SELECT count(*) AS n FROM "${db.schema}".stream_metadata`)).rows[0].n)),
      async reopen() {
        await store.close();
        const again = await openPostgresStore(db.url);
        return { store: again, reader: again };
      },
      cleanup: db.drop,
    };
  });

  it('postgres: replicas starting together migrate the schema once', async () => {
    const db = postgresTestStore();
    try {
      const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore(db.url)));
      await Promise.all(stores.map((s) => s.close()));
      const versions = await withPostgres(async (c) =>
        (await c.query(`SELECT version FROM "${db.schema}".telemetry_gateway_migrations ORDER BY version`)).rows.map((r) => r.version),
      );
      assert.deepEqual(versions, Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    } finally {
      await db.drop();
    }
  });

  it('postgres: keeps the downstream record as JSONB with indexed columns', async () => {
    const db = postgresTestStore();
    const store = await openPostgresStore(db.url);
    try {
      const event = testEvent({ feature: 'cody.chat', action: 'submitted' });
      event.parameters!.metadata = { b: 1, a: 2.5, 'quote"back\\slash é\n': 3 };
      const entry = { ...eventEntry(event.id), feature: event.feature, action: event.action, bytes: toBinary(EventSchema, event) };
      const sender = origin();
      assert.deepEqual((await store.write({ origin: sender, entries: [entry] })).map((o) => o.status), ['stored']);
      const row = await withPostgres(async (c) =>
        (await c.query(`SELECT source, feature, action, event_time, record FROM "${db.schema}".events WHERE event_id = $1`, [event.id])).rows[0],
      );
      assert.equal(row.source, 'unlicensed_instance');
      assert.equal(row.feature, 'cody.chat');
      assert.equal(row.record.event.id, event.id);
      assert.equal(row.record.event.feature, 'cody.chat');
      assert.equal(row.record.metadata.identifier.unlicensedInstance.instanceId, 'contract-instance');
      // The whole record, written from the event's bytes, is the record protobuf-es renders.
      assert.deepEqual(row.record, JSON.parse(renderStoredRecord(entry.bytes, sender.metadataBytes)));
      assert.equal((row.event_time as Date).getTime(), entry.timestampMs);
      const indexes = await withPostgres(async (c) =>
        (await c.query(`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'events'`, [db.schema])).rows.map((r) => r.indexdef as string),
      );
      // The key (event_time, event_id) also serves queries by event time.
      for (const column of ['event_time, event_id', 'feature, action', 'source', 'seq']) {
        assert.ok(indexes.some((def) => def.includes(`(${column})`)), `no index on ${column}: ${indexes.join('; ')}`);
      }
    } finally {
      await store.close();
      await db.drop();
    }
  });

  it('postgres: with record=none the JSONB column stays empty and the bytes are still kept and listed', async () => {
    const db = postgresTestStore('record=none');
    const store = await openPostgresStore(db.url);
    try {
      const event = testEvent();
      const entry = { ...eventEntry(event.id), bytes: toBinary(EventSchema, event) };
      await store.write({ origin: origin(), entries: [entry] });
      const row = await withPostgres(async (c) => (await c.query(`SELECT record FROM "${db.schema}".events`)).rows[0]);
      assert.equal(row.record, null);
      assert.deepEqual(Buffer.from((await store.listEvents({ limit: 1 }))[0]!.eventBytes), Buffer.from(entry.bytes));
    } finally {
      await store.close();
      await db.drop();
    }
  });

  it('postgres: group commit puts concurrent payloads into shared statements', async () => {
    const db = postgresTestStore('pool_size=2');
    const store = await openPostgresStore(db.url);
    try {
      await Promise.all(Array.from({ length: 50 }, () => store.write({ origin: origin(), entries: [eventEntry()] })));
      assert.equal(await store.countEvents(), 50);
      // Each row's xmin is the transaction that inserted it.
      const transactions = await withPostgres(async (c) =>
        Number((await c.query(`SELECT count(DISTINCT xmin::text) AS n FROM "${db.schema}".events`)).rows[0].n),
      );
      assert.ok(transactions <= 2, `50 concurrent payloads took ${transactions} transactions`);
    } finally {
      await store.close();
      await db.drop();
    }
  });

  it('postgres: a server that goes away makes writes retryable, not a crash, and the store recovers', async () => {
    const appName = uniqueName('tgw_app');
    const db = postgresTestStore(`connect_timeout_ms=2000&application_name=${appName}`);
    const store = await openPostgresStore(db.url);
    try {
      await store.write({ origin: origin(), entries: [eventEntry()] });
      // Hold the table so the next write's statement is running when its connection is killed.
      await withPostgres(async (locker) => {
        await locker.query('BEGIN');
        await locker.query(`LOCK TABLE "${db.schema}".events IN EXCLUSIVE MODE`);
        const pending = store.write({ origin: origin(), entries: [eventEntry(), eventEntry()] });
        await waitForBlockedInsert(locker, appName);
        await locker.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE '%new_events%' AND wait_event_type = 'Lock'`,
          [appName],
        );
        const outcomes = await pending;
        assert.deepEqual(outcomes.map((o) => o.status), ['retryable', 'retryable']);
        assert.match((outcomes[0] as { reason: string }).reason, /^postgres: /);
        await locker.query('ROLLBACK');
      });
      assert.equal((await store.health()).ok, true);
      assert.deepEqual((await store.write({ origin: origin(), entries: [eventEntry()] })).map((o) => o.status), ['stored']);
      assert.equal(await store.countEvents(), 2);
    } finally {
      await store.close();
      await db.drop();
    }
  });

  it('postgres: descriptions and errors never show the password', async () => {
    const db = postgresTestStore();
    const url = db.url.replace('postgres://postgres@', 'postgres://postgres:s3cret-pw@');
    const store = await openStore(url);
    try {
      assert.ok(!store.description.includes('s3cret-pw'), store.description);
      assert.match(store.description, /^postgres:\/\/127\.0\.0\.1:5432\/test\?schema=tgw_test_/);
    } finally {
      await store.close();
      await db.drop();
    }
    await assert.rejects(openStore('postgres://postgres:s3cret-pw@127.0.0.1:1/test?connect_timeout_ms=500'), (error: Error) => {
      assert.ok(!error.message.includes('s3cret-pw'), error.message);
      return true;
    });
  });

  it('postgres: the CLI reader sees what the store wrote and refuses a store without tables', async () => {
    const db = postgresTestStore();
    const store = await openPostgresStore(db.url);
    try {
      await store.write({ origin: origin(), entries: [eventEntry(), eventEntry()] });
      const reader = await openReader(db.url);
      assert.equal(await reader.countEvents(), 2);
      await reader.close();
    } finally {
      await store.close();
      await db.drop();
    }
    await assert.rejects(openReader(postgresTestStore().url), /does not exist/);
  });
});

async function waitForBlockedInsert(client: import('pg').Client, appName: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { rows } = await client.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND query LIKE '%new_events%' AND wait_event_type = 'Lock'`,
      [appName],
    );
    if (rows[0].n > 0) return;
    if (Date.now() > deadline) throw new Error('the store never started its insert');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
