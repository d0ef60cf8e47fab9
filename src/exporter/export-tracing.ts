import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ExportRunResult } from './export-run.js';

/**
 * The exporter library traces through @opentelemetry/api only: its spans go
 * wherever the embedding application registered a tracer provider, and are
 * no-ops when it registered none (the library never loads the SDK). The CLI's
 * `export` registers one from OTEL_* (see src/adapters/tracing).
 */
const tracer = () => trace.getTracer('telemetry-gateway/exporter');

/**
 * Runs one export run inside its span: the RecordEvents/RecordEvent calls the
 * transport makes in it are its children (the transport sends their trace
 * context to the gateway), so a run and the gateway's handling of it are one
 * trace. Attributes are the run's counts and failure code, nothing else.
 */
export async function traceExportRun(run: () => Promise<ExportRunResult>): Promise<ExportRunResult> {
  const span = tracer().startSpan('telemetry_gateway.export', { kind: SpanKind.INTERNAL });
  try {
    const result = await context.with(trace.setSpan(context.active(), span), run);
    span.setAttributes({
      'telemetry_gateway.events.sent': result.sent,
      'telemetry_gateway.events.acknowledged': result.acknowledged,
      'telemetry_gateway.events.failed': result.failed,
      'telemetry_gateway.batches': result.batches,
    });
    if (result.error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: result.errorCode ?? 'incomplete' });
    return result;
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'export run failed' });
    throw error;
  } finally {
    span.end();
  }
}
