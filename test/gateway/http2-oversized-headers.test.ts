import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { connect } from 'node:http2';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { toBinary } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import { RecordEventsRequestSchema, type RecordEventsRequest } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { startTestGateway, testEvent, unlicensed } from '../helpers/gateway.js';
import { eventsRequest, metadataRequest } from '../helpers/grpc-call.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../interop/c_core_client.py', import.meta.url));
const available = spawnSync(PYTHON, ['-c', 'import grpc'], { stdio: 'ignore' }).status === 0;
const skip = available ? false : 'needs Debian python3-grpcio (a gRPC C-core client): apt-get install python3-grpcio';
const hex = (request: RecordEventsRequest): string => Buffer.from(toBinary(RecordEventsRequestSchema, request)).toString('hex');

function runCCore(job: object): Promise<{ responses: string[]; code: number; details: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, [SCRIPT], { timeout: 60_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    );
    child.stdin?.end(JSON.stringify(job));
  });
}

/** One C-core call with an `authorization` header of `bytes` bytes; how it ended and how long it took. */
async function cCoreWithHeader(address: string, bytes: number): Promise<{ code: number; details: string; ms: number }> {
  const started = Date.now();
  const result = await runCCore({
    target: address,
    authorization: `Bearer ${'a'.repeat(bytes - 'Bearer '.length)}`,
    requests: [hex(metadataRequest(unlicensed('c-core'))), hex(eventsRequest([testEvent()]))],
  });
  return { code: result.code, details: result.details, ms: Date.now() - started };
}

describe('oversized request headers get a status', () => {
  it('C-core: 30 KiB of metadata ends RESOURCE_EXHAUSTED, 64 KiB or more UNAVAILABLE, at once rather than at the deadline', { skip }, async () => {
    await using t = await startTestGateway();
    const over = await cCoreWithHeader(t.gateway.address, 30_000);
    assert.equal(over.code, status.RESOURCE_EXHAUSTED, over.details);
    assert.ok(over.ms < 10_000, `answered after ${over.ms} ms`);
    // Over nghttp2's 64 KiB per field: it gives up on the connection without a word; the guard closes it.
    for (const bytes of [64 * 1024 + 7, 200_000]) {
      const huge = await cCoreWithHeader(t.gateway.address, bytes);
      assert.ok(huge.code === status.UNAVAILABLE || huge.code === status.RESOURCE_EXHAUSTED, `${bytes}: ${huge.code} ${huge.details}`);
      assert.ok(huge.ms < 10_000, `${bytes}: answered after ${huge.ms} ms (the C-core deadline is 30 s)`);
    }
    const ok = await runCCore({ target: t.gateway.address, requests: [hex(metadataRequest(unlicensed('c-core'))), hex(eventsRequest([testEvent()]))] });
    assert.equal(ok.code, status.OK, ok.details);
  });

  it('the limit is advertised in SETTINGS; metadata over it is refused with ENHANCE_YOUR_CALM or RESOURCE_EXHAUSTED', async () => {
    await using t = await startTestGateway();
    const session = connect(`http://${t.gateway.address}`);
    session.on('error', () => {});
    try {
      const settings = await new Promise<{ maxHeaderListSize?: number }>((resolve) => session.once('remoteSettings', resolve));
      assert.equal(settings.maxHeaderListSize, 16 * 1024);
      const stream = session.request({
        ':method': 'POST',
        ':path': '/telemetrygateway.v1.TelemeteryGatewayService/RecordEvents',
        'content-type': 'application/grpc',
        te: 'trailers',
        authorization: `Bearer ${'b'.repeat(30_000)}`,
      });
      stream.on('error', () => {});
      stream.end();
      const outcome = await new Promise<string>((resolve) => {
        stream.on('trailers', (h) => resolve(`grpc-status ${String(h['grpc-status'])}`));
        stream.on('response', (h) => h['grpc-status'] !== undefined && resolve(`grpc-status ${String(h['grpc-status'])}`));
        stream.on('close', () => resolve(`rst ${stream.rstCode}`));
        stream.resume();
      });
      assert.ok(outcome === `grpc-status ${status.RESOURCE_EXHAUSTED}` || outcome === 'rst 11', outcome);
    } finally {
      session.close();
    }
  });

  it('a connection that sends the HTTP/2 preface and no SETTINGS is closed', async () => {
    await using t = await startTestGateway();
    const { connect: tcp } = await import('node:net');
    const [host, port] = [t.gateway.address.slice(0, t.gateway.address.lastIndexOf(':')), Number(t.gateway.address.split(':').pop())];
    const socket = tcp({ host, port });
    const closed = new Promise<number>((resolve) => {
      const started = Date.now();
      socket.on('close', () => resolve(Date.now() - started));
      socket.on('error', () => {});
      socket.resume();
    });
    socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    const ms = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 15_000))]);
    socket.destroy();
    assert.ok(ms > 0, 'closed within 15 s (settings timeout 10 s)');
  });

  it('a call refused for its metadata does not cost the connection its other calls', async () => {
    await using t = await startTestGateway();
    const session = connect(`http://${t.gateway.address}`);
    session.on('error', () => {});
    try {
      await new Promise((resolve) => session.once('remoteSettings', resolve));
      const request = (headers: Record<string, string>) => {
        const stream = session.request({ ':method': 'POST', ':path': '/telemetrygateway.v1.TelemeteryGatewayService/RecordEvents', 'content-type': 'application/grpc', te: 'trailers', ...headers }, { endStream: false });
        stream.on('error', () => {});
        stream.resume();
        return stream;
      };
      const good = request({});
      const big = request({ authorization: `Bearer ${'c'.repeat(30_000)}` });
      await new Promise((resolve) => big.on('close', resolve));
      await new Promise((resolve) => setTimeout(resolve, 3500)); // the guard checks every second
      assert.equal(good.closed, false, 'the open call is still there');
      assert.equal(session.closed || session.destroyed, false, 'the connection is still there');
    } finally {
      session.destroy();
    }
  });
});
