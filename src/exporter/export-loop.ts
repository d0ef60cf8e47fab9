import { backoffDelayMs, type BackoffOptions } from './backoff.js';
import type { ExportObserver } from './export-observer.js';
import { runExport, type ExportRunOptions, type ExportRunResult } from './export-run.js';
import { traceExportRun } from './export-tracing.js';
import type { ConnectGateway, GatewayTransport } from './gateway-transport.js';
import type { EventQueue } from './queue.js';

export const DEFAULT_EXPORT_INTERVAL_MS = 5 * 60_000;
export const MAX_EXPORT_INTERVAL_MS = 60 * 60_000;
export const DEFAULT_RETENTION_MS = 24 * 60 * 60_000;
export const DEFAULT_RETENTION_CHECK_MS = 30 * 60_000;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

export interface ExportLoopOptions extends ExportRunOptions {
  queue: EventQueue;
  connect: ConnectGateway;
  /** Time between runs. Default 5 min, at most 1 h. */
  intervalMs?: number;
  /** After a failed run; the ceiling never exceeds the interval. A permanent refusal waits the ceiling. */
  backoff?: Partial<BackoffOptions>;
  /** How long exported (and failed) rows are kept for inspection. Default 24 h. */
  retentionMs?: number;
  retentionCheckMs?: number;
  observer?: ExportObserver;
  /** Daemons keep the process alive with their timers; embedded exporters must not (the default). */
  keepProcessAlive?: boolean;
}

export interface FlushOptions {
  /** Cancel the run (calls in flight end CANCELLED; acknowledged events stay marked) after this long. */
  timeoutMs?: number;
}

export interface ExportLoop {
  /** One run now, on a fresh connection (what `export --once` does); waits for a run in progress first. */
  runOnce(): Promise<ExportRunResult>;
  /** Sends everything pending now (one run, after any in progress), within the deadline if given. */
  forceFlush(options?: FlushOptions): Promise<ExportRunResult>;
  /** Runs every interval (sooner after a failure, with backoff) until shut down. Calling it again does nothing. */
  start(): void;
  /**
   * Stops scheduling, then flushes what is pending within `timeoutMs` (default
   * 10 s; a run past it is cancelled). No timer is left behind. Idempotent:
   * every call returns the same promise.
   */
  shutdown(options?: FlushOptions): Promise<ExportRunResult>;
  /** shutdown() with the default deadline. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const SHUT_DOWN: ExportRunResult = { sent: 0, acknowledged: 0, failed: 0, batches: 0, error: 'the exporter is shut down', errorCode: 'CANCELLED', permanent: false };

/**
 * The export schedule (BEHAVIOR.md 5.3-5.4): a run every interval on a fresh
 * connection, so streams spread over gateway replicas and no idle connection
 * needs keepalives between runs; failed runs retried with backoff; exported
 * rows deleted after the retention period. Runs never overlap.
 */
export function createExportLoop(options: ExportLoopOptions): ExportLoop {
  const intervalMs = options.intervalMs ?? DEFAULT_EXPORT_INTERVAL_MS;
  if (intervalMs <= 0 || intervalMs > MAX_EXPORT_INTERVAL_MS) {
    throw new Error(`export interval must be more than 0 and at most 1 h, got ${intervalMs} ms`);
  }
  const backoff: BackoffOptions = {
    initialMs: options.backoff?.initialMs ?? Math.min(1000, intervalMs),
    maxMs: Math.min(options.backoff?.maxMs ?? intervalMs, intervalMs),
  };
  const observer = options.observer ?? {};
  const now = options.now ?? Date.now;
  const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;

  let started = false;
  let stopping = false;
  let shutdownPromise: Promise<ExportRunResult> | undefined;
  let tail: Promise<unknown> = Promise.resolve();
  let current: GatewayTransport | undefined;
  let exportTimer: NodeJS.Timeout | undefined;
  let retentionTimer: NodeJS.Timeout | undefined;
  let failures = 0;

  const execute = async (): Promise<{ result: ExportRunResult; durationMs: number }> => {
    const startedAt = performance.now();
    observer.runStarted?.();
    let result: ExportRunResult;
    try {
      if (options.exportMode?.kind === 'disabled') return { result: { sent: 0, acknowledged: 0, failed: 0, batches: 0 }, durationMs: 0 };
      current = options.connect();
      const transport = current;
      result = await traceExportRun(() => runExport(options.queue, transport, options, observer));
    } catch (error) {
      result = { sent: 0, acknowledged: 0, failed: 0, batches: 0, error: error instanceof Error ? error.message : String(error) };
    } finally {
      current?.close();
      current = undefined;
    }
    return { result, durationMs: performance.now() - startedAt };
  };

  /** Runs after whatever is running: never two at once on one queue. */
  const enqueueRun = (report: (result: ExportRunResult, durationMs: number) => void, skip: () => boolean): Promise<ExportRunResult> => {
    const run = tail.then(async () => {
      if (skip()) return SHUT_DOWN;
      const { result, durationMs } = await execute();
      report(result, durationMs);
      return result;
    });
    tail = run.catch(() => {});
    return run;
  };

  const withDeadline = (run: Promise<ExportRunResult>, timeoutMs: number | undefined, onTimeout: () => void): Promise<ExportRunResult> => {
    if (timeoutMs === undefined) return run;
    const timer = setTimeout(onTimeout, Math.max(0, timeoutMs));
    timer.unref();
    return run.finally(() => clearTimeout(timer));
  };

  const applyRetention = async (): Promise<void> => {
    try {
      observer.retentionApplied?.(await options.queue.deleteExportedBefore(now() - retentionMs));
    } catch {
      // The queue may be closing; the next check tries again.
    }
  };

  const schedule = (delayMs: number): void => {
    if (stopping) return;
    exportTimer = setTimeout(() => {
      exportTimer = undefined;
      void enqueueRun(
        (result, durationMs) => {
          failures = result.error === undefined ? 0 : failures + 1;
          const next = failures === 0 ? intervalMs : result.permanent ? backoff.maxMs : backoffDelayMs(failures, backoff);
          observer.runFinished?.(result, durationMs, stopping ? undefined : next);
          schedule(next);
        },
        () => stopping,
      );
    }, delayMs);
    if (!options.keepProcessAlive) exportTimer.unref();
  };

  const reportOnly = (result: ExportRunResult, durationMs: number): void => observer.runFinished?.(result, durationMs);

  const shutdown = (flush: FlushOptions = {}): Promise<ExportRunResult> => {
    shutdownPromise ??= (async () => {
      stopping = true;
      clearTimeout(exportTimer);
      clearInterval(retentionTimer);
      exportTimer = retentionTimer = undefined;
      let cancelled = false;
      const final = enqueueRun(reportOnly, () => cancelled);
      return withDeadline(final, flush.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS, () => {
        cancelled = true;
        current?.close();
      });
    })();
    return shutdownPromise;
  };

  return {
    runOnce() {
      if (stopping) return Promise.resolve(SHUT_DOWN);
      return enqueueRun(reportOnly, () => false);
    },
    forceFlush(flush = {}) {
      if (stopping) return shutdownPromise ?? Promise.resolve(SHUT_DOWN);
      let cancelled = false;
      return withDeadline(enqueueRun(reportOnly, () => cancelled), flush.timeoutMs, () => {
        cancelled = true;
        current?.close();
      });
    },
    start() {
      if (started || stopping) return;
      started = true;
      schedule(0);
      void applyRetention();
      retentionTimer = setInterval(() => void applyRetention(), options.retentionCheckMs ?? DEFAULT_RETENTION_CHECK_MS);
      if (!options.keepProcessAlive) retentionTimer.unref();
    },
    shutdown,
    async close() {
      await shutdown();
    },
    async [Symbol.asyncDispose]() {
      await shutdown();
    },
  };
}
