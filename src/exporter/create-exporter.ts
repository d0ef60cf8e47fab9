import { grpcGatewayConnector } from '../adapters/grpc/export-transport.js';
import { openQueue } from '../adapters/queues/open-queue.js';
import type { AllowlistEntry } from '../core/privacy/allowlist.js';
import { parseAllowlistLine } from './allowlist-text.js';
import type { RecordParams } from './build-event.js';
import type { ExportObserver } from './export-observer.js';
import { createExportLoop, type FlushOptions } from './export-loop.js';
import type { ExportMode } from './export-mode.js';
import type { ExportRunResult } from './export-run.js';
import type { ExporterIdentity } from './exporter-identity.js';
import { parseGatewayUrl } from './gateway-url.js';
import type { EventQueue } from './queue.js';
import { createRecorder, type Recorder, type RecorderObserver, type RecordRequest } from './recorder.js';

/** Where the exporter reports what goes wrong; `console` by default. */
export interface ExporterLogger {
  warn(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

export interface ExporterOptions {
  /** https://HOST[:PORT] (TLS, verified), or http://HOST:PORT with `insecure: true`. */
  gateway: string;
  identity: ExporterIdentity;
  /** `source.server.version` of every event. */
  serverVersion: string;
  /** sqlite:PATH or postgres://... (default sqlite:./data/queue.db), or a queue you opened (you close it). */
  queue?: string | EventQueue;
  /** private_metadata keys that may leave: entries, or `feature::action::key1[::key2]` strings. */
  allowlist?: readonly (AllowlistEntry | string)[];
  redaction?: 'default' | 'public-service';
  exportMode?: ExportMode;
  legacyMetadata?: boolean;
  /** record() refuses larger events. Default 1 MiB. */
  maxEventBytes?: number;
  /** A bounded queue: record() refuses new events (QueueFullError) beyond these. Default: no limit. */
  maxQueueEvents?: number;
  maxQueueBytes?: number;
  /** Allow http:// (plaintext). */
  insecure?: boolean;
  /** PEM: a CA bundle to verify the gateway with, and a client certificate and key for mutual TLS. */
  tls?: { ca?: Buffer | string; cert?: Buffer | string; key?: Buffer | string };
  /** Deadline of connecting and of each call. Default 30 s. */
  timeoutMs?: number;
  /** Time between runs. Default 5 min, at most 1 h. */
  intervalMs?: number;
  batchSize?: number;
  concurrentBatches?: number;
  retentionMs?: number;
  /** How long shutdown() may flush. Default 10 s. */
  shutdownTimeoutMs?: number;
  /** Failed runs (warn), refusals and poison events (error). `null` silences it. Default: console. */
  logger?: ExporterLogger | null;
  /** Metrics hooks, e.g. createExporterMetrics(...).observer from 'telemetry-gateway/exporter/metrics'. */
  observer?: ExportObserver;
  recorderObserver?: RecorderObserver;
}

export interface Exporter {
  readonly queue: EventQueue;
  /** See Recorder.record: durably queued when it resolves. */
  record(feature: string, action: string, params?: RecordParams): Promise<string | undefined>;
  recordBatch(requests: readonly RecordRequest[]): Promise<(string | undefined)[]>;
  /** Exports every interval from now on (harmless to call twice). */
  start(): void;
  /** Sends everything pending now. */
  forceFlush(options?: FlushOptions): Promise<ExportRunResult>;
  /** Stops, flushes within the deadline (default `shutdownTimeoutMs`), closes the queue it opened. Idempotent. */
  shutdown(options?: FlushOptions): Promise<ExportRunResult>;
  [Symbol.asyncDispose](): Promise<void>;
}

const consoleLogger: ExporterLogger = {
  warn: (message, fields) => console.warn(`telemetry exporter: ${message}`, fields),
  error: (message, fields) => console.error(`telemetry exporter: ${message}`, fields),
};

const pem = (value: Buffer | string | undefined): Buffer | undefined => (value === undefined ? undefined : Buffer.from(value));

/** An embedded exporter: recorder + queue + export loop in one object, started. */
export async function createExporter(options: ExporterOptions): Promise<Exporter> {
  const { target, plaintext } = parseGatewayUrl(options.gateway);
  if (plaintext && !options.insecure) throw new Error(`refusing plaintext to ${options.gateway}: set insecure: true to allow it, or use https://`);
  const allowlist = (options.allowlist ?? []).map((entry) => (typeof entry === 'string' ? parseAllowlistLine(entry) : entry));
  const ownsQueue = typeof options.queue !== 'object';
  const queue =
    typeof options.queue === 'object'
      ? options.queue
      : await openQueue(options.queue ?? 'sqlite:./data/queue.db', { maxPendingEvents: options.maxQueueEvents, maxPendingBytes: options.maxQueueBytes });
  const logger = options.logger === undefined ? consoleLogger : options.logger;
  const observer = options.observer ?? {};
  const recorder: Recorder = createRecorder({
    queue,
    serverVersion: options.serverVersion,
    allowlist,
    redaction: options.redaction,
    exportMode: options.exportMode,
    legacyMetadata: options.legacyMetadata,
    maxEventBytes: options.maxEventBytes,
    observer: options.recorderObserver,
  });
  const cert = pem(options.tls?.cert);
  const key = pem(options.tls?.key);
  const loop = createExportLoop({
    queue,
    connect: grpcGatewayConnector({
      target,
      identity: options.identity,
      timeoutMs: options.timeoutMs,
      tls: plaintext ? { kind: 'plaintext' } : { kind: 'tls', rootCerts: pem(options.tls?.ca), clientCert: cert && key ? { cert, key } : undefined },
    }),
    intervalMs: options.intervalMs,
    batchSize: options.batchSize,
    exportMode: options.exportMode,
    concurrentBatches: options.concurrentBatches,
    unary: options.identity.kind === 'managed_service',
    retentionMs: options.retentionMs,
    observer: {
      ...observer,
      runFinished(result, durationMs, nextRunInMs) {
        observer.runFinished?.(result, durationMs, nextRunInMs);
        if (result.error === undefined || logger === null) return;
        const fields = { code: result.errorCode, error: result.error, acknowledged: result.acknowledged, nextRunInMs };
        if (result.permanent) logger.error('the gateway refused the export; fix the configuration', fields);
        else logger.warn('export run incomplete; the rest is retried', fields);
      },
      eventsFailed(events) {
        observer.eventsFailed?.(events);
        for (const { id, reason } of events) logger?.error('the gateway refused an event on its own; set aside as failed', { id, reason });
      },
    },
  });
  loop.start();
  let closing: Promise<ExportRunResult> | undefined;
  const shutdown = (flush: FlushOptions = {}): Promise<ExportRunResult> => {
    closing ??= (async () => {
      const result = await loop.shutdown({ timeoutMs: flush.timeoutMs ?? options.shutdownTimeoutMs });
      if (ownsQueue) await queue.close();
      return result;
    })();
    return closing;
  };
  return {
    queue,
    record: (feature, action, params) => recorder.record(feature, action, params),
    recordBatch: (requests) => recorder.recordBatch(requests),
    start: () => loop.start(),
    forceFlush: (flush) => loop.forceFlush(flush),
    shutdown,
    async [Symbol.asyncDispose]() {
      await shutdown();
    },
  };
}
