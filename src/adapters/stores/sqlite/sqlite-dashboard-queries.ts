import type { Worker } from 'node:worker_threads';
import type { DashboardQueries } from '../../../core/dashboard-queries.js';
import type { DashboardReply, DashboardRequest } from './sqlite-dashboard-protocol.js';
import { startWorker } from './start-worker.js';

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/**
 * Dashboard aggregates over a SQLite store file, answered by a reader thread
 * with its own read-only connection (WAL lets it read while the gateway writes).
 * The file must exist: open this after the store. The thread starts at the first
 * question: a gateway whose dashboard nobody opens does not carry its isolate
 * and its connection's page cache (~20 MB).
 */
export function openSqliteDashboardQueries(path: string): DashboardQueries {
  const waiting = new Map<number, (reply: DashboardReply) => void>();
  let nextId = 0;
  let failure: string | undefined;
  let worker: Worker | undefined;
  const fail = (reason: string): void => {
    failure ??= reason;
    for (const settle of waiting.values()) settle({ id: -1, ok: false, error: reason });
    waiting.clear();
    worker?.unref();
  };
  const start = (): Worker => {
    const started = startWorker('sqlite-dashboard-worker', { workerData: { path } });
    started.on('message', (reply: DashboardReply) => {
      const settle = waiting.get(reply.id);
      waiting.delete(reply.id);
      // An idle reader must not keep the process alive; one with a question pending must.
      if (waiting.size === 0) started.unref();
      settle?.(reply);
    });
    started.on('error', (error: unknown) => fail(`dashboard reader failed: ${error instanceof Error ? error.message : String(error)}`));
    started.on('exit', () => fail('dashboard reader is closed'));
    return started;
  };

  const ask = <T>(request: WithoutId<DashboardRequest>): Promise<T> =>
    new Promise((resolve, reject) => {
      if (failure !== undefined) return reject(new Error(failure));
      worker ??= start();
      const id = nextId++;
      waiting.set(id, (reply) => (reply.ok ? resolve(reply.value as T) : reject(new Error(reply.error))));
      worker.ref();
      worker.postMessage({ ...request, id });
    });

  let closing: Promise<void> | undefined;
  return {
    minuteSummaries: (fromMs, toMs) => ask({ method: 'minuteSummaries', fromMs, toMs }),
    instances: (sinceMs) => ask({ method: 'instances', sinceMs }),
    rejected: (filter) => ask({ method: 'rejected', filter }),
    rejectedEvent: (seq) => ask({ method: 'rejectedEvent', seq }),
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (worker === undefined) failure ??= 'dashboard reader is closed';
        if (worker === undefined || failure !== undefined) return resolve();
        worker.once('exit', () => resolve());
        worker.ref(); // until it has exited
        worker.postMessage('close');
      });
      return closing;
    },
  };
}
