import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { attributesOfFacts, recordAttributes } from '../../src/core/record.js';
import { scanRecordAttributes } from '../../src/core/wire/scan-record-attributes.js';
import { EventSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { sampleEvent } from '../../src/tools/sample-events.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);

/** The attributes read off the bytes, as the NATS store publishes them. */
function scanned(bytes: Uint8Array): Record<string, string> {
  const event = fromBinary(EventSchema, bytes);
  const facts = scanRecordAttributes(bytes);
  assert.ok(facts, 'the scan reads every event that decodes');
  return attributesOfFacts(event.feature, event.action, 'licensed_instance', facts);
}

const reference = (bytes: Uint8Array): Record<string, string> => recordAttributes(fromBinary(EventSchema, bytes), 'licensed_instance');

describe('record attributes read off the wire (differential against protobuf-es)', () => {
  it('agree on realistic events', () => {
    for (let i = 0; i < 500; i++) {
      const bytes = toBinary(EventSchema, sampleEvent(i));
      assert.deepEqual(scanned(bytes), reference(bytes), `sample ${i}`);
    }
  });

  it('agree on any metadata, private metadata and merged (repeated) parameters and map keys', () => {
    const key = fc.constantFrom('recordsPrivateMetadata', 'recordsPrivateMetadataX', 'recordsPrivateMetadataTranscript', 'recordsPrivateMetadataé', 'records', 'other', '');
    const metadata = fc.dictionary(key, fc.double(), { maxKeys: 5 });
    const part = fc.record({
      metadata,
      privateMetadata: fc.option(fc.constant({ fields: {} }), { nil: undefined }),
      legacy: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 3 }), (parts) => {
        // Each part is a whole Event; their concatenation is one Event whose parameters merge.
        const bytes = Buffer.concat(
          parts.map((p, i) =>
            toBinary(
              EventSchema,
              create(EventSchema, {
                id: `e${i}`,
                feature: 'f',
                action: 'a',
                parameters: { version: i, metadata: p.metadata, privateMetadata: p.privateMetadata, legacyMetadata: p.legacy ? { k: 1n } : {} },
              }),
            ),
          ),
        );
        assert.deepEqual(scanned(bytes), reference(bytes));
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it('leaves bytes it does not expect to the decoder', () => {
    assert.equal(scanRecordAttributes(Uint8Array.of(0x32, 0x05, 0x2a)), undefined); // parameters cut short
    assert.equal(scanRecordAttributes(Uint8Array.of(0x30, 0x01)), undefined); // parameters as a varint
  });
});
