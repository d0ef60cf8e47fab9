import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createGatewayClient } from '../../src/adapters/grpc/gateway-client.js';
import { openSqliteReader } from '../../src/adapters/stores/sqlite/sqlite-store.js';
import { startGateway } from '../../src/app.js';
import { defaultGatewayConfig } from '../../src/config/gateway-config.js';
import { runCli } from '../helpers/cli.js';
import { testEvent, unlicensed } from '../helpers/gateway.js';
import { collect, eventsRequest, metadataRequest, nextResponse } from '../helpers/grpc-call.js';
import { startOutageProxy } from '../helpers/outage-proxy.js';
import { postgresTestStore, requireService } from '../helpers/services.js';
import { tempDir } from '../helpers/temp-dir.js';

const skip = await requireService('postgres');

describe('a gateway fanning out to SQLite and PostgreSQL', { skip }, () => {
  it('acknowledges only what both stores have, reports the missing one in healthz, and both end up with each event once', async () => {
    using dir = tempDir();
    await using proxy = await startOutageProxy('127.0.0.1', 5432);
    const db = postgresTestStore('connect_timeout_ms=1000');
    const sqlitePath = join(dir.path, 'local.db');
    const pgUrl = db.url.replace('127.0.0.1:5432', proxy.address);
    const gateway = await startGateway(
      defaultGatewayConfig({ listen: '127.0.0.1:0', store: `sqlite:${sqlitePath},${pgUrl}`, shutdownTimeoutMs: 5000 }),
    );
    const client = createGatewayClient(gateway.address, { insecure: true });
    try {
      const call = client.openRecordEvents();
      const status = collect(call);
      call.write(metadataRequest(unlicensed('fan-out-test')));
      const before = Array.from({ length: 100 }, () => testEvent());
      call.write(eventsRequest(before));
      assert.equal((await nextResponse(call)).length, 100);

      await proxy.cut();
      const during = Array.from({ length: 100 }, () => testEvent());
      call.write(eventsRequest(during));
      assert.deepEqual(await nextResponse(call), [], 'SQLite has them, PostgreSQL does not: not acknowledged');
      const healthz = await fetch(`http://${gateway.address}/-/healthz`);
      assert.equal(healthz.status, 500);
      const body = await healthz.text();
      assert.match(body, /postgres:\/\/127\.0\.0\.1:\d+\/test\?schema=\S+: /);
      assert.doesNotMatch(body, /sqlite:[^,]*: /, 'the SQLite store is healthy and not named as failing');

      await proxy.restore();
      call.write(eventsRequest(during));
      assert.equal((await nextResponse(call)).length, 100);
      call.end();
      assert.equal((await status).code, 0);
      assert.equal((await fetch(`http://${gateway.address}/-/healthz`)).status, 200);
    } finally {
      client.close();
      await gateway.close();
    }
    try {
      const sqlite = openSqliteReader(sqlitePath);
      assert.equal(await sqlite.countEvents(), 200);
      await sqlite.close();
      // events count/list read PostgreSQL through the CLI as they read SQLite.
      const count = await runCli(['events', 'count', '--store', db.url]);
      assert.equal(count.stdout.trim(), '200', count.stderr);
      const list = await runCli(['events', 'list', '--store', db.url, '--limit', '2']);
      const lines = list.stdout.trim().split('\n').map((line) => JSON.parse(line));
      assert.equal(lines.length, 2);
      assert.equal(lines[0].metadata.identifier.unlicensedInstance.instanceId, 'fan-out-test');
      const both = await runCli(['events', 'count', '--store', `sqlite:${sqlitePath},${db.url}`]);
      assert.equal(both.code, 1);
      assert.match(both.stderr, /reading needs one store, not a list/);
    } finally {
      await db.drop();
    }
  });
});
