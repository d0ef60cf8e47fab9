import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import pg from 'pg';
import { isUnreachable } from '../../src/adapters/stores/retrying-store.js';
import { runCli, startServe } from '../helpers/cli.js';
import { pollUntil } from '../helpers/poll.js';
import { POSTGRES_URL, requireService } from '../helpers/services.js';

/** A loopback port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const holder = createServer().listen(0, '127.0.0.1');
  await once(holder, 'listening');
  const { port } = holder.address() as AddressInfo;
  holder.close();
  await once(holder, 'close');
  return port;
}

/** Starts forwarding 127.0.0.1:port to the PostgreSQL server the tests use: the database "comes up". */
async function forward(port: number): Promise<Server & { sockets: Set<Socket> }> {
  const target = new URL(POSTGRES_URL);
  const sockets = new Set<Socket>();
  const server = Object.assign(
    createServer((client) => {
      const upstream = createConnection({ host: target.hostname, port: Number(target.port || 5432) });
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    }),
    { sockets },
  );
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

describe('a network store that is down at start', () => {
  it('tells a server that did not answer from a wrong configuration', () => {
    assert.ok(isUnreachable(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })));
    assert.ok(isUnreachable(new Error('nats store x: connection refused', { cause: Object.assign(new Error('refused'), { cause: { code: 'ECONNREFUSED' } }) })));
    assert.ok(isUnreachable(new AggregateError([Object.assign(new Error('a'), { code: 'ETIMEDOUT' })])));
    assert.ok(!isUnreachable(Object.assign(new Error('password authentication failed'), { code: '28P01' })));
    assert.ok(!isUnreachable(Object.assign(new Error('database "x" does not exist'), { code: '3D000' })));
    assert.ok(!isUnreachable(new Error('no code')));
  });

  it('PostgreSQL: serve starts not ready, retries in the background, then stores what it acknowledges', async (t) => {
    const skip = await requireService('postgres');
    if (skip) return t.skip(skip);
    const schema = `down_at_start_${process.pid}`;
    const port = await freePort();
    const url = new URL(POSTGRES_URL);
    const store = `postgres://${url.username || 'postgres'}:pw-not-shown@127.0.0.1:${port}${url.pathname}?schema=${schema}`;
    const serve = await startServe(['--listen', '127.0.0.1:0', '--store', store, '--log-level', 'info']);
    let database: Awaited<ReturnType<typeof forward>> | undefined;
    try {
      const base = `http://${serve.address}`;
      assert.equal((await fetch(`${base}/-/livez`)).status, 200, 'the process serves');
      const notReady = await fetch(`${base}/-/readyz`);
      assert.equal(notReady.status, 503);
      assert.match(await notReady.text(), /not reachable yet/);
      const refused = await runCli(['send-sample', '--target', serve.address, '--count', '5', '--payload-size', '5']);
      assert.notEqual(refused.code, 0, 'nothing is acknowledged while the store is down');
      await pollUntil('a warning naming the store', () => (/store not reachable; not ready, retrying in the background/.test(serve.stderr()) ? true : undefined));

      database = await forward(port);
      await pollUntil('readyz 200', async () => ((await fetch(`${base}/-/readyz`)).status === 200 ? true : undefined), 60_000);
      const sent = await runCli(['send-sample', '--target', serve.address, '--count', '5', '--payload-size', '5']);
      assert.equal(sent.code, 0, sent.stderr);
      assert.deepEqual(JSON.parse(sent.stdout), { sent: 5, acknowledged: 5, payloads: 1 });
      assert.ok(!serve.stderr().includes('pw-not-shown'), 'the password never reaches the logs');
    } finally {
      assert.equal(await serve.stop(), 0);
      if (database) {
        for (const socket of database.sockets) socket.destroy();
        database.close();
      }
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  });
});
