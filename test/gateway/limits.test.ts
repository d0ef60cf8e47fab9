import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { admitEvents, type RateLimitPolicy } from '../../src/core/token-bucket.js';
import { startTestGateway, testEvent, unlicensed } from '../helpers/gateway.js';
import { collect, eventsRequest, exchange, metadataRequest, nextResponse } from '../helpers/grpc-call.js';

describe('limits', () => {
  it('a message over --max-message-bytes ends the stream RESOURCE_EXHAUSTED, saying so', async () => {
    await using t = await startTestGateway({ maxMessageBytes: 64 * 1024 });
    const big = Array.from({ length: 200 }, () => testEvent({ featureFlags: { flags: { pad: 'x'.repeat(500) } } }));
    const result = await exchange(t.client().openRecordEvents(), [metadataRequest(unlicensed()), eventsRequest(big)]);
    assert.equal(result.code, status.RESOURCE_EXHAUSTED);
    assert.match(result.details, /larger than max/i);
    assert.equal(await t.reader.countEvents(), 0);
  });

  it('more concurrent streams than --max-streams are refused RESOURCE_EXHAUSTED until one ends', async () => {
    await using t = await startTestGateway({ maxStreams: 2 });
    const client = t.client();
    const open = [client.openRecordEvents(), client.openRecordEvents()];
    const results = open.map(collect);
    for (const call of open) {
      call.write(metadataRequest(unlicensed()));
      call.write(eventsRequest([testEvent()]));
    }
    await Promise.all(open.map(nextResponse)); // both admitted and working

    const refused = await exchange(client.openRecordEvents(), [metadataRequest(unlicensed())]);
    assert.deepEqual([refused.code, refused.details], [status.RESOURCE_EXHAUSTED, 'too many concurrent streams (limit 2); retry later']);

    open[0]!.end();
    assert.equal((await results[0]!).code, status.OK);
    const admitted = await exchange(client.openRecordEvents(), [metadataRequest(unlicensed()), eventsRequest([testEvent()])]);
    assert.equal(admitted.code, status.OK);
    open[1]!.end();
    await results[1];
  });

  it('streams that never identify cannot lock instances out: their own small budget, and a deadline', async () => {
    await using t = await startTestGateway({ maxStreams: 4, maxUnidentifiedStreams: 3, identifyTimeoutMs: 400 });
    const client = t.client();
    // Before: each took a slot of --max-streams until the idle timeout, so 4 silent streams locked everyone out.
    const silent = Array.from({ length: 6 }, () => {
      const call = client.openRecordEvents();
      return collect(call);
    });
    const event = testEvent();
    const instance = await exchange(client.openRecordEvents(), [metadataRequest(unlicensed()), eventsRequest([event])]);
    assert.equal(instance.code, status.OK, instance.details);
    assert.deepEqual(instance.responses, [[event.id]]);
    const codes = (await Promise.all(silent)).map((r) => r.code).sort();
    // Newer silent streams evicted older ones; at most 3 lasted until their deadline.
    assert.ok(codes.filter((c) => c === status.DEADLINE_EXCEEDED).length <= 3, String(codes));
    assert.ok(codes.every((c) => c === status.DEADLINE_EXCEEDED || c === status.RESOURCE_EXHAUSTED), String(codes));
    assert.ok(codes.includes(status.DEADLINE_EXCEEDED) && codes.includes(status.RESOURCE_EXHAUSTED), String(codes));
    const later = await exchange(client.openRecordEvents(), [metadataRequest(unlicensed()), eventsRequest([testEvent()])]);
    assert.equal(later.code, status.OK, later.details);
  });

  it('more concurrent streams from one source than --max-streams-per-source are refused; other sources are not', async () => {
    await using t = await startTestGateway({ maxStreamsPerSource: 1 });
    const client = t.client();
    const first = client.openRecordEvents();
    const firstResult = collect(first);
    first.write(metadataRequest(unlicensed('busy')));
    first.write(eventsRequest([testEvent()]));
    await nextResponse(first);
    const refused = await exchange(client.openRecordEvents(), [metadataRequest(unlicensed('busy'))]);
    assert.deepEqual([refused.code, refused.details], [status.RESOURCE_EXHAUSTED, 'too many concurrent streams from this source (limit 1); retry later']);
    const other = await exchange(client.openRecordEvents(), [metadataRequest(unlicensed('quiet')), eventsRequest([testEvent()])]);
    assert.equal(other.code, status.OK);
    first.end();
    assert.equal((await firstResult).code, status.OK);
  });

  it('a stream idle for longer than --stream-idle-timeout-ms is ended DEADLINE_EXCEEDED, its answers sent', async () => {
    await using t = await startTestGateway({ streamIdleTimeoutMs: 300 });
    const call = t.client().openRecordEvents();
    const result = collect(call);
    const event = testEvent();
    call.write(metadataRequest(unlicensed()));
    call.write(eventsRequest([event]));
    const { responses, code, details } = await result;
    assert.deepEqual(responses, [[event.id]]);
    assert.equal(code, status.DEADLINE_EXCEEDED);
    assert.match(details, /stream idle for more than 300 ms; open a new stream/);
  });

  it('per-source rate limit: events over the budget are not acknowledged, counted, and another source is unaffected', async () => {
    await using t = await startTestGateway({ rateLimit: 1, rateLimitBurst: 150 });
    const events = Array.from({ length: 400 }, () => testEvent());
    const limited = await exchange(t.client().openRecordEvents(), [metadataRequest(unlicensed('noisy')), eventsRequest(events)]);
    assert.equal(limited.code, status.OK);
    assert.deepEqual(limited.responses, [events.slice(0, 150).map((e) => e.id)]);
    assert.equal(await t.reader.countEvents(), 150);

    const other = await exchange(t.client().openRecordEvents(), [metadataRequest(unlicensed('quiet')), eventsRequest([testEvent()])]);
    assert.equal(other.responses[0]!.length, 1);

    const metrics = await (await fetch(`http://${t.gateway.address}/metrics`)).text();
    assert.ok(metrics.includes('telemetry_gateway_events_rate_limited_total{source="unlicensed_instance"} 250'));
  });
});

describe('rate-limit budget (pure)', () => {
  const policy: RateLimitPolicy = { eventsPerSecond: 100, burst: 500, dailyQuota: 0 };

  it('refills at the rate up to the burst', () => {
    let { admitted, budget } = admitEvents(undefined, 800, 0, policy);
    assert.equal(admitted, 500);
    ({ admitted, budget } = admitEvents(budget, 800, 1_000, policy));
    assert.equal(admitted, 100);
    ({ admitted } = admitEvents(budget, 800, 60_000, policy));
    assert.equal(admitted, 500);
  });

  it('enforces a daily quota that resets at the next UTC day', () => {
    const quota: RateLimitPolicy = { eventsPerSecond: 0, burst: 0, dailyQuota: 1000 };
    const day = 86_400_000;
    let { admitted, budget } = admitEvents(undefined, 700, 5 * day + 1, quota);
    assert.equal(admitted, 700);
    ({ admitted, budget } = admitEvents(budget, 700, 5 * day + 2, quota));
    assert.equal(admitted, 300);
    ({ admitted } = admitEvents(budget, 700, 6 * day, quota));
    assert.equal(admitted, 700);
  });
});
