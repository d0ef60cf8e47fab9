import type { TracingSettings } from '../../config/tracing-config.js';
import { NOOP_INGEST_TRACER, type IngestTracer } from '../../gateway/ingest-tracing.js';
import type { TracingOptions } from './tracing-options.js';

export interface Tracing {
  readonly enabled: boolean;
  /** The gateway's spans (calls, payloads, store writes); a no-op when tracing is off. */
  readonly ingestTracer: IngestTracer;
  /**
   * Sends the spans still buffered, waiting at most `timeoutMs` (a collector
   * that does not answer must not hold up an exit). Idempotent; never rejects.
   */
  shutdown(timeoutMs?: number): Promise<void>;
}

/** How long an exit waits for buffered spans to be sent, by default. */
export const DEFAULT_TRACING_SHUTDOWN_MS = 5_000;

const OFF: Tracing = { enabled: false, ingestTracer: NOOP_INGEST_TRACER, shutdown: async () => {} };

/**
 * Starts tracing for a command when its settings say so. When they do not,
 * neither the SDK nor the OTLP exporter is even loaded: the spans are the
 * no-op ones and @opentelemetry/api's global tracer stays the no-op tracer.
 */
export async function startTracing(settings: TracingSettings, options: TracingOptions): Promise<Tracing> {
  if (!settings.enabled) {
    if (settings.warning !== undefined) options.logger.warn(settings.warning);
    return OFF;
  }
  const [{ startOtelSdk }, { createOtelIngestTracer }] = await Promise.all([import('./otel-sdk.js'), import('./otel-ingest-tracer.js')]);
  const sdk = startOtelSdk(settings.protocol, options);
  options.logger.info({ protocol: settings.protocol, serviceName: options.serviceName }, 'tracing on: spans go to the OTLP endpoint from OTEL_EXPORTER_OTLP_*');
  let stopping: Promise<void> | undefined;
  return {
    enabled: true,
    ingestTracer: createOtelIngestTracer(sdk.tracer),
    shutdown(timeoutMs = DEFAULT_TRACING_SHUTDOWN_MS) {
      stopping ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          options.logger.warn({ timeoutMs }, 'tracing: buffered spans not sent in time; dropped');
          resolve();
        }, timeoutMs);
        timer.unref();
        sdk.shutdown().then(
          () => resolve(),
          (error: unknown) => {
            options.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'tracing: sending the last spans failed');
            resolve();
          },
        ).finally(() => clearTimeout(timer));
      });
      return stopping;
    },
  };
}
