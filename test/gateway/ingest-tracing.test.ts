import assert from 'node:assert/strict';
import { it } from 'node:test';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { createOtelIngestTracer } from '../../src/adapters/tracing/otel-ingest-tracer.js';
import { withFaults } from '../helpers/fault-store.js';
import { startTestGateway, testEvent, unlicensed } from '../helpers/gateway.js';
import { eventsRequest, exchange, metadataRequest } from '../helpers/grpc-call.js';
import { pollUntil } from '../helpers/poll.js';

/**
 * The gateway's spans in process, through the same port serve uses, into an
 * in-memory exporter: the outcome counts of a payload that has a bit of
 * everything (stored, duplicate, rejected, retryable).
 */
it('payload and store write spans count each outcome; the call span ends with its code', async () => {
  const spans = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const retriedId = '0190c3d2-0000-7000-8000-00000000f417';
  await using gw = await startTestGateway(
    {},
    { tracer: createOtelIngestTracer(provider.getTracer('test')), wrapStore: (store) => withFaults(store, { failEntry: (entry) => entry.id === retriedId }) },
  );
  const client = gw.client();
  const stored = testEvent();
  const first = await exchange(client.openRecordEvents(), [metadataRequest(unlicensed('traced')), eventsRequest([stored])]);
  assert.equal(first.code, 0, first.details);
  const second = await exchange(client.openRecordEvents(), [
    metadataRequest(unlicensed('traced')),
    eventsRequest([stored, testEvent(), testEvent({ feature: '' }), testEvent({ id: retriedId })]),
  ]);
  assert.equal(second.code, 0, second.details);

  const ended = (name: string): ReadableSpan[] => spans.getFinishedSpans().filter((s) => s.name === name);
  const calls = await pollUntil('two call spans', () => (ended('telemetrygateway.v1.TelemeteryGatewayService/RecordEvents').length === 2 ? ended('telemetrygateway.v1.TelemeteryGatewayService/RecordEvents') : undefined));
  const payload = ended('telemetry_gateway.payload').find((s) => s.attributes['telemetry_gateway.events'] === 4);
  assert.ok(payload);
  assert.deepEqual(
    Object.fromEntries(Object.entries(payload.attributes).filter(([key]) => key.startsWith('telemetry_gateway.events.'))),
    {
      'telemetry_gateway.events.stored': 1,
      'telemetry_gateway.events.duplicate': 1,
      'telemetry_gateway.events.rejected': 1,
      'telemetry_gateway.events.retryable': 1,
      // Instances have their invalid events acknowledged too; the retryable one is not.
      'telemetry_gateway.events.acknowledged': 3,
    },
  );
  const call = calls.find((s) => s.spanContext().spanId === payload.parentSpanContext?.spanId);
  assert.ok(call, "the payload's parent is its call");
  assert.equal(call.attributes['rpc.grpc.status_code'], 0);
  assert.equal(call.attributes['telemetry_gateway.source.kind'], 'unlicensed_instance');
  const write = ended('telemetry_gateway.store.write').find((s) => s.parentSpanContext?.spanId === payload.spanContext().spanId);
  assert.ok(write);
  assert.equal(write.attributes['telemetry_gateway.entries'], 4);
  assert.equal(write.attributes['telemetry_gateway.events.retryable'], 1);
  assert.equal(write.status.code, 2, 'ERROR: not everything was made durable');
  // A refused call: its code, no payload span.
  const refused = await exchange(client.openRecordEvents(), [eventsRequest([testEvent()])]);
  assert.equal(refused.code, 3, 'INVALID_ARGUMENT: events before metadata');
  const refusedCall = await pollUntil('the refused call span', () => ended('telemetrygateway.v1.TelemeteryGatewayService/RecordEvents').find((s) => s.attributes['rpc.grpc.status_code'] !== 0));
  assert.equal(refusedCall.attributes['rpc.grpc.status_code'], 3);
  assert.equal(refusedCall.status.code, 0, 'UNSET: a refusal is not a server fault');
  await provider.shutdown();
});
