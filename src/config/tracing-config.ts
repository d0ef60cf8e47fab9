/**
 * Whether a command traces, from OpenTelemetry's standard environment
 * variables (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/).
 * Off unless an OTLP endpoint is set, so an unconfigured gateway never loads
 * the SDK. The SDK itself reads the rest (OTEL_SERVICE_NAME,
 * OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER(_ARG), OTEL_EXPORTER_OTLP_HEADERS,
 * _TIMEOUT, OTEL_BSP_*); this module only decides on and off.
 */
export type TracingSettings =
  | { enabled: false; /** Why, when something was set but tracing stays off (a warning worth logging). */ warning?: string }
  | { enabled: true; protocol: OtlpTraceProtocol };

/** OTLP over HTTP; `grpc` is not supported (it would need another exporter package). */
export type OtlpTraceProtocol = 'http/protobuf' | 'http/json';

const present = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

export function tracingSettings(env: NodeJS.ProcessEnv = process.env): TracingSettings {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return { enabled: false };
  if (!present(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) && !present(env.OTEL_EXPORTER_OTLP_ENDPOINT)) return { enabled: false };
  const exporters = present(env.OTEL_TRACES_EXPORTER) ? env.OTEL_TRACES_EXPORTER.split(',').map((name) => name.trim().toLowerCase()) : ['otlp'];
  if (exporters.includes('none')) return { enabled: false };
  if (!exporters.includes('otlp')) {
    return { enabled: false, warning: `OTEL_TRACES_EXPORTER=${exporters.join(',')} is not supported (only otlp); tracing is off` };
  }
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf').trim();
  if (protocol === 'http/protobuf' || protocol === 'http/json') return { enabled: true, protocol };
  return { enabled: false, warning: `OTLP protocol ${protocol} is not supported (use http/protobuf or http/json); tracing is off` };
}
