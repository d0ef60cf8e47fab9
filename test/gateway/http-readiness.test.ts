import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentials, makeClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { createReadiness } from '../../src/adapters/http/readiness.js';
import type { EventStore, StoreHealth } from '../../src/core/store.js';
import { startTestGateway } from '../helpers/gateway.js';
import { pollUntil } from '../helpers/poll.js';

/** A store whose health answer the test switches. */
function switchableHealth(store: EventStore, healthy: { ok: boolean }): EventStore {
  return {
    description: store.description,
    write: (batch) => store.write(batch),
    health: (): Promise<StoreHealth> => (healthy.ok ? store.health() : Promise.resolve({ ok: false, reason: 'cut by the test' })),
    close: () => store.close(),
  };
}

function grpcHealth(address: string) {
  const Health = makeClientConstructor(healthService, 'Health');
  const client = new Health(address, credentials.createInsecure()) as unknown as {
    check(req: { service: string }, cb: (e: ServiceError | null, r: { status: string }) => void): void;
    close(): void;
  };
  return {
    status: (service = '') => new Promise<string>((resolve, reject) => client.check({ service }, (error, r) => (error ? reject(error) : resolve(r.status)))),
    close: () => client.close(),
  };
}

describe('/-/livez, /-/readyz and gRPC health', () => {
  it('livez answers without the secret or the store; readyz and gRPC health follow the store', async () => {
    const healthy = { ok: true };
    await using t = await startTestGateway({ diagnosticsSecret: 'ready-secret' }, { wrapStore: (store) => switchableHealth(store, healthy) });
    const base = `http://${t.gateway.address}`;
    const health = grpcHealth(t.gateway.address);
    try {
      assert.equal((await fetch(`${base}/-/livez`)).status, 200);
      assert.equal((await fetch(`${base}/-/readyz`)).status, 200, 'no secret needed');
      assert.equal((await fetch(`${base}/-/healthz`)).status, 401, '/-/healthz keeps its deployed behaviour');
      assert.equal(await health.status(), 'SERVING');

      healthy.ok = false;
      const notReady = await pollUntil('readyz 503', async () => {
        const response = await fetch(`${base}/-/readyz`);
        return response.status === 503 ? response.text() : undefined;
      });
      assert.match(notReady, /not writable: cut by the test/);
      await pollUntil('gRPC NOT_SERVING', async () => ((await health.status()) === 'NOT_SERVING' ? true : undefined));
      assert.equal(await health.status('telemetrygateway.v1.TelemeteryGatewayService'), 'NOT_SERVING');
      assert.equal((await fetch(`${base}/-/livez`)).status, 200, 'still alive');

      healthy.ok = true;
      await pollUntil('ready again', async () => ((await fetch(`${base}/-/readyz`)).status === 200 ? true : undefined));
      await pollUntil('gRPC SERVING again', async () => ((await health.status()) === 'SERVING' ? true : undefined));
    } finally {
      health.close();
    }
  });

  it('is not ready from the moment the gateway drains', async () => {
    const draining = new AbortController();
    const changes: boolean[] = [];
    const store = { description: 'x', write: async () => [], health: async () => ({ ok: true as const, latencyMs: 1 }), close: async () => {} };
    const readiness = createReadiness({ store, draining: draining.signal, onChange: (s) => changes.push(s.ready) });
    assert.deepEqual(await readiness.state(), { ready: true });
    draining.abort();
    assert.deepEqual(await readiness.state(), { ready: false, reason: 'draining' });
    assert.deepEqual(changes, [true, false]);
    readiness.close();
  });
});
