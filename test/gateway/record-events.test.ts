import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import { EventSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { renderStoredRecord } from '../../src/core/record.js';
import { withFaults } from '../helpers/fault-store.js';
import { startTestGateway, testEvent, unlicensed, metadataFor } from '../helpers/gateway.js';
import { emptyRequest, eventsRequest, exchange, metadataRequest, nextResponse, collect } from '../helpers/grpc-call.js';

describe('RecordEvents stream protocol (real gRPC client over a socket)', () => {
  it('acknowledges each payload with its ids, in order, and ends OK', async () => {
    await using t = await startTestGateway();
    const payloads = [1, 3, 2].map((n) => Array.from({ length: n }, () => testEvent()));
    const result = await exchange(t.client().openRecordEvents(), [
      metadataRequest(unlicensed()),
      ...payloads.map(eventsRequest),
    ]);
    assert.equal(result.code, status.OK, result.details);
    assert.deepEqual(result.responses, payloads.map((events) => events.map((e) => e.id)));
    assert.equal(await t.reader.countEvents(), 6);
  });

  it('answers an empty payload with an empty response and ignores requests with no payload', async () => {
    await using t = await startTestGateway();
    const event = testEvent();
    const result = await exchange(t.client().openRecordEvents(), [
      emptyRequest(),
      metadataRequest(unlicensed()),
      emptyRequest(),
      eventsRequest([]),
      eventsRequest([event]),
    ]);
    assert.equal(result.code, status.OK, result.details);
    assert.deepEqual(result.responses, [[], [event.id]]);
  });

  it('ends OK with no responses when only metadata is sent', async () => {
    await using t = await startTestGateway();
    const result = await exchange(t.client().openRecordEvents(), [metadataRequest(unlicensed())]);
    assert.deepEqual([result.code, result.responses], [status.OK, []]);
  });

  it('refuses metadata sent twice, after answering earlier payloads', async () => {
    await using t = await startTestGateway();
    const event = testEvent();
    const result = await exchange(t.client().openRecordEvents(), [
      metadataRequest(unlicensed()),
      eventsRequest([event]),
      metadataRequest(unlicensed()),
    ]);
    assert.equal(result.code, status.INVALID_ARGUMENT);
    assert.equal(result.details, 'received metadata more than once');
    assert.deepEqual(result.responses, [[event.id]]);
  });

  it('refuses events before metadata', async () => {
    await using t = await startTestGateway();
    const result = await exchange(t.client().openRecordEvents(), [eventsRequest([testEvent()])]);
    assert.equal(result.code, status.INVALID_ARGUMENT);
    assert.equal(result.details, 'got events when metadata not yet received');
    assert.equal(await t.reader.countEvents(), 0);
  });

  it('refuses a missing identifier as unsupported', async () => {
    await using t = await startTestGateway();
    const result = await exchange(t.client().openRecordEvents(), [metadataRequest(metadataFor(undefined))]);
    assert.deepEqual([result.code, result.details], [status.UNIMPLEMENTED, 'unsupported identifier type']);
  });

  it('requires instance_id for unlicensed instances', async () => {
    await using t = await startTestGateway();
    const result = await exchange(t.client().openRecordEvents(), [metadataRequest(unlicensed(''))]);
    assert.deepEqual(
      [result.code, result.details],
      [status.INVALID_ARGUMENT, 'instance_id is required for unlicensed instance'],
    );
  });

  it('refuses unlicensed instances when the policy denies them', async () => {
    await using t = await startTestGateway({ unlicensed: 'deny' });
    const result = await exchange(t.client().openRecordEvents(), [metadataRequest(unlicensed())]);
    assert.equal(result.code, status.PERMISSION_DENIED);
  });

  it('answers a client that waits for each response before sending more (no read/write deadlock)', async () => {
    await using t = await startTestGateway();
    const call = t.client().openRecordEvents();
    const ended = collect(call);
    call.write(metadataRequest(unlicensed()));
    for (let i = 0; i < 3; i++) {
      const event = testEvent();
      call.write(eventsRequest([event]));
      assert.deepEqual(await nextResponse(call), [event.id]);
    }
    call.end();
    assert.equal((await ended).code, status.OK);
  });

  it('stores a re-sent id once and acknowledges it every time', async () => {
    await using t = await startTestGateway();
    const event = testEvent();
    const first = await exchange(t.client().openRecordEvents(), [
      metadataRequest(unlicensed()),
      eventsRequest([event, event]),
    ]);
    const second = await exchange(t.client().openRecordEvents(), [metadataRequest(unlicensed()), eventsRequest([event])]);
    assert.deepEqual(first.responses, [[event.id, event.id]]);
    assert.deepEqual(second.responses, [[event.id]]);
    assert.equal(await t.reader.countEvents(), 1);
  });

  it('leaves out exactly the ids the store failed to write, and stores them when re-sent', async () => {
    const failing = new Set<string>();
    await using t = await startTestGateway({}, {
      wrapStore: (store) => withFaults(store, { failEntry: (entry) => failing.has(entry.id) }),
    });
    const events = Array.from({ length: 10 }, () => testEvent());
    for (const i of [1, 4, 9]) failing.add(events[i]!.id);
    const result = await exchange(t.client().openRecordEvents(), [metadataRequest(unlicensed()), eventsRequest(events)]);
    assert.equal(result.code, status.OK);
    assert.deepEqual(result.responses, [events.filter((e) => !failing.has(e.id)).map((e) => e.id)]);
    assert.equal(await t.reader.countEvents(), 7);

    failing.clear();
    const retry = await exchange(t.client().openRecordEvents(), [metadataRequest(unlicensed()), eventsRequest(events)]);
    assert.deepEqual(retry.responses, [events.map((e) => e.id)]);
    assert.equal(await t.reader.countEvents(), 10);
  });

  it('merges legacy int64 metadata into metadata (legacy wins) before storing', async () => {
    await using t = await startTestGateway();
    const event = testEvent({
      parameters: { metadata: { kept: 1.5, clash: 2 }, legacyMetadata: { clash: 7n, big: 9007199254740993n } },
    });
    await exchange(t.client().openRecordEvents(), [metadataRequest(unlicensed()), eventsRequest([event])]);
    const [row] = await t.reader.listEvents({ limit: 10 });
    const stored = fromBinary(EventSchema, row!.eventBytes);
    assert.deepEqual(stored.parameters?.legacyMetadata, {});
    assert.deepEqual(stored.parameters?.metadata, { kept: 1.5, clash: 7, big: 9007199254740992 });
    const record = JSON.parse(renderStoredRecord(row!.eventBytes, row!.metadataBytes));
    assert.deepEqual(record.event.parameters.metadata, { kept: 1.5, clash: 7, big: 9007199254740992 });
    assert.equal(record.event.parameters.legacyMetadata, undefined);
    assert.equal(record.metadata.identifier.unlicensedInstance.instanceId, 'test-instance');
  });

  it('keeps invalid events in the rejected table with the reason, and acknowledges them for instances', async () => {
    await using t = await startTestGateway();
    const valid = testEvent();
    const invalid = [
      testEvent({ id: '' }),
      testEvent({ timestamp: undefined }),
      testEvent({ feature: '' }),
      testEvent({ action: 'Bad' }),
      testEvent({ feature: `a${'b'.repeat(64)}` }),
    ];
    const result = await exchange(t.client().openRecordEvents(), [
      metadataRequest(unlicensed()),
      eventsRequest([valid, ...invalid]),
    ]);
    assert.deepEqual(result.responses, [[valid.id, ...invalid.map((e) => e.id)]]);
    assert.equal(await t.reader.countEvents(), 1);
    const rejected = await t.reader.listRejected({ limit: 10 });
    assert.deepEqual(
      rejected.map((r) => r.reason),
      [
        'event id is required',
        'event timestamp is required',
        'feature is required',
        'action must match ^[a-z][a-zA-Z-.]+$',
        'feature is longer than 64 characters',
      ],
    );
    assert.ok(rejected.every((r) => r.publisher === 'unlicensed_instance'));
  });

  it('keeps a record of 10,000,000 bytes or more out of the store, with a reason, acknowledged', async () => {
    await using t = await startTestGateway();
    // NUL characters escape to six bytes each in JSON: 1.7 MB on the wire, > 10 MB as a record.
    const huge = testEvent({ featureFlags: { flags: { blob: '\u0000'.repeat(1_700_000) } } });
    const small = testEvent();
    const result = await exchange(t.client().openRecordEvents(), [
      metadataRequest(unlicensed()),
      eventsRequest([huge]),
      eventsRequest([small]),
    ]);
    assert.equal(result.code, status.OK, result.details);
    assert.deepEqual(result.responses, [[huge.id], [small.id]]);
    const [rejected] = await t.reader.listRejected({ limit: 1 });
    assert.equal(rejected?.id, huge.id);
    assert.match(rejected!.reason, /^record of \d+ bytes exceeds the 10000000-byte limit$/);
    assert.equal(await t.reader.countEvents(), 1);
  });
});
