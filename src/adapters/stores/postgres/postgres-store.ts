import pg from 'pg';
import { retryable, type EventReader, type EventStore, type StoreHealth, type WriteBatch, type WriteOutcome } from '../../../core/store.js';
import { createCommitQueue } from './commit-queue.js';
import { insertGroup } from './insert-group.js';
import { describePgError } from './pg-errors.js';
import { parsePostgresUrl } from './postgres-options.js';
import { postgresReads } from './postgres-reader.js';
import { migrate } from './postgres-schema.js';
import { createRecordRenderer } from './record-renderer.js';

export type PostgresStore = EventStore & EventReader;

/**
 * A store in PostgreSQL, shared by any number of gateway replicas.
 *
 * Durability: an entry is acknowledged once the statement that inserted it has
 * committed (synchronous_commit as the server is configured; `on` by default
 * means the WAL is flushed). Dedup: the event id is the primary key, so a
 * re-sent id, from this replica or another, is reported as a duplicate.
 * Failures (lost connection, server down, timeout) make the entries
 * retryable: the instance re-sends them, and the primary key absorbs any that
 * had in fact committed.
 */
export interface PostgresStoreOptions {
  /** Drop event partitions whose whole day is older than this (postgres-partitions.ts). Undefined: keep all. */
  retentionMs?: number;
}

export async function openPostgresStore(url: string, storeOptions: PostgresStoreOptions = {}): Promise<PostgresStore> {
  void storeOptions;
  const options = parsePostgresUrl(url);
  const pool = new pg.Pool(options.pool);
  // An idle connection that dies (server restart, pg_terminate_backend) is reported here; the pool
  // has already dropped it and the next query opens a new one. Without a listener Node would crash.
  pool.on('error', () => {});
  try {
    await migrate(pool, options.schema);
  } catch (error) {
    await pool.end();
    throw new Error(`postgres store ${options.description}: ${describePgError(error)}`);
  }

  const render = options.record === 'jsonb' ? createRecordRenderer() : () => undefined;
  const queue = createCommitQueue({
    commit: (group) => insertGroup(pool, render, group),
    maxConcurrentCommits: options.pool.max ?? 1,
    maxEntriesPerCommit: options.maxEntriesPerCommit,
  });
  let closed = false;
  let closing: Promise<void> | undefined;

  return {
    description: options.description,
    ...postgresReads(pool),
    write(batch: WriteBatch): Promise<WriteOutcome[]> {
      if (closed) return Promise.resolve(batch.entries.map(() => retryable('store is closed')));
      return queue.write(batch);
    },
    async health(): Promise<StoreHealth> {
      if (closed) return { ok: false, reason: 'store is closed' };
      const started = performance.now();
      try {
        // A standby (after a failover, say) answers queries but refuses writes.
        const { rows } = await pool.query<{ writable: boolean }>('SELECT NOT pg_is_in_recovery() AS writable');
        if (rows[0]?.writable !== true) return { ok: false, reason: 'server is a read-only standby' };
        return { ok: true, latencyMs: performance.now() - started };
      } catch (error) {
        return { ok: false, reason: describePgError(error) };
      }
    },
    close(): Promise<void> {
      closed = true;
      return (closing ??= queue.drain().then(() => pool.end()));
    },
  };
}
