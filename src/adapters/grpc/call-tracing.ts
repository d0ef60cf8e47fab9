import { context, propagation, SpanKind, SpanStatusCode, trace, type Span, type TextMapSetter } from '@opentelemetry/api';
import type { Metadata } from '@grpc/grpc-js';
import { TelemeteryGatewayService } from '../../gen/telemetrygateway/v1/telemetrygateway_pb.js';

const SERVICE = TelemeteryGatewayService.typeName;
const tracer = () => trace.getTracer('telemetry-gateway/exporter');

const METADATA_SETTER: TextMapSetter<Metadata> = {
  set: (metadata, key, value) => metadata.set(key, value),
};

/** A client call's span and the metadata that carries its trace context. */
export interface TracedCall {
  span: Span;
  /** Records the call's gRPC status code (0 when it succeeded) and ends the span. */
  end(grpcCode: number): void;
}

/**
 * Starts a CLIENT span for one call to the gateway, a child of the active
 * context (the export run's), and injects its W3C trace context
 * (`traceparent`, `tracestate`) into the call's metadata, so the gateway's
 * span for the call is its child. Through @opentelemetry/api only: without a
 * registered tracer provider and propagator, both are no-ops.
 */
export function traceCall(rpc: 'RecordEvents' | 'RecordEvent', metadata: Metadata): TracedCall {
  const span = tracer().startSpan(`${SERVICE}/${rpc}`, {
    kind: SpanKind.CLIENT,
    attributes: { 'rpc.system': 'grpc', 'rpc.service': SERVICE, 'rpc.method': rpc },
  });
  propagation.inject(trace.setSpan(context.active(), span), metadata, METADATA_SETTER);
  return {
    span,
    end(grpcCode) {
      span.setAttribute('rpc.grpc.status_code', grpcCode);
      if (grpcCode !== 0) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}
