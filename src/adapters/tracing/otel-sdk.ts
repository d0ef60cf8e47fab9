import { DiagLogLevel, diag, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { OtlpTraceProtocol } from '../../config/tracing-config.js';
import { VERSION } from '../../version.js';
import { diagLogger } from './diag-logger.js';
import type { TracingOptions, TracingSdk } from './tracing-options.js';

/**
 * The OpenTelemetry SDK, loaded only when tracing is on (start-tracing.ts
 * imports this file dynamically): a Node tracer provider registered globally
 * (AsyncLocalStorage context, W3C trace context and baggage propagators), its
 * sampler from OTEL_TRACES_SAMPLER(_ARG), a batch span processor (OTEL_BSP_*)
 * and an OTLP/HTTP exporter (endpoint, headers and timeout from OTEL_EXPORTER_OTLP_*).
 * The resource is service.name (the command's, unless OTEL_SERVICE_NAME says
 * otherwise), service.version, and OTEL_RESOURCE_ATTRIBUTES.
 */
export function startOtelSdk(protocol: OtlpTraceProtocol, options: TracingOptions): TracingSdk {
  diag.setLogger(diagLogger(options.logger), DiagLogLevel.WARN);
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName, [ATTR_SERVICE_VERSION]: VERSION }))
    .merge(detectResources({ detectors: [envDetector] }));
  const exporter = protocol === 'http/json' ? new OtlpJsonExporter() : new OtlpProtobufExporter();
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  provider.register();
  return {
    tracer: trace.getTracer('telemetry-gateway', VERSION),
    shutdown: () => provider.shutdown(),
  };
}
