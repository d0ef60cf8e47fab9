import { backoffDelayMs, type BackoffOptions } from './backoff.js';
import { NOOP_EXPORT_OBSERVER, type ExportObserver } from './export-observer.js';
import { runExport, type ExportRunOptions, type ExportRunResult } from './export-run.js';
import type { ConnectGateway, GatewayTransport } from './gateway-transport.js';
import type { EventQueue } from './queue.js';

export const DEFAULT_EXPORT_INTERVAL_MS = 5 * 60_000;
export const MAX_EXPORT_INTERVAL_MS = 60 * 60_000;
export const DEFAULT_RETENTION_MS = 24 * 60 * 60_000;
export const DEFAULT_RETENTION_CHECK_MS = 30 * 60_000;

export interface ExportLoopOptions extends ExportRunOptions {
  queue: EventQueue;
  connect: ConnectGateway;
  intervalMs?: number;
  /** After a failed run; the ceiling never exceeds the interval. */
  backoff?: Partial<BackoffOptions>;
  /** How long exported rows are kept for inspection. */
  retentionMs?: number;
  retentionCheckMs?: number;
  observer?: ExportObserver;
  /** Daemons keep the process alive with their timers; embedded exporters must not. */
  keepProcessAlive?: boolean;
}

export interface ExportLoop {
  /** One run now, on a fresh connection (what `export --once` does). */
  runOnce(): Promise<ExportRunResult>;
  /** Runs every interval (sooner after a failure, with backoff) until closed. */
  start(): void;
  /** Stops scheduling and waits for a run in progress. Idempotent. */
  close(): Promise<void>;
}

/**
 * The export schedule (BEHAVIOR.md 5.3-5.4): a run every interval on a fresh
 * connection, so streams spread over gateway replicas and no idle connection
 * needs keepalives between runs; failed runs retried with backoff; exported
 * rows deleted after the retention period.
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
  const observer = options.observer ?? NOOP_EXPORT_OBSERVER;
  const now = options.now ?? Date.now;
  const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;

  let closed = false;
  let running: Promise<unknown> = Promise.resolve();
  let exportTimer: NodeJS.Timeout | undefined;
  let retentionTimer: NodeJS.Timeout | undefined;
  let failures = 0;

  const runOnce = async (): Promise<ExportRunResult> => {
    const started = performance.now();
    let result: ExportRunResult;
    let transport: GatewayTransport | undefined;
    try {
      transport = options.connect();
      result = await runExport(options.queue, transport, options);
    } catch (error) {
      result = { sent: 0, acknowledged: 0, batches: 0, error: error instanceof Error ? error.message : String(error) };
    } finally {
      transport?.close();
    }
    observer.runFinished(result, performance.now() - started);
    return result;
  };

  const applyRetention = async (): Promise<void> => {
    try {
      observer.retentionApplied(await options.queue.deleteExportedBefore(now() - retentionMs));
    } catch {
      // The queue may be closing; the next check tries again.
    }
  };

  const schedule = (delayMs: number): void => {
    if (closed) return;
    exportTimer = setTimeout(() => {
      const run = runOnce().then((result) => {
        failures = result.error === undefined ? 0 : failures + 1;
        schedule(failures === 0 ? intervalMs : backoffDelayMs(failures, backoff));
      });
      running = run;
    }, delayMs);
    if (!options.keepProcessAlive) exportTimer.unref();
  };

  return {
    runOnce() {
      const run = runOnce();
      running = run;
      return run;
    },
    start() {
      schedule(0);
      void applyRetention();
      retentionTimer = setInterval(() => void applyRetention(), options.retentionCheckMs ?? DEFAULT_RETENTION_CHECK_MS);
      if (!options.keepProcessAlive) retentionTimer.unref();
    },
    async close() {
      closed = true;
      clearTimeout(exportTimer);
      clearInterval(retentionTimer);
      await running.catch(() => {});
    },
  };
}
