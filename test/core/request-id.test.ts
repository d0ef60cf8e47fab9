import assert from 'node:assert/strict';
import { it } from 'node:test';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { joinRequestId, splitRequestId } from '../../src/core/wire/request-id.js';
import { RecordEventsRequestMetadataSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { unlicensed } from '../helpers/gateway.js';

const metadataOf = (instanceId: string, requestId: string): Uint8Array =>
  toBinary(RecordEventsRequestMetadataSchema, { ...unlicensed(instanceId), requestId });

it('request id: split and join give back the bytes a stream sent, and the identity does not depend on the request id', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), fc.string({ maxLength: 300 }), (instanceId, a, b) => {
      const [sentA, sentB] = [metadataOf(instanceId, a), metadataOf(instanceId, b)];
      const [splitA, splitB] = [splitRequestId(sentA), splitRequestId(sentB)];
      assert.equal(splitA.requestId, a);
      assert.deepEqual(Buffer.from(joinRequestId(splitA.identityBytes, splitA.requestId)), Buffer.from(sentA));
      assert.deepEqual(Buffer.from(joinRequestId(splitB.identityBytes, splitB.requestId)), Buffer.from(sentB));
      assert.equal(splitA.identityDigest, splitB.identityDigest);
      assert.equal(fromBinary(RecordEventsRequestMetadataSchema, splitA.identityBytes).requestId, '');
    }),
    { numRuns: 2_000 },
  );
});

it('request id: senders that differ keep different identities', () => {
  assert.notEqual(splitRequestId(metadataOf('one', 'r')).identityDigest, splitRequestId(metadataOf('two', 'r')).identityDigest);
});

it('request id: a request id out of canonical order, or repeated, is still cut out (the last one wins, as in decoding)', () => {
  const rest = splitRequestId(metadataOf('one', '')).identityBytes;
  const field = (id: string): Buffer => Buffer.concat([Buffer.from([0x0a, id.length]), Buffer.from(id)]);
  const sent = Buffer.concat([field('first'), Buffer.from(rest), field('last')]);
  const split = splitRequestId(sent);
  assert.equal(split.requestId, fromBinary(RecordEventsRequestMetadataSchema, sent).requestId);
  assert.deepEqual(Buffer.from(split.identityBytes), Buffer.from(rest));
});

it('request id: bytes that do not frame are kept whole, without a request id', () => {
  const broken = Uint8Array.of(0x0a, 0x05, 0x61);
  const split = splitRequestId(broken);
  assert.equal(split.requestId, '');
  assert.deepEqual(split.identityBytes, broken);
  assert.deepEqual(joinRequestId(split.identityBytes, null), broken);
});
