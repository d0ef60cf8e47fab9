import type { TracingSettings } from '../../config/tracing-config.js';
import { NOOP_INGEST_TRACER, type IngestTracer } from '../../gateway/ingest-tracing.js';
import type { TracingOptions } from './tracing-options.js';

export interface Tracing {
  readonly enabled: boolean;
  /** The gateway's spans (calls, payloads, store writes); a no-op when tracing is off. */
  readonly ingestTracer: IngestTracer;
  /**
   * Sends the spans still buffered, waiting at most `timeoutMs` (a collector
   * that does not answer must not hold up an exit). Resolves true once they
   * are sent, false when the time ran out: the OTLP exporter may then still be
   * retrying, which keeps the event loop alive, so the caller exits explicitly.
   * Idempotent; never rejects.
   */
  shutdown(timeoutMs?: number): Promise<boolean>;
}

/** How long an exit waits for buffered spans to be sent, by default. */
export const DEFAULT_TRACING_SHUTDOWN_MS = 5_000;

const OFF: Tracing = { enabled: false, ingestTracer: NOOP_INGEST_TRACER, shutdown: async () => true };

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
  let stopping: Promise<boolean> | undefined;
  return {
    enabled: true,
    ingestTracer: createOtelIngestTracer(sdk.tracer),
    shutdown(timeoutMs = DEFAULT_TRACING_SHUTDOWN_MS) {
      stopping ??= new Promise<boolean>((resolve) => {
        let settled = false;
        const settle = (sent: boolean, warning?: [object, string]): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (warning) options.logger.warn(...warning);
          resolve(sent);
        };
        const timer = setTimeout(() => settle(false, [{ timeoutMs }, 'tracing: buffered spans not sent in time; dropped']), timeoutMs);
        timer.unref();
        sdk.shutdown().then(
          () => settle(true),
          (error: unknown) => settle(false, [{ error: error instanceof Error ? error.message : String(error) }, 'tracing: sending the last spans failed']),
        );
      });
      return stopping;
    },
  };
}
