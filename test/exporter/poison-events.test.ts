import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createExporterMetrics } from '../../src/adapters/http/exporter-metrics.js';
import { RecordError } from '../../src/exporter/build-event.js';
import { createExportLoop } from '../../src/exporter/export-loop.js';
import { createTestExporter, plaintextConnector } from '../helpers/exporter.js';
import { allStoredEvents, pendingIds } from '../helpers/export-checks.js';
import { startTestGateway } from '../helpers/gateway.js';
import { TESTDATA } from '../helpers/paths.js';
import { pollUntil } from '../helpers/poll.js';

const small = (i: number) => ({ feature: 'search', action: 'submitted', params: { metadata: { i } } });
const big = { feature: 'search', action: 'submitted', params: { featureFlags: { blob: 'x'.repeat(100_000) } } };

describe('poison events', () => {
  it('one small, one the gateway refuses as too large, five small: the six arrive, the big one is set aside with the reason', async () => {
    await using gateway = await startTestGateway({ maxMessageBytes: 64 * 1024 });
    await using exporter = createTestExporter();
    const metrics = createExporterMetrics({ queue: exporter.queue });
    const [first] = await exporter.recorder.recordBatch([small(0)]);
    const [poison] = await exporter.recorder.recordBatch([big]);
    const rest = await exporter.recorder.recordBatch([1, 2, 3, 4, 5].map(small));
    const loop = createExportLoop({ queue: exporter.queue, connect: plaintextConnector(gateway.gateway.address), observer: metrics.observer });

    const result = await loop.runOnce();
    assert.equal(result.error, undefined);
    assert.equal(result.acknowledged, 6);
    assert.equal(result.failed, 1);
    assert.deepEqual([...(await allStoredEvents(gateway.reader)).keys()].sort(), [first, ...rest].sort());
    assert.deepEqual(await pendingIds(exporter.queue), []);

    const stats = await exporter.queue.stats(Date.now());
    assert.equal(stats.failed, 1);
    assert.equal(stats.pending, 0);
    const [failed] = await exporter.queue.recentlyFailed(10);
    assert.equal(failed!.id, poison);
    assert.match(failed!.reason, /RESOURCE_EXHAUSTED: .*larger than max/);
    const text = await metrics.registry.metrics();
    assert.match(text, /^telemetry_exporter_events_failed_total 1$/m);
    assert.match(text, /^telemetry_exporter_events_exported_total 6$/m);
    assert.match(text, /^telemetry_exporter_queue_failed_events 1$/m);

    // Not retried: the next run has nothing to send and the rest keeps flowing.
    const later = await exporter.recorder.recordBatch([6, 7].map(small));
    assert.deepEqual(await loop.runOnce(), { sent: 2, acknowledged: 2, failed: 0, batches: 1 });
    assert.equal((await allStoredEvents(gateway.reader)).size, 8);
    assert.ok(later.every((id) => id !== undefined));
  });

  it('a poison event inside a full batch is found by bisection; every other event of the batch arrives', async () => {
    await using gateway = await startTestGateway({ maxMessageBytes: 64 * 1024 });
    await using exporter = createTestExporter();
    const ids = await exporter.recorder.recordBatch([...Array.from({ length: 300 }, (_, i) => small(i)), big, ...Array.from({ length: 300 }, (_, i) => small(300 + i))]);
    const result = await createExportLoop({ queue: exporter.queue, connect: plaintextConnector(gateway.gateway.address), maxPayloadBytes: 16 * 1024 }).runOnce();
    assert.equal(result.error, undefined);
    assert.equal(result.acknowledged, 600);
    assert.equal(result.failed, 1);
    assert.equal((await allStoredEvents(gateway.reader)).size, 600);
    assert.deepEqual((await exporter.queue.recentlyFailed(5)).map((e) => e.id), [ids[300]]);
  });

  it('record() refuses an event over the limit with a clear error and a metric; nothing is queued', async () => {
    await using exporter = createTestExporter({ maxEventBytes: 10_000 });
    const metrics = createExporterMetrics({ queue: exporter.queue });
    await using limited = createTestExporter({ maxEventBytes: 10_000, observer: metrics.recorderObserver });
    await assert.rejects(limited.recorder.record(big.feature, big.action, big.params), (error: unknown) => {
      assert.ok(error instanceof RecordError);
      assert.equal(error.code, 'EVENT_TOO_LARGE');
      assert.match(error.message, /cannot record search\/submitted: the event is \d+ bytes encoded, more than the limit of 10000/);
      return true;
    });
    assert.equal((await limited.queue.stats(Date.now())).pending, 0);
    assert.match(await metrics.registry.metrics(), /^telemetry_exporter_events_refused_total\{reason="too_large"\} 1$/m);
  });

  it('a permanent refusal (a forged license key) is typed permanent and waits the longest back-off', async () => {
    await using gateway = await startTestGateway();
    await using exporter = createTestExporter();
    await exporter.recorder.record('search', 'submitted');
    const forged = { kind: 'licensed' as const, licenseKey: readFileSync(join(TESTDATA, 'license/invalid-other-vendor.key'), 'utf8').trim(), instanceId: 'x', externalUrl: '' };
    const next: number[] = [];
    const loop = createExportLoop({
      queue: exporter.queue,
      connect: plaintextConnector(gateway.gateway.address, forged),
      intervalMs: 60_000,
      backoff: { initialMs: 10, maxMs: 45_000 },
      observer: { runFinished: (result, _ms, nextRunInMs) => (result.permanent && nextRunInMs !== undefined ? next.push(nextRunInMs) : undefined) },
    });
    loop.start();
    await pollUntil('a refused run', () => (next.length > 0 ? true : undefined));
    await loop.shutdown({ timeoutMs: 2000 });
    assert.ok(next[0]! >= 22_500 && next[0]! <= 45_000, `next attempt in ${next[0]} ms`);
  });

  it('the export mode holds for events queued before it changed: disabled sends nothing, a prefix sets the others aside', async () => {
    await using gateway = await startTestGateway();
    await using exporter = createTestExporter();
    const [search] = await exporter.recorder.recordBatch([{ feature: 'search', action: 'submitted' }]);
    const [code] = await exporter.recorder.recordBatch([{ feature: 'codeintel', action: 'hovered' }]);
    const disabled = await createExportLoop({
      queue: exporter.queue,
      connect: () => {
        throw new Error('disabled: must not connect');
      },
      exportMode: { kind: 'disabled' },
    }).runOnce();
    assert.deepEqual(disabled, { sent: 0, acknowledged: 0, failed: 0, batches: 0 });
    assert.equal((await pendingIds(exporter.queue)).length, 2);

    const prefix = await createExportLoop({ queue: exporter.queue, connect: plaintextConnector(gateway.gateway.address), exportMode: { kind: 'feature-prefix', prefix: 'search' } }).runOnce();
    assert.deepEqual(prefix, { sent: 1, acknowledged: 1, failed: 1, batches: 1 });
    assert.deepEqual([...(await allStoredEvents(gateway.reader)).keys()], [search]);
    const [excluded] = await exporter.queue.recentlyFailed(5);
    assert.equal(excluded!.id, code);
    assert.match(excluded!.reason, /export mode \(prefix:search\) excludes feature codeintel/);
  });
});
