import type { BatchOutcome, ExportRunResult } from './export-run.js';

/** What the export loop reports, for metrics and logs, without knowing either. Every method is optional. */
export interface ExportObserver {
  /** A run starts (on a fresh connection). */
  runStarted?(): void;
  /**
   * A run ended. `nextRunInMs` is when the loop runs again (after the interval,
   * or sooner with back-off after a failure); undefined when nothing is scheduled.
   */
  runFinished?(result: ExportRunResult, durationMs: number, nextRunInMs?: number): void;
  /** One batch (stream) is done: per-batch numbers, as they happen. */
  batchFinished?(outcome: BatchOutcome): void;
  /** Events set aside as failed (poison), with why. */
  eventsFailed?(events: readonly { id: string; reason: string }[]): void;
  retentionApplied?(deleted: number): void;
}
