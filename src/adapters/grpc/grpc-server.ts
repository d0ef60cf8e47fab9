import { Server } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { TelemeteryGatewayService } from '../../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { createGatewayHandlers, type GatewayHandlerOptions } from './gateway-handlers.js';
import { addReflection } from './reflection.js';
import { gatewayServiceDefinition } from './service-definition.js';

export interface GrpcServerOptions extends GatewayHandlerOptions {
  maxMessageBytes: number;
  connection: ConnectionLimits;
}

export interface ConnectionLimits {
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS: calls one connection may have open. */
  maxStreamsPerConnection: number;
  /** Connections are closed (GOAWAY) after about this long (+/-10% jitter, from grpc-js), so clients rebalance. 0: never. */
  maxConnectionAgeMs: number;
  /** Time calls get to finish after that GOAWAY before the connection is cut. */
  maxConnectionAgeGraceMs: number;
  /** Server pings on idle connections, to drop dead peers. */
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
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
    'grpc.max_concurrent_streams': options.connection.maxStreamsPerConnection,
    ...(options.connection.maxConnectionAgeMs > 0
      ? { 'grpc.max_connection_age_ms': options.connection.maxConnectionAgeMs, 'grpc.max_connection_age_grace_ms': options.connection.maxConnectionAgeGraceMs }
      : {}),
    'grpc.keepalive_time_ms': options.connection.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': options.connection.keepaliveTimeoutMs,
  });
  server.addService(gatewayServiceDefinition, createGatewayHandlers(options));
  const health = new HealthImplementation({ '': 'SERVING', [TelemeteryGatewayService.typeName]: 'SERVING' });
  health.addToServer(server);
  addReflection(server);
  return { server, health };
}
