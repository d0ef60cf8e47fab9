import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createGatewayClient } from '../../src/adapters/grpc/gateway-client.js';
import { runSink } from '../../src/adapters/stores/nats/nats-sink.js';
import { openReader } from '../../src/adapters/stores/open-store.js';
import { openNatsStore } from '../../src/adapters/stores/nats/nats-store.js';
import { openPostgresStore } from '../../src/adapters/stores/postgres/postgres-store.js';
import { startGateway } from '../../src/app.js';
import { defaultGatewayConfig } from '../../src/config/gateway-config.js';
import type { EventEntry, EventReader } from '../../src/core/store.js';
import { toBinary } from '@bufbuild/protobuf';
import { EventSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { testEvent, unlicensed } from '../helpers/gateway.js';
import { origin } from '../stores/store-contract.js';
import { requireNatsServerBinary, startNatsServer } from '../helpers/nats-server.js';
import { pollUntil } from '../helpers/poll.js';
import { sendUntilAcknowledged } from '../helpers/resend.js';
import { natsTestStore, postgresTestStore, requireService, withPostgres } from '../helpers/services.js';

const skip = requireNatsServerBinary() || (await requireService('postgres'));
const RESTART_SIGNAL = (process.env.TEST_NATS_RESTART_SIGNAL ?? 'SIGTERM') as NodeJS.Signals;

function realEntries(count: number): EventEntry[] {
  return Array.from({ length: count }, () => {
    const event = testEvent();
    return { kind: 'event', id: event.id, feature: event.feature, action: event.action, timestampMs: Date.now(), bytes: toBinary(EventSchema, event) };
  });
}

async function idsInStream(reader: EventReader): Promise<string[]> {
  const ids: string[] = [];
  for (let afterSeq = 0; ; ) {
    const rows = await reader.listEvents({ limit: 5000, afterSeq });
    if (rows.length === 0) return ids;
    ids.push(...rows.map((row) => row.id));
    afterSeq = rows[rows.length - 1]!.seq;
  }
}

describe('scale-out through NATS JetStream', { skip }, () => {
  it('ids sent twice are published once; a JetStream restart mid-run loses no acknowledged event; the sink moves all to PostgreSQL exactly once', async () => {
    // A private server: restarting the machine's shared one would disturb everything else using it.
    await using server = await startNatsServer();
    const bus = natsTestStore('publish_timeout_ms=2000', server.url);
    const db = postgresTestStore();
    const config = (listen: string) => defaultGatewayConfig({ listen, store: bus.url, shutdownTimeoutMs: 5000 });
    const [a, b] = await Promise.all([startGateway(config('127.0.0.1:0')), startGateway(config('127.0.0.1:0'))]);
    const clients = [createGatewayClient(a.address, { insecure: true }), createGatewayClient(b.address, { insecure: true })];
    const reader = await openReader(bus.url);
    try {
      const events = Array.from({ length: 20_000 }, () => testEvent());
      const shared = events.slice(0, 10_000);
      const sending = Promise.all([
        sendUntilAcknowledged(clients[0]!, unlicensed('bus-a'), [...shared, ...events.slice(10_000, 15_000)], { timeoutMs: 120_000 }),
        sendUntilAcknowledged(clients[1]!, unlicensed('bus-b'), [...shared, ...events.slice(15_000)], { timeoutMs: 120_000 }),
      ]);
      // Restart JetStream once a good part of the run is in the stream and the rest is still in flight.
      await pollUntil('events in the stream', async () => ((await reader.countEvents().catch(() => 0)) >= 4000 ? true : undefined), 60_000);
      await server.restart(RESTART_SIGNAL);
      const [resultA, resultB] = await sending;
      assert.equal(resultA.acked.size + resultB.acked.size, 30_000);
      assert.ok(resultA.resent + resultB.resent > 0, 'the restart should have left some publishes unacknowledged (else it missed the run)');

      const inStream = await idsInStream(reader);
      const unique = new Set(inStream);
      const acked = new Set([...resultA.acked, ...resultB.acked]);
      const missing = [...acked].filter((id) => !unique.has(id));
      assert.deepEqual(missing, [], `${missing.length} acknowledged events are missing from the stream`);
      assert.equal(unique.size, 20_000);
      assert.equal(inStream.length, 20_000, 'each id is in the stream once, though 10,000 were sent to both gateways and some re-sent');

      const pg = await openPostgresStore(db.url);
      try {
        const stats = await runSink({ from: bus.url, to: pg, durableName: 'warehouse', batchSize: 1000, retryDelayMs: 100, exitWhenIdle: true });
        assert.equal(stats.stored, 20_000);
        const counts = await withPostgres(async (c) =>
          (await c.query(`SELECT count(*)::int AS rows, count(DISTINCT event_id)::int AS ids FROM "${db.schema}".events`)).rows[0],
        );
        assert.deepEqual(counts, { rows: 20_000, ids: 20_000 });
      } finally {
        await pg.close();
      }
    } finally {
      clients.forEach((c) => c.close());
      await reader.close();
      await Promise.all([a.close(), b.close()]);
      await db.drop();
    }
  });

  it('a running sink rides out a JetStream restart and moves every event once', async () => {
    await using server = await startNatsServer();
    const bus = natsTestStore('publish_timeout_ms=2000', server.url);
    const db = postgresTestStore();
    const nats = await openNatsStore(bus.url);
    const pg = await openPostgresStore(db.url);
    const stop = new AbortController();
    try {
      const sinking = runSink({ from: bus.url, to: pg, durableName: 'warehouse', batchSize: 200, retryDelayMs: 100, exitWhenIdle: false, signal: stop.signal });
      const first = realEntries(1000);
      assert.ok((await nats.write({ origin: origin(), entries: first })).every((o) => o.status === 'stored'));
      await pollUntil('the sink to start writing', async () => ((await pg.countEvents()) > 0 ? true : undefined), 30_000);
      await server.restart(RESTART_SIGNAL);
      const second = realEntries(1000);
      // The store's publishes time out while the server restarts: re-send until acknowledged, as a gateway's instances would.
      await pollUntil('the second batch acknowledged', async () => {
        const outcomes = await nats.write({ origin: origin(), entries: second });
        return outcomes.every((o) => o.status !== 'retryable') ? true : undefined;
      }, 60_000);
      await pollUntil('every event in PostgreSQL', async () => ((await pg.countEvents()) === 2000 ? true : undefined), 60_000);
      stop.abort();
      const stats = await sinking;
      assert.equal(stats.stored + stats.duplicates, stats.received - stats.retried - stats.invalid);
      assert.deepEqual(
        await withPostgres(async (c) => (await c.query(`SELECT count(*)::int AS rows, count(DISTINCT event_id)::int AS ids FROM "${db.schema}".events`)).rows[0]),
        { rows: 2000, ids: 2000 },
      );
    } finally {
      stop.abort();
      await nats.close();
      await pg.close();
      await db.drop();
    }
  });
});
