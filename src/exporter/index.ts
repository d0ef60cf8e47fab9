/**
 * The exporter as a library: what an instance embeds to record events and
 * send them to a telemetry gateway. `import { ... } from 'telemetry-gateway/exporter'`.
 */
export { createRecorder, type Recorder, type RecorderOptions, type RecordRequest } from './recorder.js';
export { RecordError, type RecordParams } from './build-event.js';
export { createExportLoop, type ExportLoop, type ExportLoopOptions } from './export-loop.js';
export type { ExportRunResult } from './export-run.js';
export type { ExportObserver } from './export-observer.js';
export { parseExportMode, type ExportMode } from './export-mode.js';
export type { ExporterIdentity } from './exporter-identity.js';
export type { EventQueue, QueueStats } from './queue.js';
export { parseAllowlistEntry, type AllowlistEntry } from '../core/privacy/allowlist.js';
export { openSqliteQueue } from '../adapters/queues/sqlite-queue.js';
export { grpcGatewayConnector, type ExportTransportOptions } from '../adapters/grpc/export-transport.js';
