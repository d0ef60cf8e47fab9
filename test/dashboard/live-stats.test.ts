import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toBinary } from '@bufbuild/protobuf';
import { DUPLICATE, retryable, STORED, type StoreEntry, type StreamOrigin } from '../../src/core/store.js';
import { createLiveStats } from '../../src/dashboard/live-stats.js';
import { EventSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { testEvent } from '../helpers/gateway.js';

const origin = (instanceId: string): StreamOrigin => ({
  source: { kind: 'unlicensed_instance', instanceId, externalUrl: '' },
  publisher: 'unlicensed_instance',
  metadataBytes: new Uint8Array(),
  metadataDigest: instanceId,
});
const event = (feature = 'search'): StoreEntry => {
  const e = testEvent({ feature });
  return { kind: 'event', id: e.id, feature, action: 'submitted', timestampMs: 0, bytes: toBinary(EventSchema, e) };
};
const rejected = (reason: string): StoreEntry => ({ kind: 'rejected', id: 'r', feature: 'Bad', action: 'x', reason, bytes: new Uint8Array(4) });

describe('live dashboard counters', () => {
  it('splits outcomes per minute and per second, and rolls old minutes off', () => {
    let nowMs = 10 * 60_000;
    const stats = createLiveStats({ now: () => nowMs });
    stats.observer.payloadRecorded(origin('a'), [event(), event(), event(), rejected('bad feature')], [STORED, DUPLICATE, retryable('disk'), STORED], 3);
    stats.observer.rateLimited(origin('a'), 7);
    const minute = stats.perMinute(60).at(-1)!;
    assert.deepEqual(minute.counts, { stored: 1, duplicate: 1, retryable: 1, rejected: 1, rateLimited: 7 });
    assert.equal(stats.writeLatencyMs()!.p50, 3);
    nowMs += 1000;
    assert.equal(stats.ratePerSecond().stored, 0.1);
    nowMs += 61 * 60_000;
    assert.ok(stats.perMinute(60).every((m) => m.counts.stored === 0), 'an hour later the minute is gone');
    assert.equal(stats.totals().stored, 1);
  });

  it('remembers a bounded number of instances, pairs and rejected events', () => {
    const stats = createLiveStats({ maxKeys: 2, maxRejected: 3 });
    for (const id of ['a', 'b', 'c']) stats.observer.payloadRecorded(origin(id), [event(`f${id}`)], [STORED], 1);
    for (let i = 0; i < 5; i++) stats.observer.payloadRecorded(origin('a'), [rejected(`r${i}`)], [STORED], 1);
    assert.equal(stats.instances().length, 2);
    assert.deepEqual(stats.instances().find((i) => i.source.kind !== 'managed_service' && i.source.instanceId === 'a')?.serverVersions, ['5.11.0']);
    assert.equal(stats.pairsSince(0).length, 2, 'the third pair is counted in totals only');
    assert.deepEqual(stats.rejected().map((r) => r.reason), ['r4', 'r3', 'r2']);
  });
});
