import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { encodeEventsRequest } from '../../src/adapters/grpc/codec.js';
import { EVENTS_WRITE_SCOPE, sha256 } from '../../src/core/identity/service-tokens.js';
import { renderStoredRecord } from '../../src/core/record.js';
import { createExportLoop } from '../../src/exporter/export-loop.js';
import { MAX_PAYLOAD_BYTES } from '../../src/exporter/payload-chunks.js';
import { EventSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { createTestExporter, plaintextConnector, wrapConnector } from '../helpers/exporter.js';
import { allStoredEvents, recordSearches } from '../helpers/export-checks.js';
import { startTestGateway } from '../helpers/gateway.js';
import { TESTDATA } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('what the exporter puts on the wire', () => {
  it('payloads never exceed 1 MiB; an oversized event is sent alone, and everything is acknowledged', async () => {
    await using gateway = await startTestGateway();
    await using exporter = createTestExporter({ maxEventBytes: 2 * MAX_PAYLOAD_BYTES });
    // ~600-byte events: several full payloads, then one event too large for any payload, then more.
    const sized = (n: number) => Array.from({ length: n }, (_, i) => ({ feature: 'search', action: 'submitted', params: { featureFlags: { note: 'y'.repeat(400 + (i % 300)) } } }));
    await exporter.recorder.recordBatch(sized(6000));
    await exporter.recorder.record('search', 'exported', { featureFlags: { blob: 'x'.repeat(MAX_PAYLOAD_BYTES + 1000) } });
    await exporter.recorder.recordBatch(sized(500));

    const payloads: Uint8Array[][] = [];
    const connect = wrapConnector(plaintextConnector(gateway.gateway.address), (transport) => ({
      ...transport,
      recordEvents(sent, onAcknowledged) {
        payloads.push(...sent.map((p) => [...p]));
        return transport.recordEvents(sent, onAcknowledged);
      },
    }));
    const result = await createExportLoop({ queue: exporter.queue, connect, batchSize: 10_000 }).runOnce();
    assert.equal(result.acknowledged, 6501, result.error);

    const sizes = payloads.map((p) => ({ events: p.length, bytes: encodeEventsRequest(p).length }));
    const oversized = sizes.filter((s) => s.bytes > MAX_PAYLOAD_BYTES);
    assert.deepEqual(oversized.map((s) => s.events), [1], 'only the oversized event, alone, crosses 1 MiB');
    assert.ok(sizes.length >= 6, `expected several payloads, got ${JSON.stringify(sizes)}`);
    assert.equal((await allStoredEvents(gateway.reader)).size, 6501);
  });

  it('legacy interop: int64 legacy_metadata from an old-style exporter is accepted and merged by the gateway', async () => {
    await using gateway = await startTestGateway();
    await using exporter = createTestExporter({ legacyMetadata: true });
    const id = await exporter.recorder.record('search', 'submitted', { metadata: { results: 12, ratio: 0.25 } });
    const [queued] = await exporter.queue.pending({ limit: 1 });
    assert.deepEqual(fromBinary(EventSchema, queued!.bytes).parameters?.legacyMetadata, { results: 12n }, 'sent as legacy int64');

    assert.equal((await createExportLoop({ queue: exporter.queue, connect: plaintextConnector(gateway.gateway.address), batchSize: 100 }).runOnce()).acknowledged, 1);
    const row = (await allStoredEvents(gateway.reader)).get(id!)!;
    const record = JSON.parse(renderStoredRecord(row.eventBytes, row.metadataBytes)) as { event: { parameters: Record<string, unknown> } };
    assert.deepEqual(record.event.parameters, { metadata: { results: 12, ratio: 0.25 } });
  });

  it('licensed instances send their license key; the gateway verifies it and records the instance', async () => {
    const licenseKey = readFileSync(join(TESTDATA, 'license/valid-ed25519.key'), 'utf8').trim();
    await using gateway = await startTestGateway({ licensePublicKeyFiles: [join(TESTDATA, 'license/vendor_ed25519.pub')] });
    await using exporter = createTestExporter();
    const [id] = await recordSearches(exporter.recorder, 1);
    const identity = { kind: 'licensed' as const, licenseKey, instanceId: 'licensed-1', externalUrl: 'https://sg.example.com' };
    assert.deepEqual(await createExportLoop({ queue: exporter.queue, connect: plaintextConnector(gateway.gateway.address, identity), batchSize: 10 }).runOnce(), { sent: 1, acknowledged: 1, failed: 0, batches: 1 });
    assert.equal((await allStoredEvents(gateway.reader)).get(id!)!.publisher, 'licensed_instance');

    const forged = { ...identity, licenseKey: readFileSync(join(TESTDATA, 'license/invalid-other-vendor.key'), 'utf8').trim() };
    await recordSearches(exporter.recorder, 1);
    const refused = await createExportLoop({ queue: exporter.queue, connect: plaintextConnector(gateway.gateway.address, forged), batchSize: 10 }).runOnce();
    assert.equal(refused.acknowledged, 0);
    assert.match(refused.error ?? '', /invalid license_key/);
    assert.ok(!(refused.error ?? '').includes(forged.licenseKey.slice(0, 40)), 'the key is not echoed in errors');
  });

  it('managed-service mode sends each event with the unary RecordEvent and a bearer token', async () => {
    using dir = tempDir();
    const token = 'tgw_exporter-service-token';
    const tokens = join(dir.path, 'tokens.json');
    writeFileSync(tokens, JSON.stringify([{ name: 'cody', sha256: sha256(token).toString('hex'), scopes: [EVENTS_WRITE_SCOPE] }]));
    await using gateway = await startTestGateway({ serviceTokensFile: tokens });
    await using exporter = createTestExporter();
    const ids = await recordSearches(exporter.recorder, 40);
    const identity = { kind: 'managed_service' as const, serviceId: 'cody-gateway', serviceEnvironment: 'prod', token };
    const loop = createExportLoop({ queue: exporter.queue, connect: plaintextConnector(gateway.gateway.address, identity), batchSize: 100, unary: true });
    assert.deepEqual(await loop.runOnce(), { sent: 40, acknowledged: 40, failed: 0, batches: 1 });
    const stored = await allStoredEvents(gateway.reader);
    assert.deepEqual([...stored.keys()].sort(), [...ids].sort());
    assert.equal(stored.get(ids[0]!)!.publisher, 'cody-gateway');

    const wrong = createExportLoop({ queue: exporter.queue, connect: plaintextConnector(gateway.gateway.address, { ...identity, token: 'tgw_wrong' }), batchSize: 100, unary: true });
    await exporter.recorder.record('search', 'submitted');
    const refused = await wrong.runOnce();
    assert.equal(refused.acknowledged, 0);
    assert.match(refused.error ?? '', /PERMISSION_DENIED|permission denied/);
    assert.doesNotMatch(refused.error ?? '', /tgw_wrong/);
  });
});
