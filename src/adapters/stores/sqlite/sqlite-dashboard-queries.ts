import type { DashboardQueries } from '../../../core/dashboard-queries.js';
import type { DashboardReply, DashboardRequest } from './sqlite-dashboard-protocol.js';
import { startWorker } from './start-worker.js';

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/**
 * Dashboard aggregates over a SQLite store file, answered by a reader thread
 * with its own read-only connection (WAL lets it read while the gateway writes).
 * The file must exist: open this after the store.
 */
export function openSqliteDashboardQueries(path: string): DashboardQueries {
  const worker = startWorker('sqlite-dashboard-worker', { workerData: { path } });
  // An idle reader must not keep the process alive; one with a question pending must.
  worker.unref();
  const waiting = new Map<number, (reply: DashboardReply) => void>();
  let nextId = 0;
  let failure: string | undefined;
  const fail = (reason: string): void => {
    failure ??= reason;
    for (const settle of waiting.values()) settle({ id: -1, ok: false, error: reason });
    waiting.clear();
    worker.unref();
  };
  worker.on('message', (reply: DashboardReply) => {
    const settle = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (waiting.size === 0) worker.unref();
    settle?.(reply);
  });
  worker.on('error', (error: unknown) => fail(`dashboard reader failed: ${error instanceof Error ? error.message : String(error)}`));
  worker.on('exit', () => fail('dashboard reader is closed'));

  const ask = <T>(request: WithoutId<DashboardRequest>): Promise<T> =>
    new Promise((resolve, reject) => {
      if (failure !== undefined) return reject(new Error(failure));
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
        if (failure !== undefined) return resolve();
        worker.once('exit', () => resolve());
        worker.ref(); // until it has exited
        worker.postMessage('close');
      });
      return closing;
    },
  };
}
