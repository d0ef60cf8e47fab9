import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import { RecordEventsRequestSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { startTestGateway, testEvent, unlicensed } from '../helpers/gateway.js';
import { rawGatewayClient, runPlan } from './raw-client.js';

const metadata = toBinary(RecordEventsRequestSchema, create(RecordEventsRequestSchema, { payload: { case: 'metadata', value: unlicensed() } }));
const payload = (idBytes: number): Uint8Array =>
  toBinary(RecordEventsRequestSchema, create(RecordEventsRequestSchema, { payload: { case: 'events', value: { events: [testEvent({ id: 'x'.repeat(idBytes) })] } } }));

/**
 * Found by the stream fuzzer (seed 1, plan 417): grpc-js ends a call itself for
 * a message over --max-message-bytes; a response the handler wrote (or had
 * buffered) meanwhile reached the ended HTTP/2 stream, grpc-js replaced its
 * status with a reset, and the client got no status until its own deadline.
 * Fixed in src/adapters/grpc/gateway-handlers.ts (late writes are dropped).
 */
describe('a connection after a stream ended while its client was still sending', () => {
  it(
    'still answers a later stream whose message is over the size limit (RESOURCE_EXHAUSTED, not silence)',
    {},
    async () => {
      await using t = await startTestGateway({ maxMessageBytes: 1024 * 1024 });
      const client = rawGatewayClient(t.gateway.address);
      try {
        // Stream A: ended INVALID_ARGUMENT at its second metadata while ~96 KB more is on the way.
        const a = await runPlan(client, { authorization: undefined, requests: [metadata, metadata, payload(96_000)] }, 5000);
        assert.equal(a.code, status.INVALID_ARGUMENT);
        // Stream B, same connection: two small payloads, then one message over the limit.
        const over = new Uint8Array(1024 * 1024 + 100);
        over[0] = 0x12;
        const b = await runPlan(client, { authorization: undefined, requests: [metadata, payload(8000), payload(8000), over] }, 4000);
        // Observed: DEADLINE_EXCEEDED (the client's own deadline) after one response. On a fresh
        // connection, or when A had only ~20 KB in flight, B ends RESOURCE_EXHAUSTED at once.
        assert.equal(b.code, status.RESOURCE_EXHAUSTED, `${b.code} ${b.details}`);
      } finally {
        client.close();
      }
    },
  );
});
