import type { Worker } from 'node:worker_threads';
import { retryable, type EventStore, type MaintenanceListener, type StoreHealth, type WriteOutcome } from '../../../core/store.js';
import { startWorker } from './start-worker.js';
import { packBatch, unpackOutcomes, type FromWorker, type SqliteWorkerData, type ToWorker } from './worker-protocol.js';

/**
 * Buffers kept for reuse: about as many as batches are in flight under load, and only ordinary
 * ones (a typical payload's batch takes ~300 KB), so a few huge batches leave nothing large behind.
 */
const SPARE_BUFFERS = 16;
const MAX_SPARE_BYTES = 1 << 20;

/**
 * The SQLite store on its own thread. better-sqlite3 is synchronous: on the
 * gateway's thread every insert and fsync would stall decoding and gRPC I/O.
 * Semantics are the SQLite store's (the worker runs it); this side only
 * forwards. Resolves once the database is open, or rejects with why not.
 */
export async function openSqliteWorkerStore(
  path: string,
  options: { maxEntriesPerCommit?: number; retentionMs?: number; retentionIntervalMs?: number; onMaintenance?: MaintenanceListener } = {},
): Promise<EventStore> {
  const { onMaintenance, ...settings } = options;
  const workerData: SqliteWorkerData = { path, ...settings };
  const worker = startWorker('sqlite-worker', { workerData });
  const waiting = new Map<number, (message: FromWorker) => void>();
  let nextId = 0;
  let exited: string | undefined;
  /**
   * Buffers that batches came back in, packed again by the next batches: under load, a new buffer
   * per batch, freed only when the garbage collector got to it, held tens of MB at the peak.
   */
  const spares: ArrayBuffer[] = [];

  await whenWorkerReady(worker);

  worker.on('message', (message: FromWorker) => {
    if (message.type === 'maintenance') onMaintenance?.(message.report);
    if (message.type === 'written' && spares.length < SPARE_BUFFERS && message.buffer.byteLength <= MAX_SPARE_BYTES) spares.push(message.buffer);
    if (!('id' in message)) return;
    const settle = waiting.get(message.id);
    waiting.delete(message.id);
    settle?.(message);
  });
  // A crashed writer thread fails what was in flight (retryable) and every later write.
  const fail = (reason: string): void => {
    exited ??= reason;
    for (const settle of waiting.values()) settle({ type: 'failed', reason });
    waiting.clear();
  };
  worker.on('error', (error) => fail(`SQLite thread failed: ${error.message}`));
  worker.on('exit', () => fail('store is closed'));

  const request = (message: ToWorker, transfer: ArrayBuffer[] = []): Promise<FromWorker> =>
    new Promise((resolve) => {
      waiting.set(message.id, resolve);
      worker.postMessage(message, transfer);
    });

  let closing: Promise<void> | undefined;
  return {
    description: `sqlite:${path}`,
    async write(batch): Promise<WriteOutcome[]> {
      if (exited !== undefined || closing) return batch.entries.map(() => retryable(exited ?? 'store is closed'));
      if (batch.entries.length === 0) return [];
      const packed = packBatch(batch, spares.pop());
      const reply = await request({ type: 'write', id: nextId++, batch: packed }, [packed.buffer]);
      return reply.type === 'written' ? unpackOutcomes(reply.outcomes) : batch.entries.map(() => retryable(reply.type === 'failed' ? reply.reason : 'no answer'));
    },
    async health(): Promise<StoreHealth> {
      if (exited !== undefined || closing) return { ok: false, reason: exited ?? 'store is closed' };
      const reply = await request({ type: 'health', id: nextId++ });
      return reply.type === 'health' ? reply.health : { ok: false, reason: reply.type === 'failed' ? reply.reason : 'no answer' };
    },
    close() {
      closing ??= exited !== undefined
        ? Promise.resolve()
        : request({ type: 'close', id: nextId++ }).then(async () => {
            await worker.terminate();
          });
      return closing;
    },
  };
}

/**
 * Resolves when the writer thread reports the database open; rejects with its
 * reason when it could not open it, and with the exit code when it ended
 * without a word (a crash in its startup, process.exit), which would otherwise
 * leave the open waiting forever.
 */
export function whenWorkerReady(worker: Worker): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const settle = (outcome: Error | undefined): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (outcome === undefined) resolve();
      else reject(outcome);
    };
    const onMessage = (message: FromWorker): void =>
      settle(message.type === 'ready' ? undefined : new Error(message.type === 'failed' ? message.reason : `unexpected ${message.type} from the SQLite thread`));
    const onError = (error: Error): void => settle(error);
    const onExit = (code: number): void => settle(new Error(`the SQLite thread exited with code ${code} before opening the database`));
    worker.on('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
  });
}
