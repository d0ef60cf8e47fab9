import pg from 'pg';
import { retryable, type EventReader, type EventStore, type MaintenanceListener, type StoreHealth, type WriteBatch, type WriteOutcome } from '../../../core/store.js';
import { createCommitQueue } from './commit-queue.js';
import { insertGroup } from './insert-group.js';
import { describePgError } from './pg-errors.js';
import { parsePostgresUrl } from './postgres-options.js';
import { postgresReads } from './postgres-reader.js';
import { applyRetention, ensurePartitions, type RetentionResult } from './postgres-partitions.js';
import { migrate } from './postgres-schema.js';
import { createRecordRenderer } from './record-renderer.js';

export type PostgresStore = EventStore & EventReader & {
  /**
   * One maintenance pass, as the background timer runs it: creates the daily
   * partitions due, then (with a retention) drops and deletes what is past it.
   * `nowMs` stands in for the clock (tests).
   */
  maintain(options?: { nowMs?: number }): Promise<MaintenanceResult>;
};

export interface MaintenanceResult {
  createdPartitions: string[];
  /** Undefined without a retention. */
  retention: RetentionResult | undefined;
}

/** How often the background pass runs (it also runs at open). */
const MAINTENANCE_INTERVAL_MS = 3_600_000;

/**
 * A store in PostgreSQL, shared by any number of gateway replicas.
 *
 * Durability: an entry is acknowledged once the statement that inserted it has
 * committed (synchronous_commit as the server is configured; `on` by default
 * means the WAL is flushed). Dedup: (event time, event id) is the primary key
 * (a re-sent event carries its original time), so a re-sent id, from this
 * replica or another, is reported as a duplicate.
 * Failures (lost connection, server down, timeout) make the entries
 * retryable: the instance re-sends them, and the primary key absorbs any that
 * had in fact committed.
 */
export interface PostgresStoreOptions {
  /** Drop event partitions whose whole day is older than this (postgres-partitions.ts). Undefined: keep all. */
  retentionMs?: number;
  /** Between background maintenance passes (partitions ahead, retention); default hourly. */
  maintenanceIntervalMs?: number;
  /** Told what each background pass deleted and dropped, or why it failed. */
  onMaintenance?: MaintenanceListener;
}

export async function openPostgresStore(url: string, storeOptions: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const options = parsePostgresUrl(url);
  const pool = new pg.Pool(options.pool);
  // An idle connection that dies (server restart, pg_terminate_backend) is reported here; the pool
  // has already dropped it and the next query opens a new one. Without a listener Node would crash.
  pool.on('error', () => {});
  try {
    await migrate(pool, options.schema);
  } catch (error) {
    await pool.end();
    throw new Error(`postgres store ${options.description}: ${describePgError(error)}`, { cause: error });
  }
  // Today's partition and the next days' exist before the first write. Best effort: should it fail
  // (a lock not granted in time), events land in the default partition and the next pass retries.
  await ensurePartitions(pool, { nowMs: Date.now(), retentionMs: storeOptions.retentionMs, schema: options.schema }).catch(() => undefined);

  const render = options.record === 'jsonb' ? createRecordRenderer() : () => false;
  const queue = createCommitQueue({
    commit: (group) => insertGroup(pool, render, group),
    maxConcurrentCommits: options.pool.max ?? 1,
    maxEntriesPerCommit: options.maxEntriesPerCommit,
  });
  let closed = false;
  let closing: Promise<void> | undefined;

  const maintain = async (nowMs = Date.now()): Promise<MaintenanceResult> => {
    const createdPartitions = await ensurePartitions(pool, { nowMs, retentionMs: storeOptions.retentionMs, schema: options.schema });
    const retention = storeOptions.retentionMs === undefined
      ? undefined
      : await applyRetention(pool, { nowMs, retentionMs: storeOptions.retentionMs, isClosed: () => closed });
    return { createdPartitions, retention };
  };
  // One pass at a time; a failed pass (server down, a lock not granted in time) is retried at the next tick.
  let running: Promise<unknown> | undefined;
  const report = storeOptions.onMaintenance ?? (() => {});
  const tick = (): void => {
    if (closed || running) return;
    running = maintain()
      .then(({ retention: r }) =>
        report({ ok: true, deletedEvents: r?.deletedEvents ?? 0, deletedRejected: r?.deletedRejected ?? 0, droppedPartitions: r?.droppedPartitions.length ?? 0 }),
      )
      .catch((error: unknown) => report({ ok: false, reason: `postgres maintenance: ${describePgError(error)}` }))
      .finally(() => (running = undefined));
  };
  const timer = setInterval(tick, storeOptions.maintenanceIntervalMs ?? MAINTENANCE_INTERVAL_MS);
  timer.unref();
  if (storeOptions.retentionMs !== undefined) tick();

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
    maintain: (maintainOptions = {}) => maintain(maintainOptions.nowMs),
    close(): Promise<void> {
      closed = true;
      clearInterval(timer);
      return (closing ??= queue.drain().then(() => running).then(() => pool.end()));
    },
  };
}
