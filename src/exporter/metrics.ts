/**
 * Prometheus metrics for an embedded exporter: `import { createExporterMetrics }
 * from 'telemetry-gateway/exporter/metrics'`, pass `observer` and
 * `recorderObserver` to createExporter, then serve `registry` or merge it into
 * yours (`Registry.merge([yours, metrics.registry])`). Loads prom-client.
 */
export { createExporterMetrics, type ExporterMetrics, type ExporterMetricsOptions } from '../adapters/http/exporter-metrics.js';
