import type { Pool, PoolClient } from 'pg';
import { inTransaction } from './pg-transaction.js';

/**
 * `events` is partitioned by event time (RANGE on `event_time`), one partition
 * per UTC day (`events_pYYYYMMDD`), so retention drops a whole day with a DROP
 * TABLE instead of deleting rows one by one (no dead tuples, no vacuum, no
 * index bloat), and a day's inserts touch only that day's (small, hot) indexes.
 *
 * Which partition an event lands in:
 * - the daily partition of its day; daily partitions are created ahead (today
 *   .. today + DAYS_AHEAD) and a little behind (DAYS_BEHIND, for instances
 *   sending a backlog), at open and by the hourly maintenance;
 * - `events_legacy`, the table of a store migrated from the unpartitioned
 *   layout, attached as it was for everything before `legacy_events_until_ms`;
 * - otherwise `events_default`, the DEFAULT partition: events with a timestamp
 *   far in the past or the future. Partitions are never created from the insert
 *   path: an insert never fails or waits for DDL, and a client sending events
 *   with random timestamps cannot make the gateway create a table per day it
 *   names. When a daily partition is created for a day the default partition
 *   already holds rows of, they are moved into it in the same transaction.
 *
 * Dedup stays exact: the key is (event_time, event_id) in every partition, and
 * a re-sent event carries its original timestamp, so it is routed to the
 * partition holding the first copy (moved rows keep their key).
 *
 * Retention (`applyRetention`): daily partitions whose whole day is older than
 * now - retention are dropped (DROP TABLE: DETACH CONCURRENTLY is not allowed
 * while a DEFAULT partition exists, and the drop only needs a brief lock, bounded
 * here by lock_timeout); the legacy partition once its whole range is past;
 * rows of the default partition, rejected events (by received time) and the
 * dashboard's minute rollups (event_minutes) are deleted in small batches.
 */
export const DAY_MS = 86_400_000;
export const LEGACY_PARTITION = 'events_legacy';
export const DEFAULT_PARTITION = 'events_default';
const DAILY_PREFIX = 'events_p';
/** Daily partitions that exist ahead of today (clock skew, events that arrive just after midnight). */
const DAYS_AHEAD = 3;
/** Daily partitions created for days already past (late batches); older events go to the default partition. */
const DAYS_BEHIND = 2;
/** Rows per DELETE statement of the default partition and of rejected events. */
const DELETE_BATCH = 5000;
/**
 * A drop or attach waits this long for its lock, then gives up until the next pass: while a
 * DROP waits for its ACCESS EXCLUSIVE lock on `events` (behind a long query, say), inserts
 * queue behind it, so the wait is kept short.
 */
const LOCK_TIMEOUT = '1s';
/** Second key of the advisory lock that serialises partition DDL across replicas (first: LOCK_CLASS). */
const PARTITION_LOCK_CLASS = 0x7467_7732;
/** Meta key: events before this time (ms) are in the legacy partition. */
export const LEGACY_UNTIL_KEY = 'legacy_events_until_ms';

export function dayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

export function partitionName(dayMs: number): string {
  return `${DAILY_PREFIX}${new Date(dayMs).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/** The day a daily partition's name stands for, or undefined for any other table. */
function partitionDay(name: string): number | undefined {
  const match = /^events_p(\d{4})(\d{2})(\d{2})$/.exec(name);
  return match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : undefined;
}

/** A timestamptz literal independent of the session's TimeZone. */
export function timeLiteral(ms: number): string {
  return `'${new Date(ms).toISOString()}'`;
}

export interface PartitionState {
  /** Daily partitions by day start (ms). */
  daily: Map<number, string>;
  hasDefault: boolean;
  hasLegacy: boolean;
  /** Upper bound of the legacy partition (ms), when there is one. */
  legacyUntilMs: number | undefined;
}

export async function readPartitions(db: Pool | PoolClient): Promise<PartitionState> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass`,
  );
  const daily = new Map<number, string>();
  for (const { name } of rows) {
    const day = partitionDay(name);
    if (day !== undefined) daily.set(day, name);
  }
  const meta = await db.query<{ value: string }>('SELECT value FROM telemetry_gateway_meta WHERE key = $1', [LEGACY_UNTIL_KEY]);
  const hasLegacy = rows.some((r) => r.name === LEGACY_PARTITION);
  return {
    daily,
    hasDefault: rows.some((r) => r.name === DEFAULT_PARTITION),
    hasLegacy,
    legacyUntilMs: hasLegacy && meta.rows[0] ? Number(meta.rows[0].value) : undefined,
  };
}

export interface EnsureOptions {
  nowMs: number;
  /** Days entirely before now - retention get no partition (it would be dropped at once). */
  retentionMs?: number;
  schema: string | undefined;
}

/** Creates the daily partitions of [today - DAYS_BEHIND, today + DAYS_AHEAD] that are missing; returns their names. */
export async function ensurePartitions(pool: Pool, options: EnsureOptions): Promise<string[]> {
  const state = await readPartitions(pool);
  const today = dayStart(options.nowMs);
  let first = today - DAYS_BEHIND * DAY_MS;
  if (state.legacyUntilMs !== undefined) first = Math.max(first, dayStart(state.legacyUntilMs + DAY_MS - 1));
  if (options.retentionMs !== undefined) first = Math.max(first, dayStart(options.nowMs - options.retentionMs));
  const created: string[] = [];
  for (let day = first; day <= today + DAYS_AHEAD * DAY_MS; day += DAY_MS) {
    if (state.daily.has(day)) continue;
    if (await createDailyPartition(pool, day, options.schema)) created.push(partitionName(day));
  }
  return created;
}

/**
 * One day's partition, created standalone and then attached (ATTACH needs only
 * SHARE UPDATE EXCLUSIVE on `events`, so inserts go on), with the rows the
 * default partition holds for that day moved into it first, in one transaction.
 * False when another replica made it first.
 */
async function createDailyPartition(pool: Pool, dayMs: number, schema: string | undefined): Promise<boolean> {
  const name = partitionName(dayMs);
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [PARTITION_LOCK_CLASS, schema ?? '']);
    const exists = await client.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [name]);
    if (exists.rows[0]!.found) return false;
    await client.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
    const from = timeLiteral(dayMs);
    const to = timeLiteral(dayMs + DAY_MS);
    await client.query(`CREATE TABLE ${name} (LIKE events INCLUDING DEFAULTS)`);
    await client.query(
      `WITH moved AS (DELETE FROM ${DEFAULT_PARTITION} WHERE event_time >= ${from} AND event_time < ${to} RETURNING *)
       INSERT INTO ${name} SELECT * FROM moved`,
    );
    await client.query(`ALTER TABLE events ATTACH PARTITION ${name} FOR VALUES FROM (${from}) TO (${to})`);
    return true;
  });
}

export interface RetentionResult {
  droppedPartitions: string[];
  /** Rows deleted from the default partition. */
  deletedEvents: number;
  deletedRejected: number;
}

/** Drops and deletes what is older than nowMs - retentionMs (see the file comment). */
export async function applyRetention(pool: Pool, options: { nowMs: number; retentionMs: number; isClosed?: () => boolean }): Promise<RetentionResult> {
  const cutoffMs = options.nowMs - options.retentionMs;
  const state = await readPartitions(pool);
  const result: RetentionResult = { droppedPartitions: [], deletedEvents: 0, deletedRejected: 0 };
  const drop = async (name: string): Promise<void> => {
    await inTransaction(pool, async (client) => {
      await client.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
      await client.query(`DROP TABLE IF EXISTS ${name}`);
    });
    result.droppedPartitions.push(name);
  };
  for (const [day, name] of [...state.daily].sort((a, b) => a[0] - b[0])) {
    if (options.isClosed?.()) return result;
    if (day + DAY_MS <= cutoffMs) await drop(name);
  }
  if (state.hasLegacy && state.legacyUntilMs !== undefined && state.legacyUntilMs <= cutoffMs) await drop(LEGACY_PARTITION);
  const cutoff = new Date(cutoffMs);
  if (state.hasDefault) {
    for (;;) {
      if (options.isClosed?.()) return result;
      const { rowCount } = await pool.query(
        `DELETE FROM ${DEFAULT_PARTITION} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${DEFAULT_PARTITION} WHERE event_time < $1 LIMIT ${DELETE_BATCH}))`,
        [cutoff],
      );
      result.deletedEvents += rowCount ?? 0;
      if ((rowCount ?? 0) < DELETE_BATCH) break;
    }
  }
  for (;;) {
    if (options.isClosed?.()) return result;
    const { rowCount } = await pool.query(
      `DELETE FROM rejected_events WHERE seq IN (SELECT seq FROM rejected_events WHERE received_at < $1 ORDER BY received_at LIMIT ${DELETE_BATCH})`,
      [cutoff],
    );
    result.deletedRejected += rowCount ?? 0;
    if ((rowCount ?? 0) < DELETE_BATCH) break;
  }
  // The dashboard's rollups (small: a few rows per stream and minute), by the minute's start.
  for (;;) {
    if (options.isClosed?.()) return result;
    const { rowCount } = await pool.query(
      `DELETE FROM event_minutes WHERE ctid = ANY (ARRAY(SELECT ctid FROM event_minutes WHERE minute_ms < $1 LIMIT ${DELETE_BATCH}))`,
      [cutoffMs],
    );
    if ((rowCount ?? 0) < DELETE_BATCH) break;
  }
  return result;
}

