import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import type { EventEntry, EventReader, EventStore, RejectedEntry, StoreEntry, StreamOrigin } from '../../src/core/store.js';
import { EventSchema, RecordEventsRequestMetadataSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { unlicensed } from '../helpers/gateway.js';

export interface StoreUnderTest {
  store: EventStore;
  reader: EventReader;
  /** Rows of per-sender metadata the store keeps (SQL stores), to show streams do not add any. */
  countMetadataRows?: () => Promise<number>;
  /** Closes and opens the same store again, for stores that persist. */
  reopen?: () => Promise<{ store: EventStore; reader: EventReader }>;
  cleanup?: () => Promise<void>;
}

const origins = new Map<string, StreamOrigin>();

/** One origin per instance id: its metadata carries a random request id, so it is built once and reused. */
export function origin(instanceId = 'contract-instance'): StreamOrigin {
  const known = origins.get(instanceId);
  if (known) return known;
  const metadataBytes = toBinary(RecordEventsRequestMetadataSchema, unlicensed(instanceId));
  const built: StreamOrigin = {
    source: { kind: 'unlicensed_instance', instanceId, externalUrl: 'https://sg.example.com' },
    publisher: 'unlicensed_instance',
    metadataBytes,
    metadataDigest: createHash('sha256').update(metadataBytes).digest('hex'),
  };
  origins.set(instanceId, built);
  return built;
}

/** A stream of one sender: same identity as every other stream of `instanceId`, its own request id. */
export function streamOrigin(instanceId: string, requestId: string): StreamOrigin {
  const metadataBytes = toBinary(RecordEventsRequestMetadataSchema, { ...unlicensed(instanceId), requestId });
  return { ...origin(instanceId), metadataBytes, metadataDigest: createHash('sha256').update(metadataBytes).digest('hex') };
}

let counter = 0;
export function eventEntry(id = `contract-${process.pid}-${Date.now()}-${++counter}`): EventEntry {
  return { kind: 'event', id, feature: 'search', action: 'submitted', timestampMs: Date.now(), bytes: Buffer.from(`bytes of ${id}`) };
}

function rejectedEntry(reason: string): RejectedEntry {
  return { kind: 'rejected', id: `rejected-${++counter}`, feature: 'Bad', action: 'x', reason, bytes: Buffer.from('raw') };
}

/** The behaviour every EventStore/EventReader must have; run against each implementation. */
export function describeStoreContract(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`store contract: ${name}`, () => {
    const withStore = (fn: (s: StoreUnderTest) => Promise<void>) => async () => {
      const s = await open();
      try {
        await fn(s);
      } finally {
        await s.store.close();
        await s.reader.close();
        await s.cleanup?.();
      }
    };

    it('stores new ids and reports re-sent ones as duplicates, also within one batch', withStore(async ({ store, reader }) => {
      const [a, b] = [eventEntry(), eventEntry()];
      assert.deepEqual(
        (await store.write({ origin: origin(), entries: [a, b, a] })).map((o) => o.status),
        ['stored', 'stored', 'duplicate'],
      );
      assert.deepEqual((await store.write({ origin: origin(), entries: [b] })).map((o) => o.status), ['duplicate']);
      assert.equal(await reader.countEvents(), 2);
    }));

    it('lists events oldest first with their bytes and stream metadata, and pages', withStore(async ({ store, reader }) => {
      const entries = Array.from({ length: 5 }, () => eventEntry());
      await store.write({ origin: origin('first'), entries: entries.slice(0, 3) });
      await store.write({ origin: origin('second'), entries: entries.slice(3) });
      const rows = await reader.listEvents({ limit: 10 });
      assert.deepEqual(rows.map((r) => r.id), entries.map((e) => e.id));
      assert.deepEqual(Buffer.from(rows[0]!.eventBytes), Buffer.from(entries[0]!.bytes));
      assert.deepEqual(Buffer.from(rows[4]!.metadataBytes), Buffer.from(origin('second').metadataBytes));
      const page = await reader.listEvents({ limit: 2, afterSeq: rows[1]!.seq });
      assert.deepEqual(page.map((r) => r.id), entries.slice(2, 4).map((e) => e.id));
    }));

    it("lists each event with its own stream's metadata (request id) while a sender's metadata is kept once", withStore(async ({ store, reader, countMetadataRows }) => {
      const streams = ['request-a', 'request-b', 'request-c'].map((requestId) => streamOrigin('one-sender', requestId));
      const entries = streams.map(() => eventEntry());
      // Written at once, so a store that groups writes takes them together, each batch with its own origin.
      await Promise.all([
        ...streams.map((stream, i) => store.write({ origin: stream, entries: [entries[i]!] })),
        store.write({ origin: streams[2]!, entries: [rejectedEntry('feature is required')] }),
      ]);
      const rows = await reader.listEvents({ limit: 10 });
      assert.deepEqual(rows.map((r) => r.id).sort(), entries.map((e) => e.id).sort());
      for (const row of rows) {
        const i = entries.findIndex((e) => e.id === row.id);
        assert.deepEqual(Buffer.from(row.metadataBytes), Buffer.from(streams[i]!.metadataBytes));
      }
      const [rejected] = await reader.listRejected({ limit: 10 });
      assert.deepEqual(Buffer.from(rejected!.metadataBytes), Buffer.from(streams[2]!.metadataBytes));
      if (countMetadataRows) assert.equal(await countMetadataRows(), 1, 'one row for the sender, not one per stream');
    }));

    it("keeps its own copy of what it acknowledged: the caller's buffers may be reused after the write", withStore(async ({ store, reader }) => {
      // The gateway's entries are views into the request they came in (stripped in place there).
      const sent = origin('reused');
      const request = Buffer.concat([Buffer.from('event-one|event-two|rejected-one|'), sent.metadataBytes]);
      const sender = { ...sent, metadataBytes: request.subarray(33) };
      const entries: StoreEntry[] = [
        { ...eventEntry(), bytes: request.subarray(0, 9) },
        { ...eventEntry(), bytes: request.subarray(10, 19) },
        { ...rejectedEntry('feature is required'), bytes: request.subarray(20, 32) },
      ];
      await store.write({ origin: sender, entries });
      request.fill(0);
      const rows = await reader.listEvents({ limit: 10 });
      assert.deepEqual(rows.map((r) => Buffer.from(r.eventBytes).toString()), ['event-one', 'event-two']);
      for (const row of rows) assert.deepEqual(Buffer.from(row.metadataBytes), Buffer.from(origin('reused').metadataBytes));
      const [rejected] = await reader.listRejected({ limit: 10 });
      assert.equal(Buffer.from(rejected!.eventBytes).toString(), 'rejected-one');
      assert.deepEqual(Buffer.from(rejected!.metadataBytes), Buffer.from(origin('reused').metadataBytes));
    }));

    it('keeps rejected entries with their reasons', withStore(async ({ store, reader }) => {
      const outcomes = await store.write({ origin: origin(), entries: [rejectedEntry('feature is required'), eventEntry()] });
      assert.deepEqual(outcomes.map((o) => o.status), ['stored', 'stored']);
      const [row] = await reader.listRejected({ limit: 10 });
      assert.equal(row?.reason, 'feature is required');
      assert.equal(row?.publisher, 'unlicensed_instance');
      assert.equal(await reader.countRejected(), 1);
      assert.equal(await reader.countEvents(), 1);
    }));

    it('answers many concurrent writers, each with its own outcomes', withStore(async ({ store, reader }) => {
      const batches = Array.from({ length: 40 }, () => Array.from({ length: 25 }, () => eventEntry()));
      const results = await Promise.all(batches.map((entries, i) => store.write({ origin: origin(`i${i % 3}`), entries })));
      assert.ok(results.every((outcomes, i) => outcomes.length === batches[i]!.length && outcomes.every((o) => o.status === 'stored')));
      assert.equal(await reader.countEvents(), 1000);
    }));

    it('takes text holding U+0000 (ids, instance and request ids, event strings, rejected names) without failing anyone\'s write', withStore(async ({ store, reader }) => {
      // Proto3 strings may hold U+0000 and the gateway accepts such senders and ids; PostgreSQL text
      // and jsonb cannot hold it. One such sender must not make its own or a concurrent write retryable.
      const sender = streamOrigin('nul\u0000instance', 'request\u0000id');
      const event = create(EventSchema, { id: `nul-string-${++counter}`, feature: 'search', action: 'submitted', timestamp: { seconds: 1_790_000_000n }, source: { server: { version: 'v\u0000' } } });
      const withNulString: EventEntry = { ...eventEntry(event.id), bytes: toBinary(EventSchema, event) };
      const withNulId = eventEntry(`nul\u0000id-${++counter}`);
      const rejected: RejectedEntry = { kind: 'rejected', id: 'r\u0000', feature: 'f\u0000', action: 'a\u0000', reason: 'feature must match ^[a-z][a-zA-Z-.]+$', bytes: Buffer.from('raw') };
      const bystander = eventEntry();
      const [outcomes, bystanderOutcomes] = await Promise.all([
        store.write({ origin: sender, entries: [withNulString, withNulId, rejected] }),
        store.write({ origin: origin(), entries: [bystander] }),
      ]);
      assert.deepEqual(outcomes.map((o) => o.status), ['stored', 'stored', 'stored']);
      assert.deepEqual(bystanderOutcomes.map((o) => o.status), ['stored']);
      assert.equal((await store.write({ origin: sender, entries: [withNulString] }))[0]!.status, 'duplicate');
      // Each is kept once, with its exact bytes: as an event, or (where ids cannot be keys) set aside with the reason.
      const events = await reader.listEvents({ limit: 10 });
      const set = await reader.listRejected({ limit: 10 });
      assert.equal(events.length + set.length, 4);
      assert.deepEqual(Buffer.from(events.find((r) => r.id === withNulString.id)!.eventBytes), Buffer.from(withNulString.bytes));
      const nulId = events.find((r) => r.id === withNulId.id) ?? set.find((r) => r.reason.includes('U+0000'));
      assert.ok(nulId, 'the event whose id holds U+0000 is kept');
      assert.deepEqual(Buffer.from(nulId.eventBytes), Buffer.from(withNulId.bytes));
    }));

    it('is healthy while open; after close it refuses writes as retryable, and close is idempotent', async () => {
      const { store, reader, cleanup } = await open();
      assert.equal((await store.health()).ok, true);
      await store.close();
      await store.close();
      assert.equal((await store.health()).ok, false);
      assert.deepEqual((await store.write({ origin: origin(), entries: [eventEntry()] })).map((o) => o.status), ['retryable']);
      await reader.close();
      await cleanup?.();
    });

    it('keeps what it acknowledged across close and reopen (durable stores)', async (t) => {
      const s = await open();
      if (!s.reopen) {
        await s.store.close();
        await s.reader.close();
        await s.cleanup?.();
        t.skip(`${name} does not persist`);
        return;
      }
      const entries = [eventEntry(), eventEntry()];
      await s.store.write({ origin: origin(), entries });
      const again = await s.reopen();
      try {
        assert.deepEqual((await again.reader.listEvents({ limit: 10 })).map((r) => r.id), entries.map((e) => e.id));
        assert.deepEqual((await again.store.write({ origin: origin(), entries })).map((o) => o.status), ['duplicate', 'duplicate']);
      } finally {
        await again.store.close();
        await again.reader.close();
        await s.cleanup?.();
      }
    });
  });
}
