import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { IngestObserver } from '../../gateway/ingest-observer.js';
import { Code } from '../../core/status.js';

const CODE_NAMES = Object.fromEntries(Object.entries(Code).map(([name, value]) => [value, name])) as Record<number, string>;

export interface GatewayMetrics {
  registry: Registry;
  observer: IngestObserver;
}

/** Prometheus metrics for the ingest path, fed through the IngestObserver port. */
export function createGatewayMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'telemetry_gateway_' });
  const streamsStarted = new Counter({
    name: 'telemetry_gateway_streams_started_total',
    help: 'Calls started, by RPC.',
    labelNames: ['rpc'],
    registers: [registry],
  });
  const streamsActive = new Gauge({
    name: 'telemetry_gateway_streams_active',
    help: 'Calls in progress, by RPC.',
    labelNames: ['rpc'],
    registers: [registry],
  });
  const streamsEnded = new Counter({
    name: 'telemetry_gateway_streams_ended_total',
    help: 'Calls ended, by RPC and gRPC status code.',
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
      streamsStarted.inc({ rpc });
      streamsActive.inc({ rpc });
    },
    streamIdentified() {},
    streamEnded(rpc, code) {
      streamsActive.dec({ rpc });
      streamsEnded.inc({ rpc, code: CODE_NAMES[code] ?? String(code) });
    },
    payloadRecorded(origin, entries, outcomes, writeMs) {
      payloads.inc();
      storeWrite.observe(writeMs / 1000);
      const counts = { stored: 0, duplicate: 0, rejected: 0, retryable: 0 };
      entries.forEach((entry, i) => {
        const status = outcomes[i]?.status ?? 'retryable';
        counts[status === 'stored' && entry.kind === 'rejected' ? 'rejected' : status]++;
      });
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
  return { registry, observer };
}
