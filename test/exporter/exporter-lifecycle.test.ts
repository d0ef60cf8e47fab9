import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createExporterMetrics } from '../../src/adapters/http/exporter-metrics.js';
import { createExportLoop } from '../../src/exporter/export-loop.js';
import type { BatchOutcome, ExportRunResult } from '../../src/exporter/export-run.js';
import { activeTimers, createTestExporter, plaintextConnector, startSilentServer } from '../helpers/exporter.js';
import { allStoredEvents, pendingIds, recordSearches } from '../helpers/export-checks.js';
import { withFaults } from '../helpers/fault-store.js';
import { startTestGateway } from '../helpers/gateway.js';
import { pollUntil } from '../helpers/poll.js';

describe('exporter lifecycle: deadlines, flush, shutdown', () => {
  it('a gateway that accepts and never answers: the run fails DEADLINE_EXCEEDED within the deadline, nothing marked', async () => {
    await using silent = await startSilentServer();
    await using exporter = createTestExporter();
    await recordSearches(exporter.recorder, 10);
    const loop = createExportLoop({ queue: exporter.queue, connect: plaintextConnector(silent.address, undefined, 500) });
    const started = Date.now();
    const result = await loop.runOnce();
    const elapsed = Date.now() - started;
    assert.equal(result.errorCode, 'DEADLINE_EXCEEDED', JSON.stringify(result));
    assert.equal(result.permanent, false);
    assert.equal(result.acknowledged, 0);
    assert.ok(elapsed >= 450 && elapsed < 5000, `failed after ${elapsed} ms`);
    assert.ok(silent.connections() > 0, 'it did connect');
    assert.equal((await pendingIds(exporter.queue)).length, 10);
    await loop.shutdown({ timeoutMs: 1000 });
  });

  it('a gateway that never acknowledges (frozen store): the stream hits its deadline and the events stay pending', async () => {
    const hang = new Promise<void>(() => {});
    await using gateway = await startTestGateway({ shutdownTimeoutMs: 200 }, { wrapStore: (store) => withFaults(store, { gate: () => hang }) });
    await using exporter = createTestExporter();
    await recordSearches(exporter.recorder, 5);
    const started = Date.now();
    const result = await createExportLoop({ queue: exporter.queue, connect: plaintextConnector(gateway.gateway.address, undefined, 700) }).runOnce();
    assert.equal(result.errorCode, 'DEADLINE_EXCEEDED', JSON.stringify(result));
    assert.equal(result.sent, 5);
    assert.ok(Date.now() - started < 5000);
    assert.equal((await pendingIds(exporter.queue)).length, 5);
  });

  it('connection refused: fails fast UNAVAILABLE and counts nothing as sent', async () => {
    const down = await startTestGateway();
    const address = down.gateway.address;
    await down[Symbol.asyncDispose]();
    await using exporter = createTestExporter();
    await recordSearches(exporter.recorder, 3);
    const started = Date.now();
    const result = await createExportLoop({ queue: exporter.queue, connect: plaintextConnector(address) }).runOnce();
    assert.deepEqual({ ...result, error: undefined }, { sent: 0, acknowledged: 0, failed: 0, batches: 0, error: undefined, errorCode: 'UNAVAILABLE', permanent: false });
    assert.ok(Date.now() - started < 5000, 'did not wait for the 30 s deadline');
  });

  it('shutdown() flushes what was recorded after the last run, is idempotent, and leaves no timer', async () => {
    await using gateway = await startTestGateway();
    await using exporter = createTestExporter();
    const timersBefore = activeTimers();
    const results: ExportRunResult[] = [];
    const loop = createExportLoop({
      queue: exporter.queue,
      connect: plaintextConnector(gateway.gateway.address),
      intervalMs: 3_600_000,
      keepProcessAlive: true, // ref'd timers, so activeTimers() sees them
      observer: { runFinished: (result) => results.push(result) },
    });
    const first = await recordSearches(exporter.recorder, 5);
    loop.start();
    await pollUntil('the first run', () => (results.length === 1 ? true : undefined));
    assert.ok(activeTimers() > timersBefore, 'the started loop holds timers');
    const later = await recordSearches(exporter.recorder, 50);

    const shutdown = loop.shutdown();
    assert.equal(loop.shutdown(), shutdown, 'the same promise');
    const result = await shutdown;
    await loop.close();
    assert.equal(result.acknowledged, 50, result.error);
    assert.deepEqual(await pendingIds(exporter.queue), []);
    assert.deepEqual([...(await allStoredEvents(gateway.reader)).keys()].sort(), [...first, ...later].sort());
    assert.equal(activeTimers(), timersBefore, 'no timer left');
    assert.equal((await loop.runOnce()).errorCode, 'CANCELLED', 'a shut-down loop does not run');
  });

  it('start() twice is harmless: one schedule, runs never overlap, none after shutdown resolves', async () => {
    await using gateway = await startTestGateway();
    await using exporter = createTestExporter();
    let running = 0;
    let overlapped = false;
    let runs = 0;
    const timersBefore = activeTimers();
    const loop = createExportLoop({
      queue: exporter.queue,
      connect: plaintextConnector(gateway.gateway.address),
      intervalMs: 20,
      keepProcessAlive: true,
      observer: {
        runStarted() {
          runs++;
          if (++running > 1) overlapped = true;
        },
        runFinished() {
          running--;
        },
      },
    });
    await recordSearches(exporter.recorder, 20);
    loop.start();
    loop.start();
    const flushed = loop.forceFlush();
    await pollUntil('a few runs', () => (runs >= 5 ? true : undefined));
    assert.equal((await flushed).error, undefined);
    await loop.shutdown();
    const runsAtShutdown = runs;
    assert.equal(activeTimers(), timersBefore, 'no timer left');
    // Had a second schedule survived, it would fire within its 20 ms interval.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(runs, runsAtShutdown, 'no run after shutdown resolved');
    assert.equal(overlapped, false, 'runs overlapped');
  });

  it('shutdown() against a hung gateway gives up at its deadline: the run is cancelled, the events stay queued', async () => {
    await using silent = await startSilentServer();
    await using exporter = createTestExporter();
    await recordSearches(exporter.recorder, 10);
    const timersBefore = activeTimers();
    const loop = createExportLoop({ queue: exporter.queue, connect: plaintextConnector(silent.address, undefined, 60_000), keepProcessAlive: true });
    loop.start();
    await pollUntil('the run to connect', () => (silent.connections() > 0 ? true : undefined));
    const started = Date.now();
    const result = await loop.shutdown({ timeoutMs: 300 });
    assert.ok(Date.now() - started < 3000, `shutdown took ${Date.now() - started} ms`);
    assert.equal(result.errorCode, 'CANCELLED', JSON.stringify(result));
    assert.equal((await pendingIds(exporter.queue)).length, 10);
    assert.equal(activeTimers(), timersBefore, 'no timer left');
  });

  it('metrics tell the truth per batch: exported counts move as each batch ends, the histogram sees each batch', async () => {
    await using gateway = await startTestGateway();
    await using exporter = createTestExporter();
    const metrics = createExporterMetrics({ queue: exporter.queue });
    await recordSearches(exporter.recorder, 2500);
    const exportedAtBatchEnd: number[] = [];
    const observer = {
      ...metrics.observer,
      batchFinished(outcome: BatchOutcome) {
        metrics.observer.batchFinished?.(outcome);
        void metrics.registry.getSingleMetric('telemetry_exporter_events_exported_total')!.get().then((m) => exportedAtBatchEnd.push(m.values[0]!.value));
      },
    };
    const result = await createExportLoop({ queue: exporter.queue, connect: plaintextConnector(gateway.gateway.address), batchSize: 1000, concurrentBatches: 1, observer }).runOnce();
    assert.equal(result.acknowledged, 2500);
    assert.deepEqual(exportedAtBatchEnd, [1000, 2000, 2500]);
    const text = await metrics.registry.metrics();
    assert.match(text, /^telemetry_exporter_batch_events_count 3$/m);
    assert.match(text, /^telemetry_exporter_batch_events_sum 2500$/m);
    assert.match(text, /^telemetry_exporter_batches_total\{result="ok"\} 3$/m);
    assert.match(text, /^telemetry_exporter_runs_total\{result="ok",code=""\} 1$/m);
    assert.match(text, /^telemetry_exporter_queue_pending_events 0$/m);
  });
});

