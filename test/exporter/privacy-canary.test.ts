import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { createExportLoop } from '../../src/exporter/export-loop.js';
import { EventSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { createTestExporter, plaintextConnector } from '../helpers/exporter.js';
import { allStoredEvents } from '../helpers/export-checks.js';
import { startTestGateway, testEvent, unlicensed } from '../helpers/gateway.js';
import { eventsRequest, exchange, metadataRequest } from '../helpers/grpc-call.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

const CANARY = 'CANARY-7f3c9e1d-private';
const ALLOWLIST = 'search::submitted::repo';

const marketing = { url: `https://x.example/?q=${CANARY}`, referrer: CANARY, cohortId: CANARY, sessionFirstUrl: CANARY };
const privateMetadata = (i: number) => ({ repo: `repo-${i}`, query: `${CANARY} query ${i}`, nested: { deep: CANARY } });

/** The SQLite database and its WAL: everything the store or queue ever wrote. */
function fileBytes(path: string): Buffer {
  return Buffer.concat([path, `${path}-wal`].filter(existsSync).map((p) => readFileSync(p)));
}

describe('privacy canary', () => {
  it('10,000 events: the canary is in neither the queue, the wire, nor the gateway store; allowlisted keys arrive intact', async () => {
    await using gateway = await startTestGateway({ privacyAllowlist: [ALLOWLIST] });
    await using proxy = await startTcpProxy(gateway.gateway.address);
    await using exporter = createTestExporter({ allowlist: [{ feature: 'search', action: 'submitted', keys: ['repo'] }] });

    const ids = await exporter.recorder.recordBatch(
      Array.from({ length: 10_000 }, (_, i) => ({
        feature: 'search',
        action: i % 10 === 0 ? 'viewed' : 'submitted', // not allowlisted: nothing private leaves
        params: { privateMetadata: privateMetadata(i), marketingTracking: marketing, metadata: { i } },
      })),
    );
    assert.equal(fileBytes(exporter.queuePath).includes(CANARY), false, 'canary in the queue file');

    const result = await createExportLoop({ queue: exporter.queue, connect: plaintextConnector(proxy.address), batchSize: 10_000 }).runOnce();
    assert.equal(result.acknowledged, 10_000, result.error);
    assert.ok(proxy.clientBytes().length > 1_000_000, 'the proxy saw the export');
    assert.equal(proxy.clientBytes().includes(CANARY), false, 'canary on the wire');
    assert.equal(fileBytes(gateway.dbPath).includes(CANARY), false, 'canary in the gateway store');

    const stored = await allStoredEvents(gateway.reader);
    assert.equal(stored.size, 10_000);
    ids.forEach((id, i) => {
      const event = fromBinary(EventSchema, stored.get(id!)!.eventBytes);
      assert.deepEqual(event.parameters?.privateMetadata, i % 10 === 0 ? undefined : { repo: `repo-${i}` });
      assert.equal(event.marketingTracking, undefined);
    });
  });

  it('the same canary sent by a raw gRPC client is removed by the gateway before it is stored', async () => {
    await using gateway = await startTestGateway({ privacyAllowlist: [ALLOWLIST] });
    const events = Array.from({ length: 200 }, (_, i) =>
      testEvent({ action: i % 2 ? 'submitted' : 'viewed', parameters: { privateMetadata: privateMetadata(i) }, marketingTracking: marketing }),
    );
    // An invalid event too: the rejected table must not keep the canary either.
    events.push(testEvent({ feature: 'Bad', parameters: { privateMetadata: privateMetadata(999) } }));
    const result = await exchange(gateway.client().openRecordEvents(), [metadataRequest(unlicensed('raw')), eventsRequest(events)]);
    assert.equal(result.code, 0, result.details);
    assert.equal(result.responses[0]!.length, 201);

    assert.equal(fileBytes(gateway.dbPath).includes(CANARY), false, 'canary in the gateway store');
    const stored = await allStoredEvents(gateway.reader);
    assert.deepEqual(fromBinary(EventSchema, stored.get(events[1]!.id)!.eventBytes).parameters?.privateMetadata, { repo: 'repo-1' });
    assert.equal(await gateway.reader.countRejected(), 1);

    const metrics = await (await fetch(`http://${gateway.gateway.address}/metrics`)).text();
    const removed = metrics.split('\n').filter((line) => line.startsWith('telemetry_gateway_privacy_removed_total{'));
    assert.deepEqual(removed, [
      // 100 not-allowlisted events lose 3 keys, 100 allowlisted ones 2, the invalid one 3.
      'telemetry_gateway_privacy_removed_total{field="private_metadata_key",source="unlicensed_instance"} 503',
      'telemetry_gateway_privacy_removed_total{field="marketing_tracking",source="unlicensed_instance"} 200',
    ]);
  });
});
