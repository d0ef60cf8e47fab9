import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { encodeEventsRequest } from '../../src/adapters/grpc/codec.js';
import { parseDurationMs } from '../../src/config/duration.js';
import { parseGatewayUrl } from '../../src/config/exporter-config.js';
import { backoffDelayMs } from '../../src/exporter/backoff.js';
import { ExportError, exportErrorCode } from '../../src/exporter/export-error.js';
import { buildEvent, RecordError } from '../../src/exporter/build-event.js';
import { exportsFeature, parseExportMode } from '../../src/exporter/export-mode.js';
import { chunkPayloads, MAX_PAYLOAD_BYTES } from '../../src/exporter/payload-chunks.js';
import { EventSchema, RecordEventsRequestSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';

const event = (size: number) => ({ bytes: new Uint8Array(size) });

describe('events request framing', () => {
  it('is byte for byte what protobuf-es encodes for the same events, at every length-prefix size', () => {
    const event = fc.record({ id: fc.string(), feature: fc.string(), action: fc.string({ maxLength: 300 }) }).map((e) => toBinary(EventSchema, create(EventSchema, e)));
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), fc.nat({ max: 20_000 }), (events, padding) => {
        if (padding > 0) events.push(toBinary(EventSchema, create(EventSchema, { id: 'x'.repeat(padding) }))); // 2- and 3-byte lengths
        const expected = toBinary(RecordEventsRequestSchema, create(RecordEventsRequestSchema, { payload: { case: 'events', value: { events: events.map((b) => fromBinary(EventSchema, b)) } } }));
        assert.deepEqual(new Uint8Array(encodeEventsRequest(events)), expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('payload chunking', () => {
  it('packs events in order into requests of at most 1 MiB as encoded', () => {
    const sizes = Array.from({ length: 3000 }, (_, i) => 100 + ((i * 7919) % 4000));
    const events = sizes.map(event);
    const payloads = chunkPayloads(events);
    assert.deepEqual(payloads.flat(), events);
    for (const payload of payloads) assert.ok(encodeEventsRequest(payload.map((e) => e.bytes)).length <= MAX_PAYLOAD_BYTES);
    // Full: adding the next payload's first event would have crossed the limit.
    for (let i = 0; i + 1 < payloads.length; i++) {
      const grown = [...payloads[i]!, payloads[i + 1]![0]!].map((e) => e.bytes);
      assert.ok(encodeEventsRequest(grown).length > MAX_PAYLOAD_BYTES);
    }
  });

  it('sends an event larger than the limit alone', () => {
    const big = event(MAX_PAYLOAD_BYTES + 10);
    assert.deepEqual(chunkPayloads([event(10), big, event(10)]).map((p) => p.length), [1, 1, 1]);
  });
});

describe('export settings', () => {
  it('backs off exponentially with jitter, capped', () => {
    const options = { initialMs: 1000, maxMs: 60_000 };
    assert.deepEqual([1, 2, 3].map((n) => backoffDelayMs(n, options, () => 0)), [500, 1000, 2000]);
    assert.equal(backoffDelayMs(3, options, () => 1), 4000);
    assert.equal(backoffDelayMs(30, options, () => 1), 60_000);
  });

  it('parses durations and gateway URLs, refusing what is unclear', () => {
    assert.deepEqual(['30s', '5m', '1h30m', '250ms'].map((d) => parseDurationMs(d, 'x')), [30_000, 300_000, 5_400_000, 250]);
    assert.throws(() => parseDurationMs('5 minutes', '--interval'), /--interval: invalid duration "5 minutes"/);
    assert.deepEqual(parseGatewayUrl('https://telemetry.example.com'), { target: 'telemetry.example.com:443', plaintext: false });
    assert.deepEqual(parseGatewayUrl('gw.internal:10080'), { target: 'gw.internal:10080', plaintext: false });
    assert.deepEqual(parseGatewayUrl('http://127.0.0.1:10080'), { target: '127.0.0.1:10080', plaintext: true });
    assert.throws(() => parseGatewayUrl('telemetry.example.com'), /give a port or a scheme/);
  });

  it('export modes: all, disabled, or a feature prefix', () => {
    assert.equal(exportsFeature(parseExportMode('all'), 'search'), true);
    assert.equal(exportsFeature(parseExportMode('disabled'), 'search'), false);
    const cody = parseExportMode('prefix:cody');
    assert.deepEqual([exportsFeature(cody, 'cody.chat'), exportsFeature(cody, 'search')], [true, false]);
    assert.throws(() => parseExportMode('some'), /invalid export mode "some"/);
  });
});

describe('building events', () => {
  const context = { id: 'id-1', nowMs: 1_700_000_000_000, serverVersion: '5.11.0', legacyMetadata: false };

  it('fills id, timestamp and server version', () => {
    const built = buildEvent('search', 'submitted', { metadata: { results: 12 }, user: { userId: 7 } }, context);
    assert.equal(built.id, 'id-1');
    assert.equal(Number(built.timestamp?.seconds), 1_700_000_000);
    assert.equal(built.source?.server?.version, '5.11.0');
    assert.deepEqual(built.parameters?.metadata, { results: 12 });
    assert.equal(built.user?.userId, 7n);
  });

  it('refuses names and metadata the gateway would refuse, at the call site', () => {
    assert.throws(() => buildEvent('Search', 'submitted', {}, context), (e: unknown) => e instanceof RecordError && /cannot record Search\/submitted: feature must match/.test(e.message));
    assert.throws(() => buildEvent('search', '', {}, context), /action is required/);
    assert.throws(() => buildEvent('search', 'go', { metadata: { n: Number.NaN } }, context), /metadata "n" must be a finite number/);
  });

  it('legacy mode sends integers as int64 legacy_metadata', () => {
    const built = buildEvent('search', 'submitted', { metadata: { results: 12, ratio: 0.5 } }, { ...context, legacyMetadata: true });
    assert.deepEqual(built.parameters?.legacyMetadata, { results: 12n });
    assert.deepEqual(built.parameters?.metadata, { ratio: 0.5 });
  });
});

describe('export errors', () => {
  it('permanent refusals, payload refusals and transient failures are told apart', () => {
    const classify = (code: ConstructorParameters<typeof ExportError>[0], message: string) => {
      const error = new ExportError(code, message);
      return { permanent: error.permanent, payloadRefused: error.payloadRefused };
    };
    assert.deepEqual(classify('PERMISSION_DENIED', 'RecordEvent failed: PERMISSION_DENIED: token lacks scope'), { permanent: true, payloadRefused: false });
    assert.deepEqual(classify('UNAUTHENTICATED', 'x'), { permanent: true, payloadRefused: false });
    assert.deepEqual(classify('INVALID_ARGUMENT', 'invalid license_key: bad signature'), { permanent: true, payloadRefused: false });
    assert.deepEqual(classify('INVALID_ARGUMENT', 'malformed request: truncated event'), { permanent: false, payloadRefused: true });
    assert.deepEqual(classify('RESOURCE_EXHAUSTED', 'Received message larger than max (70000 vs. 65536)'), { permanent: false, payloadRefused: true });
    assert.deepEqual(classify('RESOURCE_EXHAUSTED', 'too many concurrent streams (limit 1000); retry later'), { permanent: false, payloadRefused: false });
    assert.deepEqual(classify('UNAVAILABLE', 'connection refused'), { permanent: false, payloadRefused: false });
    assert.deepEqual(classify('DEADLINE_EXCEEDED', 'Deadline exceeded'), { permanent: false, payloadRefused: false });
    assert.equal(exportErrorCode(4), 'DEADLINE_EXCEEDED');
    assert.equal(exportErrorCode(16), 'UNAUTHENTICATED');
    assert.equal(exportErrorCode(99), 'UNKNOWN');
  });
});
