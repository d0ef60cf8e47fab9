/** The end of `serve --help` and `export --help`: tracing is configured by OpenTelemetry's variables, not flags. */
export const TRACING_HELP = `
Tracing (OpenTelemetry, OTLP over HTTP): off unless OTEL_EXPORTER_OTLP_ENDPOINT or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set. Also read: OTEL_SDK_DISABLED, OTEL_TRACES_EXPORTER (otlp|none),
OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL (http/protobuf|http/json), _HEADERS, _TIMEOUT, OTEL_SERVICE_NAME,
OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER(_ARG), OTEL_BSP_*. Spans per call, payload and store write
(gateway) and per export run and call (exporter, whose trace context goes in the gRPC metadata).`;
