import type { ServiceDefinition } from '@grpc/grpc-js';
import type { AckList } from '../../core/wire/ack-list.js';
import type { SizedRequest } from '../../gateway/record-events-stream.js';
import type { IncomingUnaryRequest } from '../../gateway/record-event-unary.js';
import { TelemeteryGatewayService } from '../../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import {
  decodeRecordEventRequest,
  decodeSizedRecordEventsRequest,
  encodeRecordEventsResponse,
  EMPTY_RECORD_EVENT_RESPONSE,
} from './codec.js';

const SERVICE = TelemeteryGatewayService.typeName;

const unsupported = (): never => {
  throw new Error('the server never deserializes responses');
};

/**
 * grpc-js method definitions for the gateway, server side: requests decode to
 * the core's Incoming* shapes, responses encode from plain values.
 */
export const gatewayServiceDefinition = {
  RecordEvents: {
    path: `/${SERVICE}/${TelemeteryGatewayService.method.recordEvents.name}`,
    requestStream: true,
    responseStream: true,
    requestSerialize: unsupported,
    requestDeserialize: decodeSizedRecordEventsRequest,
    responseSerialize: encodeRecordEventsResponse,
    responseDeserialize: unsupported,
    originalName: 'recordEvents',
  },
  RecordEvent: {
    path: `/${SERVICE}/${TelemeteryGatewayService.method.recordEvent.name}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: unsupported,
    requestDeserialize: decodeRecordEventRequest,
    responseSerialize: (_: null) => EMPTY_RECORD_EVENT_RESPONSE,
    responseDeserialize: unsupported,
    originalName: 'recordEvent',
  },
} satisfies ServiceDefinition<{
  RecordEvents: import('@grpc/grpc-js').handleBidiStreamingCall<SizedRequest, AckList>;
  RecordEvent: import('@grpc/grpc-js').handleUnaryCall<IncomingUnaryRequest, null>;
}>;
