import { Server } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { TelemeteryGatewayService } from '../../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { createGatewayHandlers, type GatewayHandlerOptions } from './gateway-handlers.js';
import { addReflection } from './reflection.js';
import { gatewayServiceDefinition } from './service-definition.js';

export interface GrpcServerOptions extends GatewayHandlerOptions {
  maxMessageBytes: number;
}

export interface GatewayGrpcServer {
  server: Server;
  health: HealthImplementation;
}

/** A grpc-js server with the gateway service, the standard health service and reflection. */
export function createGatewayGrpcServer(options: GrpcServerOptions): GatewayGrpcServer {
  const server = new Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': options.maxMessageBytes,
  });
  server.addService(gatewayServiceDefinition, createGatewayHandlers(options));
  const health = new HealthImplementation({ '': 'SERVING', [TelemeteryGatewayService.typeName]: 'SERVING' });
  health.addToServer(server);
  addReflection(server);
  return { server, health };
}
