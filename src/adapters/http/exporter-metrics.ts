import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ExportObserver } from '../../exporter/export-observer.js';
import type { EventQueue } from '../../exporter/queue.js';
import type { RecorderObserver } from '../../exporter/recorder.js';

export interface ExporterMetrics {
  /** Serve it, or merge it into yours: `Registry.merge([yours, metrics.registry])`. */
  registry: Registry;
  /** Give to createExportLoop({ observer }) (combine with your own with combineExportObservers). */
  observer: ExportObserver;
  /** Give to createRecorder({ observer }): counts the events record() refused. */
  recorderObserver: RecorderObserver;
}

export interface ExporterMetricsOptions {
  queue: EventQueue;
  /** Register here instead of a fresh registry. */
  registry?: Registry;
}

/**
 * Prometheus metrics for the exporter, per event and per batch as they happen;
 * queue gauges are read from the queue at scrape time.
 */
export function createExporterMetrics(options: ExporterMetricsOptions | EventQueue): ExporterMetrics {
  const { queue, registry = new Registry() } = 'queue' in options ? options : { queue: options };
  const registers = [registry];
  const queueStats = () => queue.stats(Date.now());
  new Gauge({
    name: 'telemetry_exporter_queue_pending_events',
    help: 'Events queued and not yet acknowledged by the gateway.',
    registers,
    async collect() {
      this.set((await queueStats()).pending);
    },
  });
  new Gauge({
    name: 'telemetry_exporter_queue_pending_bytes',
    help: 'Encoded bytes of the pending events.',
    registers,
    async collect() {
      this.set((await queueStats()).pendingBytes);
    },
  });
  new Gauge({
    name: 'telemetry_exporter_queue_failed_events',
    help: 'Events set aside as failed (refused by the gateway on their own), kept until retention.',
    registers,
    async collect() {
      this.set((await queueStats()).failed);
    },
  });
  new Gauge({
    name: 'telemetry_exporter_queue_oldest_pending_age_seconds',
    help: 'Age of the oldest unexported event (0 when none is pending).',
    registers,
    async collect() {
      this.set(((await queueStats()).oldestPendingAgeMs ?? 0) / 1000);
    },
  });
  const exported = new Counter({ name: 'telemetry_exporter_events_exported_total', help: 'Events acknowledged by the gateway and marked exported (counted as each batch ends).', registers });
  const failed = new Counter({ name: 'telemetry_exporter_events_failed_total', help: 'Events the gateway refused on their own, set aside as failed (not retried).', registers });
  const refused = new Counter({
    name: 'telemetry_exporter_events_refused_total',
    help: 'Events record() refused, by reason (too_large, queue_full); none of them was queued.',
    labelNames: ['reason'],
    registers,
  });
  const batches = new Counter({ name: 'telemetry_exporter_batches_total', help: 'Batches (streams) sent, by result: ok when every event was acknowledged or set aside.', labelNames: ['result'], registers });
  const runs = new Counter({ name: 'telemetry_exporter_runs_total', help: 'Export runs by result and, for failed runs, the gRPC code (UNACKNOWLEDGED: the stream ended OK but left events unacknowledged).', labelNames: ['result', 'code'], registers });
  const batchSize = new Histogram({ name: 'telemetry_exporter_batch_events', help: 'Events per export batch (stream).', buckets: [1, 10, 100, 1000, 5000, 10_000], registers });
  const batchSeconds = new Histogram({ name: 'telemetry_exporter_batch_duration_seconds', help: 'Time to send one batch and get its acknowledgements.', buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30], registers });
  const nextRun = new Gauge({ name: 'telemetry_exporter_next_run_timestamp_seconds', help: 'When the next export run is scheduled (Unix time).', registers });
  const deleted = new Counter({ name: 'telemetry_exporter_retention_deleted_total', help: 'Exported and failed events deleted after the retention period.', registers });

  return {
    registry,
    observer: {
      batchFinished(outcome) {
        exported.inc(outcome.acknowledged);
        batches.inc({ result: outcome.acknowledged + outcome.failed === outcome.events ? 'ok' : 'incomplete' });
        batchSize.observe(outcome.events);
        batchSeconds.observe(outcome.durationMs / 1000);
      },
      eventsFailed(events) {
        failed.inc(events.length);
      },
      runFinished(result, _durationMs, nextRunInMs) {
        runs.inc({ result: result.error === undefined ? 'ok' : 'failed', code: result.error === undefined ? '' : (result.errorCode ?? 'UNACKNOWLEDGED') });
        if (nextRunInMs !== undefined) nextRun.set((Date.now() + nextRunInMs) / 1000);
      },
      retentionApplied(n) {
        deleted.inc(n);
      },
    },
    recorderObserver: {
      refused(count, reason) {
        refused.inc({ reason }, count);
      },
    },
  };
}
