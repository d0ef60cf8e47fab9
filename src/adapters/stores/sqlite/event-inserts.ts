import type { Database, Statement } from 'better-sqlite3';
import type { EventEntry } from '../../../core/store.js';

/** What the rows of one batch share: its sender and when it arrived. */
export interface BatchColumns {
  metadataId: number;
  publisher: string;
  receivedMs: number;
  requestId: string | null;
}

/**
 * Events rows go in multi-row INSERTs of up to this many (9 parameters each, far below SQLite's
 * 32,766). A statement per row spent more on binding, stepping and resetting it than on the row:
 * 500-byte events in 4,096-row transactions took 3.0 µs of CPU a row one by one, 2.5 in 64s.
 */
export const EVENTS_PER_INSERT = 64;
const COLUMNS = 9;

/**
 * Inserts events rows several per statement and says which seq each got. SQLite gives each new
 * row max(seq) + 1 (INTEGER PRIMARY KEY, and the newest row is never deleted: sqlite-retention.ts),
 * so the rows of one statement get consecutive seqs, the last of which it reports.
 */
export function createEventInserts(db: Database): (entries: readonly EventEntry[], batch: BatchColumns) => number {
  /**
   * A statement and its parameter array per row count: full chunks, and the rest of each batch. At most
   * EVENTS_PER_INSERT of them: all 64 take ~2.5 MB.
   */
  const bySize = new Map<number, { statement: Statement; args: unknown[] }>();
  const prepared = (rows: number): { statement: Statement; args: unknown[] } => {
    let found = bySize.get(rows);
    if (found === undefined) {
      const statement = db.prepare(
        `INSERT INTO events (event_id, metadata_id, feature, action, publisher, event_ms, received_ms, event, request_id)
         VALUES ${Array(rows).fill('(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      );
      bySize.set(rows, (found = { statement, args: new Array<unknown>(COLUMNS * rows) }));
    }
    return found;
  };

  /** Inserts `entries` (at most EVENTS_PER_INSERT) in this order; returns the seq of the first. */
  return (entries, batch) => {
    const { statement, args } = prepared(entries.length);
    for (let i = 0, at = 0; i < entries.length; i++, at += COLUMNS) {
      const entry = entries[i]!;
      args[at] = entry.id;
      args[at + 1] = batch.metadataId;
      args[at + 2] = entry.feature;
      args[at + 3] = entry.action;
      args[at + 4] = batch.publisher;
      args[at + 5] = entry.timestampMs;
      args[at + 6] = batch.receivedMs;
      args[at + 7] = entry.bytes;
      args[at + 8] = batch.requestId;
    }
    const last = Number(statement.run(args).lastInsertRowid);
    args.fill(undefined); // the entries' bytes are the batch's buffer: not held past the statement
    return last - entries.length + 1;
  };
}
