import type { Tracer } from '@opentelemetry/api';
import type { Logger } from '../../logger.js';

export interface TracingOptions {
  /** service.name unless OTEL_SERVICE_NAME is set: "telemetry-gateway" for serve, "telemetry-gateway-exporter" for export. */
  serviceName: string;
  logger: Logger;
}

/** What otel-sdk.ts returns once the SDK runs. */
export interface TracingSdk {
  tracer: Tracer;
  /** Ends the span processor: exports what is buffered, then stops. */
  shutdown(): Promise<void>;
}
