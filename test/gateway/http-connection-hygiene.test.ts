import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { clientKey } from '../../src/adapters/net/client-address.js';
import { startTestGateway } from '../helpers/gateway.js';
import { pollUntil } from '../helpers/poll.js';
import { rawHttp, splitAddress } from '../helpers/raw-http.js';

/** Opens a TCP connection and resolves once connected; `closedAt` resolves when the server closes it. */
function openSocket(address: string): Promise<{ socket: Socket; closed: Promise<void> }> {
  const [host, port] = splitAddress(address);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
    socket.resume();
  });
}

const within = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))]);

describe('HTTP/1.1 connection hygiene', () => {
  it('a connection that sends "G" and stops is closed after the headers timeout; one sending headers a byte at a time too', async () => {
    await using t = await startTestGateway({ httpHeadersTimeoutMs: 500 });
    const stalled = await openSocket(t.gateway.address);
    stalled.socket.write('G');
    const slow = await openSocket(t.gateway.address);
    slow.socket.write('GET /-/version HTTP/1.1\r\n');
    const drip = setInterval(() => slow.socket.writable && slow.socket.write('X'), 100);
    try {
      await within(stalled.closed, 5000, 'stalled connection closed');
      await within(slow.closed, 5000, 'slowloris connection closed');
    } finally {
      clearInterval(drip);
    }
    const answer = await rawHttp(t.gateway.address, ['GET /-/version HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'], { untilText: '\r\n\r\n' });
    assert.equal(answer.status, 200);
  });

  it('a request body that never completes is cut after the request timeout; idle keep-alive connections end', async () => {
    await using t = await startTestGateway({ httpHeadersTimeoutMs: 400, httpRequestTimeoutMs: 600, diagnosticsSecret: 'hygiene-secret' });
    const started = Date.now();
    const body = await openSocket(t.gateway.address);
    body.socket.write('POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nsecret=');
    await within(body.closed, 5000, 'unfinished body cut');
    assert.ok(Date.now() - started >= 500, 'not before the request timeout');
    const idle = await openSocket(t.gateway.address);
    idle.socket.write('GET /-/version HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await within(idle.closed, 5000, 'idle keep-alive connection closed');
  });
});

describe('connection caps', () => {
  it('refuses connections over the per-client cap, and over the total, while others keep working', async () => {
    await using t = await startTestGateway({ maxConnectionsPerClient: 5, handshakeTimeoutMs: 60_000 });
    const held = await Promise.all(Array.from({ length: 5 }, () => openSocket(t.gateway.address)));
    const refused = await openSocket(t.gateway.address);
    await within(refused.closed, 5000, 'connection over the per-client cap closed');
    for (const h of held) h.socket.destroy();
    await Promise.all(held.map((h) => h.closed));
    await pollUntil('a slot is free again', async () => {
      const answer = await rawHttp(t.gateway.address, ['GET /-/version HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'], { untilText: '\r\n\r\n', waitMs: 1000 });
      return answer.status === 200 ? true : undefined;
    });
  });

  it('the total cap applies to every client together', async () => {
    await using t = await startTestGateway({ maxConnections: 3, handshakeTimeoutMs: 60_000 });
    const held = await Promise.all(Array.from({ length: 3 }, () => openSocket(t.gateway.address)));
    const refused = await openSocket(t.gateway.address);
    await within(refused.closed, 5000, 'connection over the total cap closed');
    for (const h of held) h.socket.destroy();
  });

  it('counts IPv4-mapped addresses as IPv4 and IPv6 by /64', () => {
    assert.equal(clientKey('::ffff:10.1.2.3'), '10.1.2.3');
    assert.equal(clientKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
    assert.equal(clientKey('::1'), '0:0:0:0::/64');
  });
});
