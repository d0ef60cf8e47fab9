import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createGatewayClient, type GatewayClient } from '../../src/adapters/grpc/gateway-client.js';
import { startGateway, type Gateway } from '../../src/app.js';
import { defaultGatewayConfig, type GatewayConfig } from '../../src/config/gateway-config.js';
import { testEvent, unlicensed } from '../helpers/gateway.js';
import type { RecordEventsResponse } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { collect, eventsRequest, metadataRequest } from '../helpers/grpc-call.js';
import { pollUntil } from '../helpers/poll.js';
import { POSTGRES_URL, requireService, uniqueName, withPostgres } from '../helpers/services.js';

const skip = await requireService('postgres');

/** One source (the same instance id) streaming to one replica as fast as it is answered, until stopped. */
interface Sender {
  /** When each acknowledgement arrived, and how many events it acknowledged. */
  acks: { atMs: number; count: number }[];
  sent: number;
  stop(): Promise<void>;
}

function startSender(client: GatewayClient, instanceId: string): Sender {
  const call = client.openRecordEvents();
  const status = collect(call);
  const sender: Sender = { acks: [], sent: 0, stop: async () => {} };
  let stopping = false;
  // One listener for the whole stream (a listener per response would pile up on the call).
  let answered: ((ids: string[]) => void) | undefined;
  call.on('data', (response: RecordEventsResponse) => answered?.(response.succeededEvents));
  const loop = (async () => {
    call.write(metadataRequest(unlicensed(instanceId)));
    while (!stopping) {
      const events = Array.from({ length: 50 }, () => testEvent());
      const acked = new Promise<string[]>((resolve) => (answered = resolve));
      call.write(eventsRequest(events));
      sender.sent += events.length;
      sender.acks.push({ atMs: Date.now(), count: (await Promise.race([acked, status.then(() => [])])).length });
    }
    call.end();
    await status;
  })();
  sender.stop = async () => {
    stopping = true;
    await loop;
  };
  return sender;
}

const total = (s: Sender, fromMs = 0, toMs = Number.POSITIVE_INFINITY): number =>
  s.acks.filter((a) => a.atMs >= fromMs && a.atMs < toMs).reduce((n, a) => n + a.count, 0);

async function twoReplicas(limits: Partial<GatewayConfig>) {
  const schema = uniqueName('cluster_limits');
  const store = `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}schema=${schema}`;
  const start = (): Promise<Gateway> => startGateway(defaultGatewayConfig({ listen: '127.0.0.1:0', store, shutdownTimeoutMs: 5000, ...limits }));
  const a = await start();
  const b = await start();
  const clients = [createGatewayClient(a.address, { insecure: true }), createGatewayClient(b.address, { insecure: true })] as const;
  return {
    schema,
    clients,
    async [Symbol.asyncDispose]() {
      clients.forEach((c) => c.close());
      await Promise.all([a.close(), b.close()]);
      await withPostgres((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    },
  };
}

describe('per-source limits shared by replicas on one PostgreSQL schema', { skip }, () => {
  it('a rate limit: one source sending through both replicas gets about the limit, not twice it', async (t) => {
    const rate = 100;
    const burst = 100;
    await using cluster = await twoReplicas({ rateLimit: rate, rateLimitBurst: burst });
    const senders = [startSender(cluster.clients[0], 'shared-rate-src'), startSender(cluster.clients[1], 'shared-rate-src')];
    // The replicas see each other within an exchange or two (1 s each); measure after that.
    const windowFromMs = Date.now() + 3_000;
    const windowToMs = windowFromMs + 6_000;
    await pollUntil('the measured window to pass', () => (Date.now() >= windowToMs ? true : undefined), 30_000);
    await Promise.all(senders.map((s) => s.stop()));

    const inWindow = senders.map((s) => total(s, windowFromMs, windowToMs));
    const singleReplicaLimit = (rate * (windowToMs - windowFromMs)) / 1000 + burst;
    const admitted = inWindow[0]! + inWindow[1]!;
    t.diagnostic(`rate: admitted ${inWindow.join(' + ')} in the window; one replica's limit ${singleReplicaLimit}`);
    assert.ok(admitted <= 1.3 * singleReplicaLimit, `admitted ${admitted} (${inWindow.join(' + ')}) in the window; one replica's limit is ${singleReplicaLimit}`);
    for (const [i, s] of senders.entries()) {
      assert.ok(inWindow[i]! > 0, `replica ${i} admitted some of the source`);
      assert.ok(total(s) < s.sent, `replica ${i} was asked for more than it admitted (the limit bit on both)`);
    }
  });

  it('a daily quota: one source sending through both replicas is admitted the quota, within 30 %', async (t) => {
    const quota = 1500;
    await using cluster = await twoReplicas({ dailyQuota: quota, rateLimit: 200, rateLimitBurst: 100 });
    const senders = [startSender(cluster.clients[0], 'shared-quota-src'), startSender(cluster.clients[1], 'shared-quota-src')];
    // Until neither replica has acknowledged anything for 3 s (three exchanges): the day's quota is spent.
    await pollUntil(
      'the quota to be spent',
      () => {
        const last = Math.max(...senders.flatMap((s) => s.acks.filter((a) => a.count > 0).map((a) => a.atMs)), 0);
        return last > 0 && Date.now() - last > 3_000 ? true : undefined;
      },
      60_000,
    );
    await Promise.all(senders.map((s) => s.stop()));

    const admitted = senders.map((s) => total(s));
    const sum = admitted[0]! + admitted[1]!;
    t.diagnostic(`quota: admitted ${admitted.join(' + ')} of ${quota}`);
    assert.ok(sum <= 1.3 * quota && sum >= 0.7 * quota, `admitted ${sum} (${admitted.join(' + ')}) for a daily quota of ${quota}`);
    assert.ok(admitted[0]! > 0 && admitted[1]! > 0, `both replicas admitted some: ${admitted.join(' + ')}`);
    // Each replica's counts are in the shared table (the last ones sent at close).
    await pollUntil('every admitted event counted in rate_usage', async () => {
      const { rows } = await withPostgres((c) => c.query(`SELECT coalesce(sum(used), 0)::int AS used FROM "${cluster.schema}".rate_usage`));
      return rows[0].used === sum ? true : undefined;
    });
  });
});
