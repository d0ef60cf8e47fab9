import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createGatewayClient } from '../../src/adapters/grpc/gateway-client.js';
import { startGateway, type Gateway } from '../../src/app.js';
import { defaultGatewayConfig } from '../../src/config/gateway-config.js';
import { testEvent, unlicensed } from '../helpers/gateway.js';
import { collect, eventsRequest, metadataRequest, nextResponse } from '../helpers/grpc-call.js';
import { sendUntilAcknowledged } from '../helpers/resend.js';
import { startOutageProxy } from '../helpers/outage-proxy.js';
import { postgresTestStore, requireService, uniqueName, withPostgres } from '../helpers/services.js';

const skip = await requireService('postgres');

const startReplica = (store: string): Promise<Gateway> =>
  startGateway(defaultGatewayConfig({ listen: '127.0.0.1:0', store, shutdownTimeoutMs: 5000 }));

async function rowsIn(schema: string): Promise<{ rows: number; ids: number }> {
  return withPostgres(async (c) => {
    const { rows } = await c.query(`SELECT count(*)::int AS rows, count(DISTINCT event_id)::int AS ids FROM "${schema}".events`);
    return rows[0] as { rows: number; ids: number };
  });
}

describe('scale-out on PostgreSQL', { skip }, () => {
  it('two replicas receiving the same 20,000 events (half the ids sent to both) store exactly 20,000 rows', async () => {
    const db = postgresTestStore();
    const [a, b] = await Promise.all([startReplica(db.url), startReplica(db.url)]);
    const clients = [createGatewayClient(a.address, { insecure: true }), createGatewayClient(b.address, { insecure: true })];
    try {
      assert.notEqual(a.address, b.address);
      const events = Array.from({ length: 20_000 }, () => testEvent());
      const shared = events.slice(0, 10_000);
      const toA = [...shared, ...events.slice(10_000, 15_000)];
      const toB = [...shared.slice().reverse(), ...events.slice(15_000)];
      // Both replicas insert the shared ids at the same time, in opposite orders.
      const [resultA, resultB] = await Promise.all([
        sendUntilAcknowledged(clients[0]!, unlicensed('replica-test-a'), toA),
        sendUntilAcknowledged(clients[1]!, unlicensed('replica-test-b'), toB),
      ]);
      assert.equal(resultA.acked.size, 15_000);
      assert.equal(resultB.acked.size, 15_000);
      assert.equal(resultA.resent + resultB.resent, 0, 'no write should fail (no deadlocks between replicas)');
      assert.deepEqual(await rowsIn(db.schema), { rows: 20_000, ids: 20_000 });
    } finally {
      clients.forEach((c) => c.close());
      await Promise.all([a.close(), b.close()]);
      await db.drop();
    }
  });

  it('a connection killed mid-stream (pg_terminate_backend): its ids are not acknowledged, re-sent ones are stored once, the gateway keeps serving', async () => {
    const appName = uniqueName('tgw_replica');
    const db = postgresTestStore(`application_name=${appName}`);
    const gateway = await startReplica(db.url);
    const client = createGatewayClient(gateway.address, { insecure: true });
    try {
      const call = client.openRecordEvents();
      const status = collect(call);
      call.write(metadataRequest(unlicensed('terminate-test')));
      const first = Array.from({ length: 500 }, () => testEvent());
      call.write(eventsRequest(first));
      assert.equal((await nextResponse(call)).length, 500);

      // Hold the table so the next payload's insert is running when its connection is killed.
      const killed = Array.from({ length: 500 }, () => testEvent());
      const response = await withPostgres(async (admin) => {
        await admin.query('BEGIN');
        await admin.query(`LOCK TABLE "${db.schema}".events IN EXCLUSIVE MODE`);
        const answered = nextResponse(call);
        call.write(eventsRequest(killed));
        await pollBlockedInsert(admin, appName);
        // Kill every connection of the gateway: the blocked insert and the idle ones.
        const { rows } = await admin.query('SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1', [appName]);
        assert.ok(rows[0].n >= 1);
        await admin.query('ROLLBACK');
        return answered;
      });
      assert.deepEqual(response, [], 'ids of the killed insert must not be acknowledged');

      // The same stream goes on: the instance re-sends the killed payload, plus a new one.
      const fresh = Array.from({ length: 500 }, () => testEvent());
      call.write(eventsRequest([...killed, ...first.slice(0, 100)]));
      assert.equal((await nextResponse(call)).length, 600);
      call.write(eventsRequest(fresh));
      assert.equal((await nextResponse(call)).length, 500);
      call.end();
      assert.equal((await status).code, 0);

      assert.deepEqual(await rowsIn(db.schema), { rows: 1500, ids: 1500 });
      assert.equal((await gateway.store.health()).ok, true);
      const healthz = await fetch(`http://${gateway.address}/-/healthz`);
      assert.equal(healthz.status, 200);
    } finally {
      client.close();
      await gateway.close();
      await db.drop();
    }
  });

  it('while PostgreSQL is unreachable, writes are retryable and healthz fails; once it is back, both recover', async () => {
    await using proxy = await startOutageProxy('127.0.0.1', 5432);
    const db = postgresTestStore('connect_timeout_ms=1000');
    const gateway = await startReplica(db.url.replace('127.0.0.1:5432', proxy.address));
    const client = createGatewayClient(gateway.address, { insecure: true });
    try {
      const call = client.openRecordEvents();
      const status = collect(call);
      call.write(metadataRequest(unlicensed('outage-test')));
      await proxy.cut();
      const during = Array.from({ length: 50 }, () => testEvent());
      call.write(eventsRequest(during));
      assert.deepEqual(await nextResponse(call), [], 'nothing is acknowledged while the store is away');
      const healthz = await fetch(`http://${gateway.address}/-/healthz`);
      assert.equal(healthz.status, 500);
      assert.match(await healthz.text(), /^healthz: store postgres:\/\/127\.0\.0\.1:\d+\/test\?schema=\S+ is not writable: /);
      await proxy.restore();
      call.write(eventsRequest(during));
      assert.equal((await nextResponse(call)).length, 50);
      call.end();
      assert.equal((await status).code, 0);
      assert.equal((await fetch(`http://${gateway.address}/-/healthz`)).status, 200);
      assert.deepEqual(await rowsIn(db.schema), { rows: 50, ids: 50 });
    } finally {
      client.close();
      await gateway.close();
      await db.drop();
    }
  });

  it('a replica pointed at an unreachable PostgreSQL starts not ready, naming the store without credentials', async () => {
    // It keeps trying in the background (test/ops/store-down-at-start.test.ts sees it come up).
    const gateway = await startReplica('postgres://postgres:s3cret@127.0.0.1:1/test?connect_timeout_ms=500');
    try {
      const ready = await fetch(`http://${gateway.address}/-/readyz`);
      assert.equal(ready.status, 503);
      const body = await ready.text();
      assert.match(body, /postgres store postgres:\/\/127\.0\.0\.1:1\/test/);
      assert.ok(!body.includes('s3cret'), body);
    } finally {
      await gateway.close();
    }
  });
});

async function pollBlockedInsert(admin: import('pg').Client, appName: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { rows } = await admin.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
      [appName],
    );
    if (rows[0].n > 0) return;
    if (Date.now() > deadline) throw new Error('the gateway never started its insert');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
