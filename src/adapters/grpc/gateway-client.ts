import { once } from 'node:events';
import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { Client, credentials, Metadata, type ChannelCredentials, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import {
  RecordEventRequestSchema,
  RecordEventResponseSchema,
  RecordEventsRequestSchema,
  RecordEventsResponseSchema,
  TelemeteryGatewayService,
  type Event,
  type RecordEventsRequest,
  type RecordEventsRequestMetadata,
  type RecordEventsResponse,
} from '../../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { asBuffer } from './codec.js';

const SERVICE = TelemeteryGatewayService.typeName;
const RECORD_EVENTS_PATH = `/${SERVICE}/RecordEvents`;
const RECORD_EVENT_PATH = `/${SERVICE}/RecordEvent`;

export interface GatewayClientOptions {
  /** Plaintext when true; TLS with the system roots otherwise. */
  insecure?: boolean;
  credentials?: ChannelCredentials;
  /** `authorization` header value, e.g. "Bearer <token>" for managed services. */
  authorization?: string;
  maxMessageBytes?: number;
}

export type RecordEventsCall = ClientDuplexStream<RecordEventsRequest, RecordEventsResponse>;

/** A telemetrygateway.v1 client over grpc-js, with protobuf-es messages. */
export interface GatewayClient {
  /** Opens a RecordEvents stream; the caller writes requests and reads responses. */
  openRecordEvents(): RecordEventsCall;
  recordEvent(metadata: RecordEventsRequestMetadata, event: Event): Promise<void>;
  close(): void;
}

export function createGatewayClient(target: string, options: GatewayClientOptions = {}): GatewayClient {
  const channelCredentials = options.credentials ?? (options.insecure ? credentials.createInsecure() : credentials.createSsl());
  const client = new Client(target, channelCredentials, {
    'grpc.max_receive_message_length': options.maxMessageBytes ?? 16 * 1024 * 1024,
    'grpc.max_send_message_length': options.maxMessageBytes ?? 16 * 1024 * 1024,
  });
  const callMetadata = (): Metadata => {
    const metadata = new Metadata();
    if (options.authorization) metadata.set('authorization', options.authorization);
    return metadata;
  };
  return {
    openRecordEvents() {
      return client.makeBidiStreamRequest(
        RECORD_EVENTS_PATH,
        (request: RecordEventsRequest) => asBuffer(toBinary(RecordEventsRequestSchema, request)),
        (bytes: Buffer) => fromBinary(RecordEventsResponseSchema, bytes),
        callMetadata(),
      );
    },
    recordEvent(metadata, event) {
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest(
          RECORD_EVENT_PATH,
          (request: MessageInitShape<typeof RecordEventRequestSchema>) =>
            asBuffer(toBinary(RecordEventRequestSchema, create(RecordEventRequestSchema, request))),
          (bytes: Buffer) => fromBinary(RecordEventResponseSchema, bytes),
          { metadata, event },
          callMetadata(),
          (error: ServiceError | null) => (error ? reject(error) : resolve()),
        );
      });
    },
    close() {
      client.close();
    },
  };
}

/**
 * Sends the metadata message then each payload on one stream, half-closes and
 * collects every response's acknowledged ids, in order. For tools and tests; the
 * exporter has its own loop with chunking and partial-failure handling.
 */
export async function sendEventStream(
  client: GatewayClient,
  metadata: RecordEventsRequestMetadata,
  payloads: readonly Event[][],
): Promise<string[][]> {
  const call = client.openRecordEvents();
  const responses: string[][] = [];
  const done = new Promise<void>((resolve, reject) => {
    call.on('data', (response: RecordEventsResponse) => responses.push(response.succeededEvents));
    call.on('error', reject);
    call.on('end', resolve);
  });
  const write = async (request: RecordEventsRequest): Promise<void> => {
    if (!call.write(request)) await Promise.race([once(call, 'drain'), done]);
  };
  await write(create(RecordEventsRequestSchema, { payload: { case: 'metadata', value: metadata } }));
  for (const events of payloads) {
    await write(create(RecordEventsRequestSchema, { payload: { case: 'events', value: { events } } }));
  }
  call.end();
  await done;
  return responses;
}
