import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, fromBinary, toBinary, toJson } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import { prepareEvent } from '../../src/core/pipeline.js';
import { indexAllowlist } from '../../src/core/privacy/allowlist.js';
import { eventJsonObject } from '../../src/core/wire/event-json.js';
import { recordMetadataJson, renderRecord, renderRecordFromJson } from '../../src/core/record.js';
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
      // The whole record, as the PostgreSQL store and the sink write it.
      const metadata = create(RecordEventsRequestMetadataSchema, { requestId: `r${i}` });
      assert.equal(renderRecordFromJson(eventJsonObject(entry.bytes)!, recordMetadataJson(metadata)), renderRecord(fromBinary(EventSchema, entry.bytes), metadata));
    }
  });

  it('agrees on generated events: the same JSON, or left to the decoder; only Struct, merges and refusals are left', () => {
    let rendered = 0;
    fc.assert(
      fc.property(eventArb, fc.integer({ min: 0, max: 3 }), (fields, variant) => {
        const event = create(EventSchema, fields as Partial<Event> as never);
        let bytes: Uint8Array = toBinary(EventSchema, event);
        // Unknown fields (toJson leaves them out) and merged occurrences (left to the decoder).
        if (variant === 1) bytes = Buffer.concat([bytes, new BinaryWriter().tag(99, WireType.Varint).uint32(7).finish()]);
        if (variant === 2) bytes = Buffer.concat([bytes, bytes]);
        const expected = reference(bytes);
        const actual = fast(bytes);
        if (actual !== undefined) {
          assert.equal(actual, expected);
          rendered++;
        }
        else if (variant !== 2 && expected !== undefined) assert.ok(event.parameters?.privateMetadata !== undefined, `left to the decoder: ${expected}`);
      }),
      { seed: SEED, numRuns: 5000 },
    );
    assert.ok(rendered > 1000, `only ${rendered} of 5000 rendered from the wire`);
  });
});
