import { create, toBinary } from '@bufbuild/protobuf';
import type { Client } from '@grpc/grpc-js';
import { v7 as uuidv7 } from 'uuid';
import { EventSchema, RecordEventsRequestSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { runPlan } from './raw-client.js';

/**
 * Whether the gateway still serves: one valid RecordEvents stream (an
 * unlicensed instance, one event) is acknowledged and ends OK within
 * `deadlineMs`. Returns why not, or undefined.
 */
export async function checkServing(client: Client, deadlineMs: number): Promise<string | undefined> {
  const id = uuidv7();
  const metadata = toBinary(RecordEventsRequestSchema, create(RecordEventsRequestSchema, { payload: { case: 'metadata', value: { requestId: id, identifier: { identifier: { case: 'unlicensedInstance', value: { instanceId: 'fuzz-health' } } } } } }));
  const event = create(EventSchema, { id, timestamp: { seconds: BigInt(Math.floor(Date.now() / 1000)) }, feature: 'fuzz', action: 'alive' });
  const events = toBinary(RecordEventsRequestSchema, create(RecordEventsRequestSchema, { payload: { case: 'events', value: { events: [event] } } }));
  const result = await runPlan(client, { authorization: undefined, requests: [metadata, events] }, deadlineMs);
  if (result.code !== 0 || result.responses.length !== 1 || result.responses[0]![0] !== id) {
    return `health stream ended ${result.code} (${result.details}) with responses ${JSON.stringify(result.responses)}`;
  }
  return undefined;
}
