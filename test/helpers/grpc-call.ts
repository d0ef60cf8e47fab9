import { create } from '@bufbuild/protobuf';
import type { ServiceError } from '@grpc/grpc-js';
import type { RecordEventsCall } from '../../src/adapters/grpc/gateway-client.js';
import {
  RecordEventsRequestSchema,
  type Event,
  type RecordEventsRequest,
  type RecordEventsRequestMetadata,
  type RecordEventsResponse,
} from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';

export const metadataRequest = (metadata: RecordEventsRequestMetadata): RecordEventsRequest =>
  create(RecordEventsRequestSchema, { payload: { case: 'metadata', value: metadata } });

export const eventsRequest = (events: Event[]): RecordEventsRequest =>
  create(RecordEventsRequestSchema, { payload: { case: 'events', value: { events } } });

export const emptyRequest = (): RecordEventsRequest => create(RecordEventsRequestSchema, {});

/** How a stream ended, with every response read before that. */
export interface StreamResult {
  responses: string[][];
  /** 0 (OK) or the gRPC status code. */
  code: number;
  details: string;
}

/** Collects a call's responses and final status without throwing. */
export function collect(call: RecordEventsCall): Promise<StreamResult> {
  const responses: string[][] = [];
  call.on('data', (response: RecordEventsResponse) => responses.push(response.succeededEvents));
  return new Promise((resolve) => {
    call.on('status', (status) => resolve({ responses, code: status.code, details: status.details }));
    call.on('error', (_: ServiceError) => {}); // the status event carries it
  });
}

/** Writes requests, half-closes, and returns how the stream ended. */
export async function exchange(call: RecordEventsCall, requests: RecordEventsRequest[]): Promise<StreamResult> {
  const result = collect(call);
  for (const request of requests) call.write(request);
  call.end();
  return result;
}

/** Waits for the next response on a call. */
export function nextResponse(call: RecordEventsCall): Promise<string[]> {
  return new Promise((resolve, reject) => {
    call.once('data', (response: RecordEventsResponse) => resolve(response.succeededEvents));
    call.once('error', reject);
  });
}
