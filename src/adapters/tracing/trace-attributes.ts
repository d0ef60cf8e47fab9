/**
 * Every attribute name the gateway's and exporter's spans carry, in one place
 * so their bound is easy to review: RPC names, kinds, counts and codes only.
 * The rpc.* names are OpenTelemetry's RPC semantic conventions.
 */
export const TRACE_ATTRIBUTES = {
  rpcSystem: 'rpc.system',
  rpcService: 'rpc.service',
  rpcMethod: 'rpc.method',
  grpcStatusCode: 'rpc.grpc.status_code',
  /** licensed_instance, unlicensed_instance or managed_service. */
  sourceKind: 'telemetry_gateway.source.kind',
  /** The store's URL scheme: sqlite, postgres, nats, memory, fan-out... */
  storeKind: 'telemetry_gateway.store.kind',
  payloads: 'telemetry_gateway.payloads',
  events: 'telemetry_gateway.events',
  entries: 'telemetry_gateway.entries',
  acknowledged: 'telemetry_gateway.events.acknowledged',
  stored: 'telemetry_gateway.events.stored',
  duplicate: 'telemetry_gateway.events.duplicate',
  rejected: 'telemetry_gateway.events.rejected',
  retryable: 'telemetry_gateway.events.retryable',
  rateLimited: 'telemetry_gateway.events.rate_limited',
} as const;
