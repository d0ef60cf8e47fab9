import assert from 'node:assert/strict';
import { it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { AckList } from '../../src/core/wire/ack-list.js';
import { RecordEventsResponseSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';

it('ack list: the bytes are the RecordEventsResponse protobuf-es encodes, however the buffer grew, and the ids read back', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 200 }), { maxLength: 300 }), fc.nat(400), (ids, expected) => {
      const list = new AckList(expected);
      for (const id of ids) list.add(id);
      const reference = toBinary(RecordEventsResponseSchema, create(RecordEventsResponseSchema, { succeededEvents: ids }));
      assert.deepEqual(list.bytes, Buffer.from(reference));
      assert.deepEqual(list.trim().bytes, Buffer.from(reference));
      assert.equal(list.count, ids.length);
      assert.deepEqual(list.ids(), ids);
    }),
    { numRuns: 1_000 },
  );
});

it('ack list: trim gives back a buffer sized for far more ids than were added', () => {
  const list = new AckList(100_000);
  list.add('one');
  const trimmed = list.trim().bytes;
  assert.ok(trimmed.buffer.byteLength <= 8192, `kept ${trimmed.buffer.byteLength} bytes for 5 (at most a pool slab, not 3.8 MB)`);
  assert.deepEqual(list.ids(), ['one']);
});

it('ack list: release lets go of the bytes once the transport has copied them', () => {
  const list = AckList.of(['a', 'b']);
  assert.equal(list.bytes.length, 6);
  list.release();
  assert.equal(list.bytes.length, 0);
  assert.deepEqual(list.ids(), []);
});
