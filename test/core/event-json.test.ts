import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, fromBinary, toBinary, toJson } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import { prepareEvent } from '../../src/core/pipeline.js';
import { indexAllowlist } from '../../src/core/privacy/allowlist.js';
import { ByteOut } from '../../src/core/wire/byte-out.js';
import { eventJsonObject, writeEventJson } from '../../src/core/wire/event-json.js';
import { recordMetadataJson, renderRecord, renderRecordFromJson, writeRecord } from '../../src/core/record.js';
import { EventSchema, RecordEventsRequestMetadataSchema, type Event } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { sampleEvent } from '../../src/tools/sample-events.js';
import { origin } from '../stores/store-contract.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);

/** protobuf-es's JSON of the event, the reference; undefined where it refuses (toJson throws). */
function reference(bytes: Uint8Array): string | undefined {
  try {
    return JSON.stringify(toJson(EventSchema, fromBinary(EventSchema, bytes)));
  } catch {
    return undefined;
  }
}

function fast(bytes: Uint8Array): string | undefined {
  const json = eventJsonObject(bytes);
  return json === undefined ? undefined : JSON.stringify(json);
}

function holdsArrayIndexKey(event: Event): boolean {
  const keys = [event.parameters?.legacyMetadata, event.parameters?.metadata, event.featureFlags?.flags].flatMap((map) => Object.keys(map ?? {}));
  return keys.some((key) => String(Number(key) >>> 0) === key && key !== '4294967295');
}

/** writeEventJson's text, written after some bytes already there (which it must leave alone); undefined where it declines. */
function written(bytes: Uint8Array): string | undefined {
  const out = new ByteOut(16);
  out.ascii('[');
  if (!writeEventJson(bytes, out)) {
    assert.equal(out.bytes().toString(), '[', 'a declined write leaves the buffer as it was');
    return undefined;
  }
  return out.bytes().subarray(1).toString('utf8');
}

// Keys a plain object orders or treats specially, and any text.
const key = fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom('__proto__', '0', '1', '10', '01', '4294967294', '4294967295', '-1', 'constructor', ''));
const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('', '0', '"\\\u0000\u2028'));
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const eventArb = fc.record(
  {
    id: text,
    feature: text,
    action: text,
    timestamp: maybe(fc.record({ seconds: fc.oneof(fc.bigInt({ min: -62_135_596_800n, max: 253_402_300_799n }), int64), nanos: fc.oneof(fc.integer({ min: 0, max: 999_999_999 }), fc.constantFrom(0, 5, 123_000, 1_000_000, 999_000_000), fc.integer()) })),
    source: maybe(fc.record({ server: maybe(fc.record({ version: text })), client: maybe(fc.record({ name: text, version: maybe(text) }, { requiredKeys: ['name'] })) }, { requiredKeys: [] })),
    parameters: maybe(
      fc.record(
        {
          version: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
          legacyMetadata: fc.dictionary(key, int64, { maxKeys: 3 }),
          metadata: fc.dictionary(key, fc.double(), { maxKeys: 4 }),
          billingMetadata: maybe(fc.record({ product: text, category: text })),
          privateMetadata: maybe(fc.constant({ fields: {} })),
        },
        { requiredKeys: ['version', 'legacyMetadata', 'metadata'] },
      ),
    ),
    user: maybe(fc.record({ userId: maybe(int64), anonymousUserId: maybe(text), samsExternalId: maybe(text) }, { requiredKeys: [] })),
    featureFlags: maybe(fc.record({ flags: fc.dictionary(key, text, { maxKeys: 3 }) })),
    marketingTracking: maybe(fc.record({ url: maybe(text), cohortId: maybe(text), sessionFirstUrl: maybe(text) }, { requiredKeys: [] })),
    interaction: maybe(fc.record({ traceId: maybe(text), geolocation: maybe(fc.record({ countryCode: text })) }, { requiredKeys: [] })),
  },
  { requiredKeys: ['id', 'feature', 'action'] },
);

describe('event JSON rendered from the wire (differential against protobuf-es toJson)', () => {
  it('renders every realistic event, as the pipeline stores it, exactly as toJson', () => {
    const options = { redact: true, allowlist: indexAllowlist([]) };
    for (let i = 0; i < 2000; i++) {
      const { entry } = prepareEvent(toBinary(EventSchema, sampleEvent(i)), origin(), options);
      const expected = reference(entry.bytes);
      assert.ok(expected !== undefined);
      assert.equal(fast(entry.bytes), expected, `sample ${i}`);
      assert.equal(written(entry.bytes), expected, `sample ${i}, written`);
      // The whole record, as the PostgreSQL store and the sink write it.
      const metadata = create(RecordEventsRequestMetadataSchema, { requestId: `r${i}` });
      const record = renderRecord(fromBinary(EventSchema, entry.bytes), metadata);
      assert.equal(renderRecordFromJson(eventJsonObject(entry.bytes)!, recordMetadataJson(metadata)), record);
      const out = new ByteOut(16);
      assert.ok(writeRecord(entry.bytes, Buffer.from(recordMetadataJson(metadata)), out));
      assert.equal(out.bytes().toString('utf8'), record);
    }
  });

  it('agrees on generated events: the same JSON, or left to the decoder; only Struct, merges and refusals are left', () => {
    let rendered = 0;
    let writtenCount = 0;
    fc.assert(
      fc.property(eventArb, fc.integer({ min: 0, max: 3 }), (fields, variant) => {
        const event = create(EventSchema, fields as Partial<Event> as never);
        let bytes: Uint8Array = toBinary(EventSchema, event);
        // Unknown fields (toJson leaves them out) and merged occurrences (left to the decoder).
        if (variant === 1) bytes = Buffer.concat([bytes, new BinaryWriter().tag(99, WireType.Varint).uint32(7).finish()]);
        if (variant === 2) bytes = Buffer.concat([bytes, bytes]);
        const expected = reference(bytes);
        const actual = fast(bytes);
        // The byte writer declines more (out-of-order fields, split maps, array-index or repeated keys), never differs.
        const text = written(bytes);
        if (text !== undefined) {
          assert.equal(text, expected);
          writtenCount++;
        }
        if (actual !== undefined) {
          assert.equal(actual, expected);
          rendered++;
          // toBinary writes fields in order, each map's entries together, each key once: what is
          // left for the writer to decline is a key a plain object lists first.
          if (text === undefined) assert.ok(holdsArrayIndexKey(event), `declined to write: ${expected}`);
        }
        else if (variant !== 2 && expected !== undefined) assert.ok(event.parameters?.privateMetadata !== undefined, `left to the decoder: ${expected}`);
      }),
      { seed: SEED, numRuns: 5000 },
    );
    assert.ok(rendered > 1000, `only ${rendered} of 5000 rendered from the wire`);
    assert.ok(writtenCount > 500, `only ${writtenCount} of 5000 written from the wire`);
  });
  it('writes map entries in wire order, and declines what one pass cannot order as toJson (the object path still renders it)', () => {
    /** An event whose parameters hold `metadata` entries [key, value] in this wire order, then `after` (more parameter bytes). */
    const event = (entries: [string, number][], after?: (w: BinaryWriter) => void): Uint8Array => {
      const w = new BinaryWriter().tag(1, WireType.LengthDelimited).string('id').tag(3, WireType.LengthDelimited).string('f');
      w.tag(4, WireType.LengthDelimited).string('a').tag(6, WireType.LengthDelimited).fork();
      for (const [key, value] of entries) w.tag(5, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string(key).tag(2, WireType.Bit64).double(value).join();
      after?.(w);
      return w.join().finish();
    };
    const cases: [string, Uint8Array, boolean][] = [
      ['keys in wire order', event([['b', 1], ['a', 2], ['c\u0000"', 3]]), true],
      ['an array-index key after another key (a plain object lists it first)', event([['b', 1], ['7', 2]]), false],
      ['a key given twice (the later value wins, in the first place)', event([['a', 1], ['b', 2], ['a', 3]]), false],
      ['map entries split by another field', event([['a', 1]], (w) => w.tag(1, WireType.Varint).int32(2).tag(5, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string('b').join()), false],
    ];
    for (const [name, bytes, writes] of cases) {
      const expected = reference(bytes);
      assert.ok(expected !== undefined, name);
      assert.equal(fast(bytes), expected, name);
      assert.equal(written(bytes), writes ? expected : undefined, name);
    }
  });
});
