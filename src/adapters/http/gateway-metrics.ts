import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { IngestObserver } from '../../gateway/ingest-observer.js';
import { Code } from '../../core/status.js';
import type { MaintenanceListener } from '../../core/store.js';
import { VERSION } from '../../version.js';

const CODE_NAMES = Object.fromEntries(Object.entries(Code).map(([name, value]) => [value, name])) as Record<number, string>;

/** gRPC's call types, as grpc-prometheus labels them: RecordEvents streams both ways, RecordEvent is unary. */
const CALL_TYPE = { RecordEvents: 'bidi_stream', RecordEvent: 'unary' } as const;

/**
 * A rejected event's reason is free text (it names limits and patterns); the
 * metric label is one of these few, so a sender cannot grow the series.
 */
const REJECTION_REASONS: readonly [RegExp, string][] = [
  [/^malformed event/, 'malformed'],
  [/byte limit|too large|exceeds/i, 'too_large'],
  [/^feature /, 'invalid_feature'],
  [/^action /, 'invalid_action'],
  [/event id/, 'missing_id'],
  [/timestamp/, 'invalid_timestamp'],
  [/private_metadata/, 'invalid_private_metadata'],
];

export function rejectionReasonLabel(reason: string): string {
  return REJECTION_REASONS.find(([pattern]) => pattern.test(reason))?.[1] ?? 'other';
}

export interface GatewayMetrics {
  registry: Registry;
  observer: IngestObserver;
  /** Counts what the store's background maintenance (retention, the SQLite checkpointer thread) did and how often it failed. */
  maintenance: MaintenanceListener;
}

/**
 * Prometheus metrics for the ingest path, fed through the IngestObserver port,
 * plus the standard process and Node.js metrics under their usual unprefixed
 * names (process_cpu_seconds_total, nodejs_heap_size_used_bytes, ...), so stock
 * dashboards find them, and telemetry_gateway_build_info.
 */
export function createGatewayMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'telemetry_gateway_build_info',
    help: 'Always 1; the labels say which build runs (version) on which Node.js (node_version).',
    labelNames: ['version', 'node_version'],
    registers: [registry],
  }).set({ version: VERSION, node_version: process.version }, 1);
  const callsStarted = new Counter({
    name: 'telemetry_gateway_calls_started_total',
    help: 'gRPC calls started, by RPC and type (bidi_stream: RecordEvents; unary: RecordEvent).',
    labelNames: ['rpc', 'type'],
    registers: [registry],
  });
  const callsActive = new Gauge({
    name: 'telemetry_gateway_calls_active',
    help: 'gRPC calls in progress, by RPC and type.',
    labelNames: ['rpc', 'type'],
    registers: [registry],
  });
  const callsEnded = new Counter({
    name: 'telemetry_gateway_calls_ended_total',
    help: 'gRPC calls ended, by RPC, type and status code.',
    labelNames: ['rpc', 'type', 'code'],
    registers: [registry],
  });
  const eventBytes = new Counter({
    name: 'telemetry_gateway_event_bytes_total',
    help: 'Protobuf bytes of the events received and handed to the store (after privacy enforcement; without gRPC framing, metadata or rate-limited events), by publisher source.',
    labelNames: ['source'],
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'telemetry_gateway_events_rejected_total',
    help: 'Events refused as invalid and kept in the rejected store, by reason (malformed, too_large, invalid_feature, invalid_action, missing_id, invalid_timestamp, invalid_private_metadata, other) and publisher source.',
    labelNames: ['reason', 'source'],
    registers: [registry],
  });
  const streamsStarted = new Counter({
    name: 'telemetry_gateway_streams_started_total',
    help: 'Streaming calls (RecordEvents) started; all calls, unary ones too: telemetry_gateway_calls_started_total.',
    labelNames: ['rpc'],
    registers: [registry],
  });
  const streamsActive = new Gauge({
    name: 'telemetry_gateway_streams_active',
    help: 'Streaming calls (RecordEvents) in progress.',
    labelNames: ['rpc'],
    registers: [registry],
  });
  const streamsEnded = new Counter({
    name: 'telemetry_gateway_streams_ended_total',
    help: 'Streaming calls (RecordEvents) ended, by gRPC status code.',
    labelNames: ['rpc', 'code'],
    registers: [registry],
  });
  const payloads = new Counter({
    name: 'telemetry_gateway_payloads_total',
    help: 'Events payloads (RecordEvents) and single events (RecordEvent) written to the store.',
    registers: [registry],
  });
  const events = new Counter({
    name: 'telemetry_gateway_events_total',
    help: 'Events by outcome (stored, duplicate, rejected, retryable) and publisher source.',
    labelNames: ['outcome', 'source'],
    registers: [registry],
  });
  const storeWrite = new Histogram({
    name: 'telemetry_gateway_store_write_seconds',
    help: 'Time from handing a payload to the store until it is durable (includes group-commit wait).',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  const privacyRemoved = new Counter({
    name: 'telemetry_gateway_privacy_removed_total',
    help: 'What gateway-side privacy enforcement removed from instance events: private_metadata keys, replaced non-string values, marketing_tracking fields; by publisher source.',
    labelNames: ['field', 'source'],
    registers: [registry],
  });

  const rateLimited = new Counter({
    name: 'telemetry_gateway_events_rate_limited_total',
    help: 'Events not acknowledged because their source was over its rate limit or daily quota (the exporter retries them).',
    labelNames: ['source'],
    registers: [registry],
  });

  const observer: IngestObserver = {
    streamStarted(rpc) {
      const type = CALL_TYPE[rpc];
      callsStarted.inc({ rpc, type });
      callsActive.inc({ rpc, type });
      if (type !== 'bidi_stream') return;
      streamsStarted.inc({ rpc });
      streamsActive.inc({ rpc });
    },
    streamIdentified() {},
    streamEnded(rpc, code) {
      const type = CALL_TYPE[rpc];
      const codeName = CODE_NAMES[code] ?? String(code);
      callsActive.dec({ rpc, type });
      callsEnded.inc({ rpc, type, code: codeName });
      if (type !== 'bidi_stream') return;
      streamsActive.dec({ rpc });
      streamsEnded.inc({ rpc, code: codeName });
    },
    payloadRecorded(origin, entries, outcomes, writeMs) {
      payloads.inc();
      storeWrite.observe(writeMs / 1000);
      const counts = { stored: 0, duplicate: 0, rejected: 0, retryable: 0 };
      let bytes = 0;
      entries.forEach((entry, i) => {
        bytes += entry.bytes.byteLength;
        const status = outcomes[i]?.status ?? 'retryable';
        const rejectedNow = status === 'stored' && entry.kind === 'rejected';
        counts[rejectedNow ? 'rejected' : status]++;
        if (rejectedNow) rejected.inc({ reason: rejectionReasonLabel(entry.reason), source: origin.publisher });
      });
      if (bytes > 0) eventBytes.inc({ source: origin.publisher }, bytes);
      for (const [outcome, n] of Object.entries(counts)) {
        if (n > 0) events.inc({ outcome, source: origin.publisher }, n);
      }
    },
    rateLimited(origin, n) {
      rateLimited.inc({ source: origin.publisher }, n);
    },
    privacyEnforced(origin, removed) {
      const source = origin.publisher;
      if (removed.privateKeysRemoved > 0) privacyRemoved.inc({ field: 'private_metadata_key', source }, removed.privateKeysRemoved);
      if (removed.valuesReplaced > 0) privacyRemoved.inc({ field: 'private_metadata_value', source }, removed.valuesReplaced);
      if (removed.marketingRemoved > 0) privacyRemoved.inc({ field: 'marketing_tracking', source }, removed.marketingRemoved);
    },
  };
  const retentionDeleted = new Counter({
    name: 'telemetry_gateway_retention_deleted_total',
    help: 'Rows removed by retention, by table (events, rejected_events); PostgreSQL day partitions dropped whole are counted in telemetry_gateway_retention_partitions_dropped_total instead.',
    labelNames: ['table'],
    registers: [registry],
  });
  const partitionsDropped = new Counter({
    name: 'telemetry_gateway_retention_partitions_dropped_total',
    help: 'PostgreSQL event partitions (one UTC day each) dropped by retention.',
    registers: [registry],
  });
  const maintenancePasses = new Counter({
    name: 'telemetry_gateway_store_maintenance_passes_total',
    help: 'Background store maintenance (retention passes, SQLite checkpointer thread failures), by result (ok, failed); what failed is retried.',
    labelNames: ['result'],
    registers: [registry],
  });
  const maintenanceLastOk = new Gauge({
    name: 'telemetry_gateway_store_maintenance_last_success_timestamp_seconds',
    help: 'When the last store maintenance pass succeeded (Unix time); alert when it lags far behind the pass interval.',
    registers: [registry],
  });
  const maintenance: MaintenanceListener = (report) => {
    maintenancePasses.inc({ result: report.ok ? 'ok' : 'failed' });
    if (!report.ok) return;
    maintenanceLastOk.setToCurrentTime();
    retentionDeleted.inc({ table: 'events' }, report.deletedEvents);
    retentionDeleted.inc({ table: 'rejected_events' }, report.deletedRejected);
    partitionsDropped.inc(report.droppedPartitions);
  };
  return { registry, observer, maintenance };
}
