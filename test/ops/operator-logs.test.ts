import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { createGatewayClient } from '../../src/adapters/grpc/gateway-client.js';
import { createLogObserver } from '../../src/adapters/logging/log-observer.js';
import { logMaintenance } from '../../src/adapters/logging/maintenance-log.js';
import { Code } from '../../src/core/status.js';
import { retryable, STORED, type StoreEntry, type StreamOrigin } from '../../src/core/store.js';
import { startServe } from '../helpers/cli.js';
import { testEvent, unlicensed } from '../helpers/gateway.js';
import { eventsRequest, exchange, metadataRequest } from '../helpers/grpc-call.js';
import { pollUntil } from '../helpers/poll.js';

type Line = Record<string, unknown> & { level: string; msg: string; time: string };

/** A pino logger at the default level whose lines land in an array. */
function capturingLogger(): { logger: pino.Logger; lines: Line[] } {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split('\n').filter((l) => l !== '')) lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  return { logger: pino({ level: 'info', base: undefined, formatters: { level: (label) => ({ level: label }) } }, stream), lines };
}

const origin: StreamOrigin = {
  source: { kind: 'unlicensed_instance', instanceId: 'inst-1', externalUrl: 'https://sg.example.com' },
  publisher: 'unlicensed_instance',
  metadataBytes: new Uint8Array(),
  metadataDigest: '00',
};
const entry = (id: string): StoreEntry => ({ kind: 'event', id, feature: 'f', action: 'a', timestampMs: 0, bytes: new Uint8Array() });

describe('operator logs (log observer)', () => {
  it('logs refused calls with code and source kind, a few per window, counting the rest', async () => {
    const { logger, lines } = capturingLogger();
    let now = 0;
    const observer = createLogObserver({ logger, linesPerWindow: 3, windowMs: 60_000, now: () => now });
    for (let i = 0; i < 10; i++) observer.streamEnded('RecordEvents', Code.PERMISSION_DENIED);
    observer.streamEnded('RecordEvent', Code.UNAUTHENTICATED);
    observer.streamEnded('RecordEvents', Code.OK);
    await new Promise((resolve) => setImmediate(resolve));
    const refused = lines.filter((l) => l.msg === 'call refused');
    assert.equal(refused.length, 4, 'three of the flood, plus the other kind');
    assert.deepEqual(
      { level: refused[0]!.level, rpc: refused[0]!.rpc, code: refused[0]!.code, sourceKind: refused[0]!.sourceKind },
      { level: 'warn', rpc: 'RecordEvents', code: 'PERMISSION_DENIED', sourceKind: 'instance' },
    );
    assert.equal(refused[3]!.sourceKind, 'managed_service');

    now = 61_000; // next window: the first line says how many were held back
    observer.streamEnded('RecordEvents', Code.PERMISSION_DENIED);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(lines.at(-1)!.suppressed, 7);
    assert.deepEqual(observer.totals().calls, { PERMISSION_DENIED: 11, UNAUTHENTICATED: 1, OK: 1 });
  });

  it('logs retention that removed something, failed maintenance passes a few per hour, and the recovery', async () => {
    const { logger, lines } = capturingLogger();
    let now = 0;
    const report = logMaintenance(logger, { now: () => now });
    report({ ok: true, deletedEvents: 0, deletedRejected: 0, droppedPartitions: 0 });
    report({ ok: true, deletedEvents: 12, deletedRejected: 1, droppedPartitions: 2 });
    for (let i = 0; i < 5; i++) report({ ok: false, reason: 'postgres maintenance: lock timeout' });
    now = 61 * 60_000;
    report({ ok: false, reason: 'postgres maintenance: lock timeout' });
    report({ ok: true, deletedEvents: 0, deletedRejected: 0, droppedPartitions: 0 });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(lines.map((l) => [l.level, l.msg]), [
      ['info', 'retention removed old events'],
      ['warn', 'store maintenance failed; retrying at the next pass'],
      ['warn', 'store maintenance failed; retrying at the next pass'],
      ['warn', 'store maintenance failed; retrying at the next pass'],
      ['warn', 'store maintenance failed; retrying at the next pass'],
      ['info', 'store maintenance works again'],
    ]);
    assert.deepEqual([lines[0]!.deletedEvents, lines[0]!.deletedRejected, lines[0]!.droppedPartitions], [12, 1, 2]);
    assert.deepEqual([lines[4]!.suppressed, lines[4]!.failedPasses, lines[4]!.reason], [2, 6, 'postgres maintenance: lock timeout']);
    assert.equal(lines[5]!.failedPasses, 6);
  });

  it('logs a store failure once per window and its recovery, with how long and how much', async () => {
    const { logger, lines } = capturingLogger();
    let now = 0;
    const observer = createLogObserver({ logger, linesPerWindow: 1, windowMs: 10_000, now: () => now });
    for (let i = 0; i < 5; i++) {
      now += 1000;
      observer.payloadRecorded(origin, [entry(`a${i}`), entry(`b${i}`)], [STORED, retryable('connection terminated')], 1);
    }
    now += 1000;
    observer.payloadRecorded(origin, [entry('c')], [STORED], 1);
    observer.payloadRecorded(origin, [entry('d')], [STORED], 1);
    await new Promise((resolve) => setImmediate(resolve));
    const failed = lines.filter((l) => l.msg.startsWith('store write failed'));
    assert.equal(failed.length, 1);
    assert.deepEqual([failed[0]!.level, failed[0]!.reason, failed[0]!.events], ['warn', 'connection terminated', 1]);
    const recovered = lines.filter((l) => l.msg === 'store writes succeed again');
    assert.equal(recovered.length, 1);
    assert.deepEqual([recovered[0]!.downMs, recovered[0]!.failedPayloads, recovered[0]!.failedEvents], [5000, 5, 5]);
    assert.deepEqual(observer.totals().events, { stored: 7, duplicate: 0, rejected: 0, retryable: 5, rateLimited: 0 });
  });

  it('logs sources over their rate limit by kind and label, rate-limited per source', async () => {
    const { logger, lines } = capturingLogger();
    const observer = createLogObserver({ logger, linesPerWindow: 2 });
    for (let i = 0; i < 5; i++) observer.rateLimited(origin, 100);
    await new Promise((resolve) => setImmediate(resolve));
    const limited = lines.filter((l) => l.msg.startsWith('source over its rate limit'));
    assert.equal(limited.length, 2);
    assert.deepEqual([limited[0]!.sourceKind, limited[0]!.source, limited[0]!.events], ['unlicensed_instance', 'unlicensed:inst-1', 100]);
    assert.equal(observer.totals().events.rateLimited, 500);
  });
});

describe('operator logs (serve at the default level)', () => {
  it('ISO time and level names; startup summary without secrets; refused calls; shutdown totals', async () => {
    const secret = 'diag-secret-never-logged-4f1c';
    const serve = await startServe(
      ['--listen', '127.0.0.1:0', '--store', 'memory:', '--unlicensed', 'deny', '--log-level', 'info'],
      { env: { TELEMETRY_GATEWAY_DIAGNOSTICS_SECRET: secret } },
    );
    const client = createGatewayClient(serve.address, { insecure: true });
    try {
      const refused = await exchange(client.openRecordEvents(), [metadataRequest(unlicensed()), eventsRequest([testEvent()])]);
      assert.equal(refused.code, Code.PERMISSION_DENIED);
      await pollUntil('the refused call in the log', () => (serve.stderr().includes('call refused') ? true : undefined));
    } finally {
      client.close();
      assert.equal(await serve.stop(), 0);
    }
    const stderr = serve.stderr();
    assert.ok(!stderr.includes(secret), 'the diagnostics secret is not logged');
    const lines = stderr.trim().split('\n').map((l) => JSON.parse(l) as Line);
    for (const line of lines) {
      assert.match(line.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(['info', 'warn', 'error'].includes(line.level), line.level);
    }
    const start = lines.find((l) => l.msg === 'gateway serving')!;
    assert.equal(start.diagnosticsSecretSet, true);
    assert.deepEqual([start.address, start.unlicensed, start.store], [serve.address, 'deny', 'memory:']);
    const call = lines.find((l) => l.msg === 'call refused')!;
    assert.deepEqual([call.level, call.code, call.rpc, call.sourceKind], ['warn', 'PERMISSION_DENIED', 'RecordEvents', 'instance']);
    const stopped = lines.find((l) => l.msg === 'gateway stopped')!;
    assert.deepEqual(stopped.calls, { PERMISSION_DENIED: 1 });
    assert.equal(typeof stopped.uptimeS, 'number');
  });
});
