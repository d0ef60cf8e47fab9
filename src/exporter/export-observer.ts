import type { ExportRunResult } from './export-run.js';

/** What the export loop reports, for metrics and logs, without knowing either. */
export interface ExportObserver {
  runFinished(result: ExportRunResult, durationMs: number): void;
  retentionApplied(deleted: number): void;
}

export const NOOP_EXPORT_OBSERVER: ExportObserver = { runFinished() {}, retentionApplied() {} };
