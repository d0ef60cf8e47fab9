import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteStore, type SqliteStore } from './sqlite-store.js';
import { packOutcomes, unpackBatch, type FromWorker, type SqliteWorkerData, type ToWorker } from './worker-protocol.js';

/**
 * The SQLite writer thread: the same store (group commit, fsync per commit),
 * off the gateway's event loop, which keeps decoding while a commit runs.
 */
const port = parentPort!;
const send = (message: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);
const { path, ...options } = workerData as SqliteWorkerData;

let store: SqliteStore;
try {
  store = openSqliteStore(path, { ...options, backgroundCheckpoints: true, onMaintenance: (report) => send({ type: 'maintenance', report }) });
  send({ type: 'ready' });
} catch (error) {
  send({ type: 'failed', reason: error instanceof Error ? error.message : String(error) });
  process.exit(0);
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'write':
      // Once written, nothing refers to the batch's bytes: the buffer goes back to be packed again.
      void store
        .write(unpackBatch(message.batch))
        .then((outcomes) => send({ type: 'written', id: message.id, outcomes: packOutcomes(outcomes), buffer: message.batch.buffer }, [message.batch.buffer]));
      break;
    case 'health':
      void store.health().then((health) => send({ type: 'health', id: message.id, health }));
      break;
    case 'close':
      void store.close().then(() => {
        send({ type: 'closed', id: message.id });
        port.close();
      });
      break;
  }
});
