import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toBinary } from '@bufbuild/protobuf';
import { STORED, type EventEntry, type StreamOrigin } from '../../src/core/store.js';
import { createTailHub, type TailItem } from '../../src/dashboard/tail-hub.js';
import { EventSchema, RecordEventsRequestMetadataSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { licensed, testEvent } from '../helpers/gateway.js';

const KEY = 'license-key-that-must-never-reach-a-browser';
const metadata = licensed(KEY, 'inst-1');
const origin: StreamOrigin = {
  source: { kind: 'unlicensed_instance', instanceId: 'inst-1', externalUrl: 'https://sg.example.com' },
  publisher: 'unlicensed_instance',
  metadataBytes: toBinary(RecordEventsRequestMetadataSchema, metadata),
  metadataDigest: 'digest-1',
};

function entries(count: number, feature = 'search'): EventEntry[] {
  return Array.from({ length: count }, () => {
    const event = testEvent({ feature });
    return { kind: 'event', id: event.id, feature, action: event.action, timestampMs: Date.now(), bytes: toBinary(EventSchema, event) };
  });
}

describe('live tail hub', () => {
  it('samples: a client gets at most perClientPerSecond items however fast events arrive', () => {
    let nowMs = 0;
    const hub = createTailHub({ perClientPerSecond: 5, renderPerSecond: 1000, now: () => nowMs });
    const got: TailItem[] = [];
    hub.subscribe({}, (item) => (got.push(item), true));
    const payload = entries(500);
    hub.payloadRecorded(origin, payload, payload.map(() => STORED));
    hub.payloadRecorded(origin, payload, payload.map(() => STORED));
    assert.equal(got.length, 5);
    nowMs = 1000;
    hub.payloadRecorded(origin, payload, payload.map(() => STORED));
    assert.equal(got.length, 10, 'the next second has a fresh allowance');
  });

  it('bounds rendering across all clients, and renders a record once for every client that wants it', () => {
    const hub = createTailHub({ perClientPerSecond: 100, renderPerSecond: 3, now: () => 0 });
    const a: TailItem[] = [];
    const b: TailItem[] = [];
    hub.subscribe({}, (item) => (a.push(item), true));
    hub.subscribe({}, (item) => (b.push(item), true));
    const payload = entries(50);
    hub.payloadRecorded(origin, payload, payload.map(() => STORED));
    assert.equal(a.length, 3);
    assert.deepEqual(b, a);
  });

  it('filters before rendering, masks the license key, and skips a backed-up client without buffering', () => {
    const hub = createTailHub({ now: () => 0 });
    const got: TailItem[] = [];
    let backedUp = 0;
    hub.subscribe({ feature: 'cody.chat' }, (item) => (got.push(item), true));
    hub.subscribe({}, () => (backedUp++, false));
    const payload = [...entries(3, 'search'), ...entries(1, 'cody.chat')];
    hub.payloadRecorded(origin, payload, payload.map(() => STORED));
    assert.deepEqual(got.map((i) => i.feature), ['cody.chat']);
    const record = JSON.stringify(got[0]!.record);
    assert.ok(!record.includes(KEY));
    assert.match(record, /"licenseKey":"\[masked\]"/);
    assert.equal(backedUp, 4, 'offered each item, kept none');
  });

  const broken: EventEntry[] = [{ kind: 'event', id: 'x', feature: 'f', action: 'a', timestampMs: 0, bytes: new Uint8Array([0xff, 0xff]) }];

  it('costs nothing once the last client leaves', () => {
    // The hub reads the clock first thing when it works on a payload; undecodable metadata would throw if it decoded.
    let clockReads = 0;
    const hub = createTailHub({ now: () => (clockReads++, 0) });
    const unsubscribe = hub.subscribe({}, () => true);
    unsubscribe();
    assert.equal(hub.clients, 0);
    hub.payloadRecorded({ ...origin, metadataBytes: new Uint8Array([0xff, 0xff]), metadataDigest: 'broken' }, broken, [STORED]);
    assert.equal(clockReads, 0, 'a payload with no client is not looked at');
  });

  it('shows an event it cannot decode as its size instead of failing the payload', () => {
    const hub = createTailHub({ now: () => 0 });
    const got: TailItem[] = [];
    hub.subscribe({}, (item) => (got.push(item), true));
    hub.payloadRecorded(origin, [...broken, ...entries(1)], [STORED, STORED]);
    assert.equal(got.length, 2, "the payload's other event still reaches the client");
    assert.equal(got[0]!.id, 'x');
    assert.deepEqual((got[0]!.record as { event: unknown }).event, { undecodable: '2 bytes' });
  });
});
