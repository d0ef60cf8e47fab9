import { workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';

/**
 * The checkpointer thread: copies committed WAL pages into the database file
 * on a connection of its own, so the writer's commits do not.
 *
 * SQLite checkpoints after a commit on the committing connection once the WAL
 * holds wal_autocheckpoint pages: every ~4 MB the writer copied them and
 * fsynced the database file inside a commit, which then took tens of
 * milliseconds, and the payloads waiting on it made the ack latency's tail.
 * A PASSIVE checkpoint here waits for no one and blocks no writer. The writer
 * keeps a larger wal_autocheckpoint as the bound under load that never
 * pauses (sqlite-store.ts): the WAL restarts from its start only when a write
 * begins with every page copied. The store ends this thread (terminate) when
 * it closes.
 */
const { path, intervalMs } = workerData as CheckpointerData;

export interface CheckpointerData {
  path: string;
  intervalMs: number;
}

const db = openDatabase();

function openDatabase(): BetterSqlite3.Database {
  try {
    return new BetterSqlite3(path, { fileMustExist: true });
  } catch (error) {
    // better-sqlite3's SqliteError reaches the parent thread as `{ code }` alone: a plain Error keeps the message.
    const { message, code } = error as { message?: string; code?: string };
    throw new Error(code ? `${message} (${code})` : String(message ?? error));
  }
}
setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy, or the file is being closed: the next tick (or the writer's own checkpoint) catches up.
  }
}, intervalMs);

