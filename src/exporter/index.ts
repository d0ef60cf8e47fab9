/**
 * The exporter as a library: what an instance embeds to record events and
 * send them to a telemetry gateway. `import { createExporter } from 'telemetry-gateway/exporter'`.
 * Metrics (prom-client) are in 'telemetry-gateway/exporter/metrics'. Nothing
 * here loads the gateway, nor the PostgreSQL client unless a postgres:// queue is opened.
 */
export { createExporter, type Exporter, type ExporterLogger, type ExporterOptions } from './create-exporter.js';
export { createRecorder, DEFAULT_MAX_EVENT_BYTES, type Recorder, type RecorderObserver, type RecorderOptions, type RecordRequest } from './recorder.js';
export { RecordError, type RecordErrorCode, type RecordParams } from './build-event.js';
export { createExportLoop, DEFAULT_SHUTDOWN_TIMEOUT_MS, type ExportLoop, type ExportLoopOptions, type FlushOptions } from './export-loop.js';
export { DEFAULT_BATCH_SIZE, type BatchOutcome, type ExportRunResult } from './export-run.js';
export type { ExportObserver } from './export-observer.js';
export { ExportError, type ExportErrorCode } from './export-error.js';
export { parseExportMode, type ExportMode } from './export-mode.js';
export type { ExporterIdentity } from './exporter-identity.js';
export { QueueFullError, type EventQueue, type FailedEvent, type QueueLimits, type QueueStats } from './queue.js';
export { parseAllowlistLine as parseAllowlistEntry, parseAllowlistText, formatAllowlistEntry } from './allowlist-text.js';
export type { AllowlistEntry } from '../core/privacy/allowlist.js';
export { openQueue } from '../adapters/queues/open-queue.js';
export { openSqliteQueue, type SqliteQueueOptions } from '../adapters/queues/sqlite-queue.js';
export { grpcGatewayConnector, DEFAULT_EXPORT_TIMEOUT_MS, type ExportTransportOptions } from '../adapters/grpc/export-transport.js';
