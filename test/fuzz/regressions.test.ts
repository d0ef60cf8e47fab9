import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { status } from '@grpc/grpc-js';
import { EventSchema, RecordEventsRequestSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { managedService, startTestGateway, testEvent, unlicensed } from '../helpers/gateway.js';
import { tempDir } from '../helpers/temp-dir.js';
import { FUZZ_TOKEN, writeFuzzTokens } from './fuzz-setup.js';
import { concat, INVALID_UTF8_MARKER_FOR_TESTS } from './plans.js';
import { rawGatewayClient, runPlan } from './raw-client.js';

/** Inputs the fuzzers found mishandled, each pinned down. */

const metadataBytes = (metadata = unlicensed()): Uint8Array =>
  toBinary(RecordEventsRequestSchema, create(RecordEventsRequestSchema, { payload: { case: 'metadata', value: metadata } }));

/** An events request whose payload is exactly `payload` (EventsPayload bytes). */
const eventsRequestOf = (payload: Uint8Array): Uint8Array => new BinaryWriter().tag(2, WireType.LengthDelimited).bytes(payload).finish();

const eventField = (event: Uint8Array, wireType = WireType.LengthDelimited): Uint8Array =>
  new BinaryWriter().tag(1, wireType).bytes(event).finish();

describe('fuzzing regressions', () => {
  it('rejects an undecodable event (invalid UTF-8) on its own and acknowledges it; only broken framing ends the stream', async () => {
    await using t = await startTestGateway();
    const client = rawGatewayClient(t.gateway.address);
    const good = testEvent();
    const after = testEvent();
    const badEvent = testEvent({ feature: INVALID_UTF8_MARKER_FOR_TESTS });
    const bad = toBinary(EventSchema, badEvent);
    const at = Buffer.from(bad).indexOf(Buffer.from(INVALID_UTF8_MARKER_FOR_TESTS));
    bad[at] = 0xff; // no longer UTF-8
    const truncated = eventsRequestOf(eventField(toBinary(EventSchema, testEvent()))).subarray(0, 20);
    const result = await runPlan(
      client,
      {
        authorization: undefined,
        requests: [
          metadataBytes(),
          eventsRequestOf(concat(eventField(toBinary(EventSchema, good)), eventField(bad), eventField(toBinary(EventSchema, after)))),
          truncated,
        ],
      },
      10_000,
    );
    client.close();
    // Before: the whole request was malformed and ended the stream, so the instance re-sent all three forever.
    assert.deepEqual(result.responses, [[good.id, badEvent.id, after.id]]);
    assert.equal(result.code, status.INVALID_ARGUMENT, result.details);
    assert.match(result.details, /^malformed request: /);
    assert.equal(await t.reader.countEvents(), 2);
    const rejected = await t.reader.listRejected({ limit: 10 });
    assert.deepEqual(rejected.map((row) => [row.id, row.reason.startsWith('malformed event: ')]), [[badEvent.id, true]]);
  });

  it('stores the bytes of the event it validated when a message field comes with another wire type', async () => {
    await using t = await startTestGateway();
    const client = rawGatewayClient(t.gateway.address);
    const a = testEvent({ feature: 'alpha' });
    const b = testEvent({ feature: 'beta' });
    // protobuf-es reads field 1 as a length-delimited Event whatever its wire type; a varint-typed
    // tag made the slicing pass skip a varint and take bytes from inside event A as the first event.
    const payload = concat(eventField(toBinary(EventSchema, a), WireType.Varint), eventField(toBinary(EventSchema, b)));
    const result = await runPlan(client, { authorization: undefined, requests: [metadataBytes(), eventsRequestOf(payload)] }, 10_000);
    client.close();
    assert.equal(result.code, status.OK, result.details);
    assert.deepEqual(result.responses, [[a.id, b.id]]);
    const rows = await t.reader.listEvents({ limit: 10 });
    assert.deepEqual(
      rows.map((row) => [row.id, fromBinary(EventSchema, row.eventBytes).id, fromBinary(EventSchema, row.eventBytes).feature]),
      [
        [a.id, a.id, 'alpha'],
        [b.id, b.id, 'beta'],
      ],
    );
  });

  it('answers a payload whose framing the slicing pass cannot follow instead of failing the call INTERNAL', async () => {
    await using t = await startTestGateway();
    const client = rawGatewayClient(t.gateway.address);
    const a = testEvent();
    // Event A under a fixed64-typed tag: skipping 8 bytes lands mid-event, where the slicer ran out of bytes.
    const payload = eventField(toBinary(EventSchema, a), WireType.Bit64);
    const result = await runPlan(client, { authorization: undefined, requests: [metadataBytes(), eventsRequestOf(payload)] }, 10_000);
    client.close();
    assert.equal(result.code, status.OK, result.details);
    assert.deepEqual(result.responses, [[a.id]]);
  });

  it('keeps an event whose record cannot be written as JSON (timestamp after 9999) aside as rejected, acknowledged for an instance', async () => {
    await using t = await startTestGateway();
    const client = rawGatewayClient(t.gateway.address);
    const late = testEvent({ timestamp: { seconds: 253_402_300_800n, nanos: 0 } });
    const negativeNanos = testEvent({ timestamp: { seconds: 1n, nanos: -1 } });
    const events = new BinaryWriter().tag(2, WireType.LengthDelimited).fork();
    for (const e of [late, negativeNanos]) events.tag(1, WireType.LengthDelimited).bytes(toBinary(EventSchema, e));
    const result = await runPlan(client, { authorization: undefined, requests: [metadataBytes(), events.join().finish()] }, 10_000);
    client.close();
    assert.equal(result.code, status.OK, result.details);
    assert.deepEqual(result.responses, [[late.id, negativeNanos.id]]);
    assert.equal(await t.reader.countEvents(), 0);
    const rejected = await t.reader.listRejected({ limit: 10 });
    assert.deepEqual(rejected.map((r) => r.reason), ['event timestamp is outside 0001-01-01 to 9999-12-31', 'event timestamp is outside 0001-01-01 to 9999-12-31']);
  });

  it('keeps a managed service event with NaN in private_metadata aside as rejected, and does not acknowledge it', async () => {
    using dir = tempDir();
    await using t = await startTestGateway({ serviceTokensFile: writeFuzzTokens(dir.path) });
    const client = rawGatewayClient(t.gateway.address);
    const nan = testEvent({ parameters: { privateMetadata: { nested: [1, { x: Number.NaN }] } } });
    const fine = testEvent({ parameters: { privateMetadata: { x: 1 } } });
    const events = new BinaryWriter().tag(2, WireType.LengthDelimited).fork();
    for (const e of [nan, fine]) events.tag(1, WireType.LengthDelimited).bytes(toBinary(EventSchema, e));
    const result = await runPlan(
      client,
      { authorization: `Bearer ${FUZZ_TOKEN}`, requests: [metadataBytes(managedService('fuzz-service')), events.join().finish()] },
      10_000,
    );
    client.close();
    assert.equal(result.code, status.OK, result.details);
    assert.deepEqual(result.responses, [[fine.id]]);
    assert.deepEqual((await t.reader.listEvents({ limit: 10 })).map((r) => r.id), [fine.id]);
    assert.deepEqual((await t.reader.listRejected({ limit: 10 })).map((r) => r.reason), ['private_metadata holds NaN or an infinite number, which JSON cannot carry']);
  });
});
