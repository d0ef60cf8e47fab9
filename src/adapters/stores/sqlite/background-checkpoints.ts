import type { Worker } from 'node:worker_threads';
import type { MaintenanceListener } from '../../../core/store.js';
import type { CheckpointerData } from './sqlite-checkpointer.js';
import { startWorker } from './start-worker.js';

export interface BackgroundCheckpoints {
  /** Ends the thread (and any restart still to come). */
  stop(): Promise<void>;
}

/**
 * Keeps the checkpointer thread (sqlite-checkpointer.ts) running for a store
 * file. Without it the store stays correct, its commits checkpoint by
 * themselves, only their latency is worse, so a thread that fails is
 * reported (the gateway counts and logs it as a failed maintenance pass) and
 * started again after `restartMs`, as retention retries at its next pass.
 */
export function runBackgroundCheckpoints(
  path: string,
  options: { intervalMs: number; restartMs: number; report?: MaintenanceListener },
): BackgroundCheckpoints {
  let worker: Worker | undefined;
  let restart: NodeJS.Timeout | undefined;
  let stopped = false;
  const start = (): void => {
    restart = undefined;
    const workerData: CheckpointerData = { path, intervalMs: options.intervalMs };
    const thread = startWorker('sqlite-checkpointer', { workerData });
    worker = thread;
    thread.on('error', (error) => {
      if (stopped || worker !== thread) return;
      worker = undefined;
      options.report?.({ ok: false, reason: `sqlite checkpointer thread failed (commits checkpoint by themselves meanwhile): ${error.message}` });
      restart = setTimeout(start, options.restartMs);
      restart.unref();
    });
  };
  start();
  return {
    async stop() {
      stopped = true;
      clearTimeout(restart);
      await worker?.terminate();
    },
  };
}
