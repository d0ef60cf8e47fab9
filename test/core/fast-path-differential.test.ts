import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { create, equals, fromBinary, toBinary, toJson } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { StructSchema, ValueSchema } from '@bufbuild/protobuf/wkt';
import fc from 'fast-check';
import { indexAllowlist, parseAllowlistEntry } from '../../src/core/privacy/allowlist.js';
import { prepareDecoded, prepareEvent, type PipelineOptions, type PreparedEvent } from '../../src/core/pipeline.js';
import { attributesOfFacts, recordAttributes } from '../../src/core/record.js';
import type { StreamOrigin } from '../../src/core/store.js';
import { eventJsonObject } from '../../src/core/wire/event-json.js';
import { scanRecordAttributes } from '../../src/core/wire/scan-record-attributes.js';
import { eventListToArray } from '../../src/core/wire/event-list.js';
import { frameRequest } from '../../src/core/wire/frame-request.js';
import { EventSchema, RecordEventsRequestMetadataSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { sampleEvent } from '../../src/tools/sample-events.js';
import { streamPlanArb } from '../fuzz/plans.js';
import { TESTDATA } from '../helpers/paths.js';

/**
 * The gateway reads the common event straight off its bytes (prepareEvent's
 * fast path); protobuf-es decoding (prepareDecoded) is the reference. For
 * every input, both must accept or reject alike, with the same reason, the
 * same id/feature/action/timestamp, the same privacy removals, and store the
 * same bytes: byte-identical whenever the input is in canonical encoding
 * (what every protobuf runtime writes), else the same message.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const metadataBytes = toBinary(RecordEventsRequestMetadataSchema, create(RecordEventsRequestMetadataSchema, { requestId: 'r' }));
const origin: StreamOrigin = {
  source: { kind: 'unlicensed_instance', instanceId: 'i', externalUrl: '' },
  publisher: 'unlicensed_instance',
  metadataBytes,
  metadataDigest: 'd',
};
const allowlist = indexAllowlist(['search::submitted::repo::query', 'cody.chat::*::model'].map(parseAllowlistEntry));
const OPTIONS: PipelineOptions[] = [
  { redact: true, allowlist: indexAllowlist([]) },
  { redact: true, allowlist },
  { redact: false, allowlist },
];

let compared = 0;

/** Why the fast path and the reference disagree on `bytes`, or undefined. */
function disagreement(bytes: Uint8Array): string | undefined {
  for (const options of OPTIONS) {
    compared++;
    const sent = inRequest(bytes);
    const fast = prepareEvent(sent.event, origin, options);
    if (!sent.neighboursIntact()) return 'the fast path wrote outside the event';
    const reference = prepareDecoded(bytes, origin, options);
    const why = compare(fast, reference, isCanonical(bytes));
    if (why !== undefined) return `${why} (redact ${options.redact}, allowlist ${options.allowlist === allowlist})`;
  }
  return undefined;
}

/**
 * `bytes` copied between other bytes, as an event lies in its request: prepareEvent takes them
 * over and may rewrite them, never what lies around them.
 */
function inRequest(bytes: Uint8Array): { event: Uint8Array; neighboursIntact(): boolean } {
  const request = new Uint8Array(bytes.length + 16).fill(0xa5);
  request.set(bytes, 8);
  return {
    event: request.subarray(8, 8 + bytes.length),
    neighboursIntact: () => [...request.subarray(0, 8), ...request.subarray(8 + bytes.length)].every((b) => b === 0xa5),
  };
}

function compare(fast: PreparedEvent, reference: PreparedEvent, canonical: boolean): string | undefined {
  const a = fast.entry;
  const b = reference.entry;
  if (a.kind !== b.kind) return `kind ${a.kind} vs ${b.kind}`;
  if (a.id !== b.id || a.feature !== b.feature || a.action !== b.action) return 'id/feature/action differ';
  if (a.kind === 'rejected' && b.kind === 'rejected' && a.reason !== b.reason) return `reason "${a.reason}" vs "${b.reason}"`;
  if (a.kind === 'event' && b.kind === 'event' && a.timestampMs !== b.timestampMs) return 'timestampMs differs';
  if (JSON.stringify(fast.removed) !== JSON.stringify(reference.removed)) return `removed ${JSON.stringify(fast.removed)} vs ${JSON.stringify(reference.removed)}`;
  if (canonical) {
    if (!Buffer.from(a.bytes).equals(Buffer.from(b.bytes))) return 'stored bytes differ';
  } else if (!sameMessage(a.bytes, b.bytes)) {
    return 'stored messages differ';
  }
  if (a.kind === 'event') {
    // What the NATS store publishes as headers, read off the stored bytes, against the decoded event.
    const facts = scanRecordAttributes(a.bytes);
    const expected = JSON.stringify(recordAttributes(fromBinary(EventSchema, a.bytes), 'p'));
    if (facts === undefined || JSON.stringify(attributesOfFacts(a.feature, a.action, 'p', facts)) !== expected) return 'record attributes differ';
    // The record's event JSON as the SQL stores render it from the stored bytes, where they can.
    const json = eventJsonObject(a.bytes);
    if (json !== undefined && JSON.stringify(json) !== JSON.stringify(toJson(EventSchema, fromBinary(EventSchema, a.bytes)))) return 'event JSON differs';
  }
  return undefined;
}

function isCanonical(bytes: Uint8Array): boolean {
  try {
    return Buffer.from(toBinary(EventSchema, fromBinary(EventSchema, bytes))).equals(Buffer.from(bytes));
  } catch {
    return false;
  }
}

function sameMessage(a: Uint8Array, b: Uint8Array): boolean {
  if (Buffer.from(a).equals(Buffer.from(b))) return true;
  try {
    return equals(EventSchema, fromBinary(EventSchema, a), fromBinary(EventSchema, b));
  } catch {
    return false;
  }
}

/** Every event of every request of a fuzz plan, as the gateway frames them. */
function eventsOf(requests: Uint8Array[]): Uint8Array[] {
  return requests.flatMap((request) => {
    const framed = frameRequest(request);
    return framed?.payload === 'events' ? eventListToArray(framed.events) : [];
  });
}

describe('fast path vs protobuf-es decoding (differential)', () => {
  it('agree on every test vector', () => {
    for (const name of readdirSync(join(TESTDATA, 'wire')).filter((n) => n.startsWith('request-events') && n.endsWith('.bin'))) {
      const events = eventsOf([readFileSync(join(TESTDATA, 'wire', name))]);
      assert.ok(events.length > 0, name);
      for (const bytes of events) assert.equal(disagreement(bytes), undefined, name);
    }
  });

  it('agree on realistic events with private metadata and marketing tracking', () => {
    for (let i = 0; i < 2000; i++) {
      const event = sampleEvent(i);
      if (i % 2 === 0) event.marketingTracking = create(EventSchema, { marketingTracking: { url: `https://a.example/${i}`, cohortId: 'c' } }).marketingTracking;
      if (i % 7 === 0) event.parameters!.legacyMetadata = { legacy: BigInt(i) };
      const bytes = toBinary(EventSchema, event);
      assert.equal(disagreement(bytes), undefined, `sample ${i}`);
      if (event.marketingTracking === undefined) continue;
      // Fields may come in any order: marketing_tracking ahead of the parameters.
      const marketingOnly = toBinary(EventSchema, create(EventSchema, { marketingTracking: event.marketingTracking }));
      const rest = toBinary(EventSchema, create(EventSchema, { ...event, marketingTracking: undefined }));
      assert.equal(disagreement(Buffer.concat([marketingOnly, rest])), undefined, `sample ${i}, marketing first`);
    }
  });

  it('agree on private metadata whose wire bytes repeat map keys (few keys, and more than are compared as bytes)', () => {
    const parametersNumber = EventSchema.field.parameters!.number;
    const privateMetadataNumber = EventSchema.field.parameters!.message!.field.privateMetadata!.number;
    const base = toBinary(EventSchema, create(EventSchema, { id: 'e', feature: 'f', action: 'a', timestamp: { seconds: 1_700_000_000n } }));
    /** One Struct whose map entries repeat keys on the wire: a decoder keeps the last entry per key. */
    const withKeys = (keys: string[]): Uint8Array => {
      const struct = Buffer.concat(keys.map((key, i) => toBinary(StructSchema, create(StructSchema, { fields: { [key]: create(ValueSchema, { kind: { case: 'numberValue', value: i } }) } }))));
      const parameters = new BinaryWriter().tag(privateMetadataNumber, WireType.LengthDelimited).bytes(struct).finish();
      return Buffer.concat([base, new BinaryWriter().tag(parametersNumber, WireType.LengthDelimited).bytes(parameters).finish()]);
    };
    const cases = [
      ['a', 'a'],
      ['a', 'b', 'a', 'ab', 'b'],
      ['', 'x', ''],
      Array.from({ length: 40 }, (_, i) => `k${i % 23}`),
      Array.from({ length: 70 }, (_, i) => `key-${(i * 7) % 50}`),
    ];
    for (const keys of cases) {
      const bytes = withKeys(keys);
      const removed = prepareEvent(bytes.slice(), origin, OPTIONS[0]!).removed;
      assert.equal(removed.privateKeysRemoved, new Set(keys).size, `distinct keys of ${keys.join(',')}`);
      assert.equal(disagreement(bytes), undefined, keys.join(','));
    }
  });

  it('agree on the fuzz corpus: generated, mutated and invalid events (>= 100,000 comparisons)', () => {
    const plans = streamPlanArb({ validToken: 't', maxMessageBytes: 64 * 1024, maxRequests: 6, commonWeight: 50 });
    fc.assert(
      fc.property(plans, (plan) => {
        for (const bytes of eventsOf(plan.requests)) {
          const why = disagreement(bytes);
          if (why !== undefined) throw new Error(`${why}: event ${Buffer.from(bytes).toString('hex').slice(0, 400)}`);
        }
      }),
      { seed: SEED, numRuns: 5500 },
    );
    assert.ok(compared >= 100_000, `only ${compared} comparisons`);
  });
});
