import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toBinary } from '@bufbuild/protobuf';
import { createMemoryStore } from '../../src/adapters/stores/memory-store.js';
import { DEFAULT_IDENTITY_POLICY } from '../../src/core/identity/identify.js';
import { gatewayPrivacyPolicy } from '../../src/core/privacy/gateway-privacy.js';
import { Code, GatewayError } from '../../src/core/status.js';
import type { EventStore, WriteBatch, WriteOutcome } from '../../src/core/store.js';
import type { CallContext, IncomingRequest } from '../../src/core/stream-session.js';
import { eventListFromArray } from '../../src/core/wire/event-list.js';
import { NOOP_OBSERVER } from '../../src/gateway/ingest-observer.js';
import { createMemoryBudget } from '../../src/gateway/memory-budget.js';
import type { AckList } from '../../src/core/wire/ack-list.js';
import { serveRecordEvents, type RecordEventsOptions, type SizedRequest } from '../../src/gateway/record-events-stream.js';
import { createStreamAdmission } from '../../src/gateway/stream-admission.js';
import { EventSchema, RecordEventsRequestMetadataSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { testEvent, unlicensed } from '../helpers/gateway.js';
import { pollUntil } from '../helpers/poll.js';

/**
 * The RecordEvents handler without a socket: requests in as an async
 * iterable, acknowledgements out as one. What the grpc-js adapter only pumps.
 */

const call: CallContext = { authorization: undefined, policy: DEFAULT_IDENTITY_POLICY, now: () => new Date() };

function metadata(instanceId = 'core-test'): SizedRequest {
  const value = unlicensed(instanceId);
  return { request: { payload: 'metadata', metadata: value, metadataBytes: toBinary(RecordEventsRequestMetadataSchema, value) }, bytes: 64 };
}
function events(n: number): { request: SizedRequest; ids: string[] } {
  const list = Array.from({ length: n }, () => testEvent());
  const request: IncomingRequest = { payload: 'events', events: eventListFromArray(list.map((e) => toBinary(EventSchema, e))) };
  return { request: { request, bytes: 1000 * n }, ids: list.map((e) => e.id) };
}

/** Requests pushed by the test, as a client would send them; end() half-closes. */
function clientStream(): { requests: AsyncIterable<SizedRequest>; send: (r: SizedRequest) => void; end: () => void } {
  const queue: SizedRequest[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  return {
    requests: (async function* () {
      for (;;) {
        if (queue.length > 0) yield queue.shift()!;
        else if (ended) return;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    })(),
    send: (r) => {
      queue.push(r);
      wake?.();
    },
    end: () => {
      ended = true;
      wake?.();
    },
  };
}

/** A store whose writes wait until the test releases them; counts writes started. */
function gatedStore(): EventStore & { started: number; releaseAll: () => void } {
  const inner = createMemoryStore();
  const gates: (() => void)[] = [];
  let open = false;
  const store = {
    description: 'gated',
    started: 0,
    async write(batch: WriteBatch): Promise<WriteOutcome[]> {
      store.started++;
      if (!open) await new Promise<void>((resolve) => gates.push(resolve));
      return inner.write(batch);
    },
    health: () => inner.health(),
    close: () => inner.close(),
    releaseAll() {
      open = true;
      for (const gate of gates.splice(0)) gate();
    },
  };
  return store;
}

function options(store: EventStore, overrides: Partial<RecordEventsOptions> = {}): RecordEventsOptions {
  return {
    store,
    observer: NOOP_OBSERVER,
    privacy: gatewayPrivacyPolicy({ enforce: true, allowlist: [], trustedSources: [] }),
    limits: { maxInFlightPayloads: 8, idleTimeoutMs: 0, identifyTimeoutMs: 0 },
    admission: createStreamAdmission({ maxStreams: 10, maxUnidentifiedStreams: 10, maxStreamsPerSource: 10 }),
    memory: createMemoryBudget(1 << 30),
    ...overrides,
  };
}

async function drain(responses: AsyncIterable<AckList>): Promise<{ answers: string[][]; error?: GatewayError }> {
  const answers: string[][] = [];
  try {
    for await (const ids of responses) answers.push(ids.ids());
    return { answers };
  } catch (error) {
    return { answers, error: error as GatewayError };
  }
}

/** Lets every promise chain that can move, move (all of it is in process: no I/O to wait for). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('RecordEvents handler (no socket)', () => {
  it('answers each payload in order, then ends when the client half-closes', async () => {
    const client = clientStream();
    const a = events(3);
    const b = events(2);
    const result = drain(serveRecordEvents(client.requests, call, options(createMemoryStore())));
    client.send(metadata());
    client.send(a.request);
    client.send(b.request);
    client.end();
    assert.deepEqual(await result, { answers: [a.ids, b.ids] });
  });

  it('ends INVALID_ARGUMENT on events before metadata, and after answering earlier payloads on metadata twice', async () => {
    const early = clientStream();
    early.send(events(1).request);
    const refused = await drain(serveRecordEvents(early.requests, call, options(createMemoryStore())));
    assert.deepEqual([refused.error?.code, refused.error?.message], [Code.INVALID_ARGUMENT, 'got events when metadata not yet received']);

    const twice = clientStream();
    const a = events(2);
    twice.send(metadata());
    twice.send(a.request);
    twice.send(metadata());
    const result = await drain(serveRecordEvents(twice.requests, call, options(createMemoryStore())));
    assert.deepEqual(result.answers, [a.ids]);
    assert.deepEqual([result.error?.code, result.error?.message], [Code.INVALID_ARGUMENT, 'received metadata more than once']);
  });

  it('has at most maxInFlightPayloads payloads in the store at once; reading pauses beyond', async () => {
    const store = gatedStore();
    const client = clientStream();
    const result = drain(serveRecordEvents(client.requests, call, options(store, { limits: { maxInFlightPayloads: 3, idleTimeoutMs: 0, identifyTimeoutMs: 0 } })));
    client.send(metadata());
    for (let i = 0; i < 10; i++) client.send(events(1).request);
    client.end();
    await pollUntil('store.started === 3', () => (store.started === 3) || undefined, 5000);
    await settle();
    assert.equal(store.started, 3, 'a fourth write started while three were unanswered');
    store.releaseAll();
    assert.equal((await result).answers.length, 10);
  });

  it('acknowledges nothing when the store throws instead of answering', async () => {
    const throwing: EventStore = { description: 'throws', write: () => Promise.reject(new Error('disk on fire')), health: async () => ({ ok: false, reason: 'x' }), close: async () => {} };
    const client = clientStream();
    client.send(metadata());
    client.send(events(3).request);
    client.end();
    assert.deepEqual(await drain(serveRecordEvents(client.requests, call, options(throwing))), { answers: [[]] });
  });

  it('drains: stops reading, answers what it read, ends UNAVAILABLE', async () => {
    const store = gatedStore();
    const draining = new AbortController();
    const client = clientStream();
    const a = events(2);
    const result = drain(serveRecordEvents(client.requests, call, options(store, { draining: draining.signal })));
    client.send(metadata());
    client.send(a.request);
    await pollUntil('store.started === 1', () => (store.started === 1) || undefined, 5000);
    draining.abort();
    client.send(events(1).request); // never read
    store.releaseAll();
    const { answers, error } = await result;
    assert.deepEqual(answers, [a.ids]);
    assert.deepEqual([error?.code, error?.message], [Code.UNAVAILABLE, 'gateway is shutting down']);
    assert.equal(store.started, 1);
  });

  it('unidentified streams have their own budget and must identify in time; identified ones keep their slots', async () => {
    const admission = createStreamAdmission({ maxStreams: 10, maxUnidentifiedStreams: 2, maxStreamsPerSource: 1 });
    const shared = (overrides: Partial<RecordEventsOptions> = {}): RecordEventsOptions =>
      options(createMemoryStore(), { admission, limits: { maxInFlightPayloads: 8, idleTimeoutMs: 0, identifyTimeoutMs: 200 }, ...overrides });
    const silent = [clientStream(), clientStream()].map((c) => drain(serveRecordEvents(c.requests, call, shared())));
    await pollUntil('two unidentified', () => (admission.active.unidentified === 2) || undefined, 5000);
    // A third evicts the one that waited longest, and must identify in time itself.
    const third = drain(serveRecordEvents(clientStream().requests, call, shared()));
    const [oldest, younger] = await Promise.all(silent);
    assert.deepEqual([oldest!.error?.code, oldest!.error?.message], [Code.RESOURCE_EXHAUSTED, 'too many streams waiting to identify; this one waited longest without sending metadata']);
    for (const result of [younger!, await third]) {
      assert.equal(result.error?.code, Code.DEADLINE_EXCEEDED);
      assert.match(result.error!.message, /no metadata within 200 ms/);
    }
    // A source past its own cap is refused; another source is not.
    const busy = clientStream();
    const busyResult = drain(serveRecordEvents(busy.requests, call, shared()));
    busy.send(metadata('same'));
    await pollUntil('one identified', () => (admission.active.identified === 1) || undefined, 5000);
    const second = clientStream();
    second.send(metadata('same'));
    assert.equal((await drain(serveRecordEvents(second.requests, call, shared()))).error?.code, Code.RESOURCE_EXHAUSTED);
    const other = clientStream();
    other.send(metadata('other'));
    other.end();
    assert.deepEqual(await drain(serveRecordEvents(other.requests, call, shared())), { answers: [] });
    busy.end();
    await busyResult;
    assert.deepEqual(admission.active, { unidentified: 0, identified: 0 });
  });

  it("holds a payload's share of the memory budget until its answer is written, not only until it is stored", async () => {
    const memory = createMemoryBudget(1 << 20);
    const client = clientStream();
    const responses = serveRecordEvents(client.requests, call, options(createMemoryStore(), { memory }));
    client.send(metadata());
    const payload = events(2);
    client.send(payload.request);
    const first = await responses.next(); // handed to the adapter, which has not asked for more (still writing it)
    assert.deepEqual(first.value?.ids(), payload.ids);
    assert.equal(memory.inUseBytes, 2 * (1000 + 96)); // small for this budget: no read permit held for the next
    client.end();
    assert.equal((await responses.next()).done, true);
    assert.equal(memory.inUseBytes, 0);
  });

  it("lets go of a payload's request bytes when its answer is written, as its budget share goes", async () => {
    const memory = createMemoryBudget(1 << 20);
    const client = clientStream();
    const responses = serveRecordEvents(client.requests, call, options(createMemoryStore(), { memory }));
    client.send(metadata());
    const payload = events(2);
    let released = 0;
    const list = payload.request.request.payload === 'events' ? payload.request.request.events : assert.fail();
    client.send({ ...payload.request, request: { payload: 'events', events: { ...list, release: () => released++ } } });
    assert.deepEqual((await responses.next()).value?.ids(), payload.ids);
    assert.equal(released, 0, 'still held while the adapter writes the answer');
    const ended = responses.next(); // the adapter asks for more: the answer is written
    await pollUntil('events released', () => (released === 1 && memory.inUseBytes === 0) || undefined, 5000);
    client.end();
    assert.equal((await ended).done, true);
    assert.equal(released, 1, 'released once');
  });

  it('a stream whose next request the gateway holds back (waiting for the memory budget) is not idle; once let go, the idle timeout counts again', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const client = clientStream();
    const assembly = { holder: {}, waiting: false, requestStarting: () => undefined, requestArrived: () => undefined, close: () => {} };
    let outcome: string | undefined;
    const result = drain(serveRecordEvents(client.requests, call, options(createMemoryStore(), { assembly, limits: { maxInFlightPayloads: 8, idleTimeoutMs: 1000, identifyTimeoutMs: 0 } })));
    void result.then((r) => (outcome = r.error?.message ?? 'ended'));
    client.send(metadata());
    await settle();
    assembly.waiting = true; // a large request's length prefix came; its bytes wait for the budget
    for (let i = 0; i < 10; i++) {
      t.mock.timers.tick(1000);
      await settle();
    }
    assert.equal(outcome, undefined, 'ended as idle while the gateway held its request');
    assembly.waiting = false;
    t.mock.timers.tick(1000);
    await settle();
    assert.match(outcome ?? '', /stream idle for more than 1000 ms/);
  });

  it('shares one memory budget across streams: reading pauses while it is spent', async () => {
    const store = gatedStore();
    const memory = createMemoryBudget(2500); // two payloads of 1000 bytes fit, a third waits
    const clients = [clientStream(), clientStream(), clientStream()];
    const results = clients.map((c) => drain(serveRecordEvents(c.requests, call, options(store, { memory }))));
    clients.forEach((c, i) => {
      c.send(metadata(`m${i}`));
      c.send(events(1).request);
      c.end();
    });
    await pollUntil('store.started === 2', () => (store.started === 2) || undefined, 5000);
    await settle();
    assert.equal(store.started, 2, 'a third payload was read past the budget');
    assert.equal(memory.inUseBytes, 2 * (1000 + 96)); // wire bytes, and what each event holds until answered
    store.releaseAll();
    for (const result of await Promise.all(results)) assert.equal(result.answers.length, 1);
    assert.equal(memory.inUseBytes, 0);
  });
});

