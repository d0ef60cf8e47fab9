import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createGatewayClient, sendEventStream } from '../../src/adapters/grpc/gateway-client.js';
import { openPostgresStore } from '../../src/adapters/stores/postgres/postgres-store.js';
import { startGateway, type Gateway } from '../../src/app.js';
import { defaultGatewayConfig } from '../../src/config/gateway-config.js';
import type { InstancesResponse, Overview, RejectedEventDetail, RejectedResponse } from '../../src/dashboard/api-types.js';
import { testEvent, unlicensed } from '../helpers/gateway.js';
import { pollUntil } from '../helpers/poll.js';
import { POSTGRES_URL, requireService, uniqueName, withPostgres } from '../helpers/services.js';

const skip = await requireService('postgres');

const startReplica = (store: string): Promise<Gateway> =>
  startGateway(defaultGatewayConfig({ listen: '127.0.0.1:0', store, shutdownTimeoutMs: 5000 }));

async function api<T>(gateway: Gateway, path: string): Promise<T> {
  const response = await fetch(`http://${gateway.address}${path}`);
  assert.equal(response.status, 200, path);
  return (await response.json()) as T;
}

/** What replicas must agree on: the store's figures, not this process's counters. */
const storeFigures = (o: Overview) => ({
  stored: o.lastHour.stored,
  rejected: o.lastHour.rejected,
  top: o.topFeatureActions,
  // The minutes with anything in them (the two answers' 60-minute windows may straddle a minute's end).
  perMinute: o.perMinute.filter((m) => m.stored > 0 || m.rejected > 0).map((m) => [m.minuteMs, m.stored, m.rejected]),
});

describe('dashboard on PostgreSQL: every replica shows the cluster', { skip }, () => {
  it('events sent only to replica A: replica B shows the same overview, instances and rejected events', async () => {
    const schema = uniqueName('cluster_dash');
    const url = `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}schema=${schema}`;
    const a = await startReplica(url);
    const b = await startReplica(url);
    const client = createGatewayClient(a.address, { insecure: true });
    try {
      const events = Array.from({ length: 7 }, (_, i) => testEvent({ feature: i < 5 ? 'search' : 'cody.chat', action: 'submitted' }));
      const acked = await sendEventStream(client, unlicensed('cluster-inst'), [
        events,
        events.slice(0, 2), // duplicates: stored once, not counted again
        [testEvent({ feature: 'Bad Feature' }), testEvent({ feature: '' })],
      ]);
      assert.equal(acked.flat().length, 11);

      // B received nothing: its figures must come from the shared store, the open minute included.
      const overviewB = await pollUntil('replica B sees A\'s events', async () => {
        const o = await api<Overview>(b, '/api/overview');
        return o.lastHour.stored === 7 && o.lastHour.rejected === 2 ? o : undefined;
      });
      assert.equal(overviewB.perMinuteSource, 'store');
      assert.deepEqual(overviewB.topFeatureActions, [
        { feature: 'search', action: 'submitted', events: 5 },
        { feature: 'cody.chat', action: 'submitted', events: 2 },
      ]);
      assert.equal(overviewB.totalsSinceStart.stored, 0, 'B itself stored nothing since it started');
      const overviewA = await api<Overview>(a, '/api/overview');
      assert.deepEqual(storeFigures(overviewA), storeFigures(await api<Overview>(b, '/api/overview')));
      assert.equal(overviewA.lastHour.duplicate, 2, 'duplicates are what the receiving replica counted');

      const instancesB = await pollUntil('replica B lists the instance', async () => {
        const answer = await api<InstancesResponse>(b, '/api/instances');
        return answer.instances.length === 1 ? answer : undefined;
      });
      assert.equal(instancesB.source, 'store');
      assert.equal(instancesB.instances[0]!.identity.id, 'cluster-inst');
      assert.equal(instancesB.instances[0]!.eventsSince, 7);
      assert.equal(instancesB.instances[0]!.rejectedSince, 2);
      assert.deepEqual(instancesB.instances[0]!.serverVersions.length, 1);
      assert.deepEqual((await api<InstancesResponse>(a, '/api/instances')).instances, instancesB.instances);

      const rejectedB = await api<RejectedResponse>(b, '/api/rejected?limit=10');
      assert.equal(rejectedB.source, 'store');
      assert.deepEqual(rejectedB.rejected.map((r) => r.feature).sort(), ['', 'Bad Feature']);
      assert.deepEqual(await api<RejectedResponse>(a, '/api/rejected?limit=10'), rejectedB);
      const filtered = await api<RejectedResponse>(b, '/api/rejected?limit=10&feature=Bad%20Feature');
      assert.equal(filtered.rejected.length, 1);
      const detail = await api<RejectedEventDetail>(b, `/api/rejected/${filtered.rejected[0]!.seq}`);
      assert.equal(detail.id, filtered.rejected[0]!.id);
      assert.equal((await fetch(`http://${b.address}/api/rejected/999999`)).status, 404);
    } finally {
      client.close();
      await Promise.all([a.close(), b.close()]);
      await withPostgres((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    }
  });

  it('retention prunes the rollups with the events they count', async () => {
    const schema = uniqueName('cluster_ret');
    const url = `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}schema=${schema}`;
    const store = await openPostgresStore(url, { retentionMs: 2 * 86_400_000 });
    try {
      await withPostgres((c) =>
        c.query(
          `INSERT INTO "${schema}".event_minutes (minute_ms, metadata_digest, feature, action, shard, stored, rejected, last_ms)
           VALUES ($1, 'old', 'f', 'a', 0, 1, 0, $1), ($2, 'new', 'f', 'a', 0, 1, 0, $2)`,
          [Date.now() - 5 * 86_400_000, Date.now()],
        ),
      );
      await store.maintain();
      const { rows } = await withPostgres((c) => c.query(`SELECT metadata_digest FROM "${schema}".event_minutes`));
      assert.deepEqual(rows.map((r) => r.metadata_digest), ['new']);
    } finally {
      await store.close();
      await withPostgres((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    }
  });
});
