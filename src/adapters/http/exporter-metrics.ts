import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ExportObserver } from '../../exporter/export-observer.js';
import type { EventQueue } from '../../exporter/queue.js';

export interface ExporterMetrics {
  registry: Registry;
  observer: ExportObserver;
}

/** Prometheus metrics for the exporter; queue gauges are read from the queue at scrape time. */
export function createExporterMetrics(queue: EventQueue): ExporterMetrics {
  const registry = new Registry();
  const queueStats = () => queue.stats(Date.now());
  new Gauge({
    name: 'telemetry_exporter_queue_pending_events',
    help: 'Events queued and not yet acknowledged by the gateway.',
    registers: [registry],
    async collect() {
      this.set((await queueStats()).pending);
    },
  });
  new Gauge({
    name: 'telemetry_exporter_queue_oldest_pending_age_seconds',
    help: 'Age of the oldest unexported event (0 when none is pending).',
    registers: [registry],
    async collect() {
      this.set(((await queueStats()).oldestPendingAgeMs ?? 0) / 1000);
    },
  });
  const exported = new Counter({ name: 'telemetry_exporter_events_exported_total', help: 'Events acknowledged by the gateway and marked exported.', registers: [registry] });
  const unacknowledged = new Counter({ name: 'telemetry_exporter_events_unacknowledged_total', help: 'Events sent but not acknowledged (retried later).', registers: [registry] });
  const runs = new Counter({ name: 'telemetry_exporter_runs_total', help: 'Export runs by result.', labelNames: ['result'], registers: [registry] });
  const batchSize = new Histogram({
    name: 'telemetry_exporter_batch_events',
    help: 'Events per export batch (stream).',
    buckets: [1, 10, 100, 1000, 5000, 10_000],
    registers: [registry],
  });
  const deleted = new Counter({ name: 'telemetry_exporter_retention_deleted_total', help: 'Exported events deleted after the retention period.', registers: [registry] });

  return {
    registry,
    observer: {
      runFinished(result) {
        exported.inc(result.acknowledged);
        unacknowledged.inc(result.sent - result.acknowledged);
        runs.inc({ result: result.error === undefined ? 'ok' : 'failed' });
        if (result.batches > 0) batchSize.observe(result.sent / result.batches);
      },
      retentionApplied(n) {
        deleted.inc(n);
      },
    },
  };
}
