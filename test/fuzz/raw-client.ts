import { once } from 'node:events';
import { fromBinary } from '@bufbuild/protobuf';
import { Client, credentials, Metadata, type ClientDuplexStream, type StatusObject } from '@grpc/grpc-js';
import { RecordEventsResponseSchema, TelemeteryGatewayService } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import type { StreamPlan } from './plans.js';

const RECORD_EVENTS = `/${TelemeteryGatewayService.typeName}/RecordEvents`;

/** A grpc-js client that sends request bytes as they are (no serializer in the way). */
export function rawGatewayClient(address: string): Client {
  return new Client(address, credentials.createInsecure(), {
    'grpc.max_send_message_length': -1,
    'grpc.max_receive_message_length': -1,
  });
}

export interface PlanResult {
  code: number;
  details: string;
  responses: string[][];
  /** Requests written before the call ended (the rest of the plan was not sent). */
  written: number;
  elapsedMs: number;
}

/** Sends a plan's requests on one RecordEvents call, half-closes, and collects the answers. Bounded by `deadlineMs`. */
export async function runPlan(client: Client, plan: StreamPlan, deadlineMs: number): Promise<PlanResult> {
  const started = performance.now();
  const metadata = new Metadata();
  if (plan.authorization !== undefined) metadata.set('authorization', plan.authorization);
  const call: ClientDuplexStream<Uint8Array, string[]> = client.makeBidiStreamRequest(
    RECORD_EVENTS,
    (request: Uint8Array) => Buffer.from(request.buffer, request.byteOffset, request.byteLength),
    (bytes: Buffer) => fromBinary(RecordEventsResponseSchema, bytes).succeededEvents,
    metadata,
    { deadline: Date.now() + deadlineMs },
  );
  const responses: string[][] = [];
  call.on('data', (ids: string[]) => responses.push(ids));
  call.on('error', () => {}); // the status carries it
  let ended = false;
  const finished = new Promise<StatusObject>((resolve) => call.on('status', (s: StatusObject) => resolve(s))).finally(() => (ended = true));
  let written = 0;
  for (const request of plan.requests) {
    if (ended) break;
    written++;
    if (!call.write(request)) await Promise.race([once(call, 'drain'), finished]);
  }
  if (!ended) call.end();
  const final = await finished;
  return { code: final.code, details: final.details, responses, written, elapsedMs: performance.now() - started };
}
