import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromBinary, toJson } from '@bufbuild/protobuf';
import { createExportLoop } from '../../src/exporter/export-loop.js';
import type { ExportRunResult } from '../../src/exporter/export-run.js';
import { RecordEventsRequestMetadataSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { withFaults } from '../helpers/fault-store.js';
import { createTestExporter, plaintextConnector, testInstance } from '../helpers/exporter.js';
import { startTestGateway } from '../helpers/gateway.js';
import { pollUntil } from '../helpers/poll.js';
import { allStoredEvents, pendingIds, recordSearches } from '../helpers/export-checks.js';

const RUN = { batchSize: 1000, concurrentBatches: 2 };

describe('exporter -> gateway, end to end over real sockets', () => {
  it('every recorded event arrives once, byte for byte as queued, with the instance identity', async () => {
    await using gateway = await startTestGateway({ privacyAllowlist: ['search::submitted::repo'] });
    await using exporter = createTestExporter({ allowlist: [{ feature: 'search', action: 'submitted', keys: ['repo'] }] });
    const ids = await recordSearches(exporter.recorder, 2500);
    const queued = new Map((await exporter.queue.pending({ limit: 10_000 })).map((e) => [e.id, Buffer.from(e.bytes)]));

    const loop = createExportLoop({ queue: exporter.queue, connect: plaintextConnector(gateway.gateway.address, testInstance('e2e')), ...RUN });
    const result = await loop.runOnce();
    assert.deepEqual(result, { sent: 2500, acknowledged: 2500, failed: 0, batches: 3 });

    const stored = await allStoredEvents(gateway.reader);
    assert.deepEqual([...stored.keys()].sort(), [...ids].sort());
    for (const [id, row] of stored) assert.deepEqual(Buffer.from(row.eventBytes), queued.get(id), `bytes of ${id}`);
    const metadata = toJson(RecordEventsRequestMetadataSchema, fromBinary(RecordEventsRequestMetadataSchema, stored.get(ids[0]!)!.metadataBytes));
    assert.deepEqual((metadata as { identifier: unknown }).identifier, { unlicensedInstance: { instanceId: 'e2e', externalUrl: 'https://sg.example.com' } });
    assert.deepEqual(await pendingIds(exporter.queue), []);
    await loop.close();
  });

  it('partial acknowledgement: exactly the acknowledged ids are marked exported; the rest arrive on a later run', async () => {
    const failing = new Set<string>();
    await using gateway = await startTestGateway({}, { wrapStore: (store) => withFaults(store, { failEntry: (entry) => failing.has(entry.id) }) });
    await using exporter = createTestExporter();
    const ids = await recordSearches(exporter.recorder, 600);
    ids.filter((_, i) => i % 7 === 3).forEach((id) => failing.add(id));
    const loop = createExportLoop({ queue: exporter.queue, connect: plaintextConnector(gateway.gateway.address), ...RUN });

    const first = await loop.runOnce();
    assert.equal(first.acknowledged, 600 - failing.size);
    assert.match(first.error ?? '', new RegExp(`${failing.size} of 600 events were not acknowledged`));
    assert.deepEqual((await pendingIds(exporter.queue)).sort(), [...failing].sort());

    failing.clear();
    assert.deepEqual(await loop.runOnce(), { sent: ids.filter((_, i) => i % 7 === 3).length, acknowledged: ids.filter((_, i) => i % 7 === 3).length, failed: 0, batches: 1 });
    assert.deepEqual([...(await allStoredEvents(gateway.reader)).keys()].sort(), [...ids].sort());
    await loop.close();
  });

  it('gateway down for a while: the backlog builds, runs fail and back off, then it drains with nothing lost', async () => {
    const down = await startTestGateway();
    const address = down.gateway.address;
    await down[Symbol.asyncDispose]();

    await using exporter = createTestExporter();
    const results: ExportRunResult[] = [];
    const loop = createExportLoop({
      queue: exporter.queue,
      connect: plaintextConnector(address),
      intervalMs: 60_000,
      backoff: { initialMs: 50, maxMs: 200 },
      observer: { runFinished: (result) => results.push(result), retentionApplied() {} },
      ...RUN,
    });
    const ids = await recordSearches(exporter.recorder, 300);
    loop.start();
    await pollUntil('failed runs while the gateway is down', () => (results.filter((r) => r.error).length >= 3 ? true : undefined));
    ids.push(...(await recordSearches(exporter.recorder, 300)));
    assert.equal((await exporter.queue.stats(Date.now())).pending, 600);

    await using gateway = await startTestGateway({ listen: address });
    await pollUntil('the backlog to drain', async () => ((await exporter.queue.stats(Date.now())).pending === 0 ? true : undefined), 20_000);
    await loop.close();
    assert.deepEqual([...(await allStoredEvents(gateway.reader)).keys()].sort(), [...ids].sort());
  });
});
