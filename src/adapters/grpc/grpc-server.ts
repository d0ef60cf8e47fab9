import { Server, ServerCredentials, ServerInterceptingCall, status, type Metadata, type ServerInterceptor } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { TelemeteryGatewayService } from '../../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { createGatewayHandlers, type GatewayHandlerOptions } from './gateway-handlers.js';
import type { Logger } from '../../logger.js';
import { http2ServerOptionsOf } from './grpc-internals.js';
import { guardHttp2Sessions } from './http2-session-guard.js';
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
  /**
   * Largest request header list (metadata) in bytes, counted as HTTP/2 does
   * (name + value + 32 per field). Advertised in SETTINGS_MAX_HEADER_LIST_SIZE,
   * so a C-core client fails a larger call itself with RESOURCE_EXHAUSTED, and
   * enforced with that status for clients that ignore it. Default 16 KiB.
   */
  maxMetadataBytes?: number;
  /** A connection with no call open for this long is closed (GOAWAY); 0: never. */
  maxConnectionIdleMs?: number;
}

const DEFAULT_MAX_METADATA_BYTES = 16 * 1024;
/** Time a client has after its preface to send its SETTINGS frame. */
const DEFAULT_HTTP2_SETTINGS_TIMEOUT_MS = 10_000;

export type ConnectionInjector = ReturnType<Server['createConnectionInjector']>;

/**
 * The injector the listener hands HTTP/2 sockets to (TLS, if any, is already
 * terminated), with the session guards that close connections which would
 * otherwise hang their client (see guardHttp2Sessions).
 */
export function createGatewayInjector(server: Server, settingsTimeoutMs = DEFAULT_HTTP2_SETTINGS_TIMEOUT_MS, logger?: Logger): ConnectionInjector {
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  const guard = guardHttp2Sessions(server, {
    settingsTimeoutMs,
    onHandlerError: (error) => logger?.warn({ error: error instanceof Error ? error.message : String(error) }, 'grpc-js stream handler threw; the stream was reset'),
  });
  return {
    injectConnection: (connection) => injector.injectConnection(connection),
    drain: (graceTimeMs) => injector.drain(graceTimeMs),
    destroy: () => {
      guard.close();
      injector.destroy();
    },
  };
}

export interface GatewayGrpcServer {
  server: Server;
  health: HealthImplementation;
}

/** A grpc-js server with the gateway service, the standard health service and reflection. */
export function createGatewayGrpcServer(options: GrpcServerOptions): GatewayGrpcServer {
  const maxMetadataBytes = options.connection.maxMetadataBytes ?? DEFAULT_MAX_METADATA_BYTES;
  const server = new Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': options.maxMessageBytes,
    'grpc.max_concurrent_streams': options.connection.maxStreamsPerConnection,
    ...(options.connection.maxConnectionAgeMs > 0
      ? { 'grpc.max_connection_age_ms': options.connection.maxConnectionAgeMs, 'grpc.max_connection_age_grace_ms': options.connection.maxConnectionAgeGraceMs }
      : {}),
    'grpc.keepalive_time_ms': options.connection.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': options.connection.keepaliveTimeoutMs,
    ...(options.connection.maxConnectionIdleMs ? { 'grpc.max_connection_idle_ms': options.connection.maxConnectionIdleMs } : {}),
    interceptors: [metadataLimit(maxMetadataBytes)],
  });
  advertiseHeaderListLimit(server, maxMetadataBytes);
  server.addService(gatewayServiceDefinition, createGatewayHandlers(options));
  const health = new HealthImplementation({ '': 'SERVING', [TelemeteryGatewayService.typeName]: 'SERVING' });
  health.addToServer(server);
  addReflection(server);
  return { server, health };
}

/**
 * Without SETTINGS_MAX_HEADER_LIST_SIZE a client assumes no limit; Node then
 * refuses a stream whose headers pass 64 KiB (REFUSED_STREAM), which a C-core
 * client retries transparently until its deadline: no status at all. grpc-js
 * has no option for the setting, so it goes into the HTTP/2 server options it
 * keeps (read when a connection injector is created). Fails loudly if a grpc-js
 * upgrade moves them.
 */
function advertiseHeaderListLimit(server: Server, maxBytes: number): void {
  const common = http2ServerOptionsOf(server);
  if (common === undefined) {
    throw new Error('grpc-js no longer keeps commonServerOptions: cannot advertise SETTINGS_MAX_HEADER_LIST_SIZE');
  }
  common.settings = { ...common.settings, maxHeaderListSize: maxBytes };
}

/** The size HTTP/2 counts for a header list (RFC 9113 6.5.2): name + value + 32 octets per field. */
export function metadataBytes(metadata: Metadata): number {
  let total = 0;
  for (const [name, value] of Object.entries(metadata.toHttp2Headers())) {
    for (const one of Array.isArray(value) ? value : [value]) total += name.length + String(one).length + 32;
  }
  return total;
}

/** Ends a call whose metadata is over the limit with RESOURCE_EXHAUSTED before any handler sees it. */
function metadataLimit(maxBytes: number): ServerInterceptor {
  return (_method, call) =>
    new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            const size = metadataBytes(metadata);
            if (size > maxBytes) {
              call.sendStatus({ code: status.RESOURCE_EXHAUSTED, details: `request metadata of ${size} bytes is over the limit of ${maxBytes}` });
              return;
            }
            nextMetadata(metadata);
          },
        });
      },
    });
}
