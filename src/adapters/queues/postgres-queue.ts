import pg from 'pg';
import { QueueFullError, type EventQueue, type ExportedEvent, type FailedEvent, type PendingEvent, type QueueLimits, type QueueStats } from '../../exporter/queue.js';
import { parsePostgresUrl } from '../stores/postgres/postgres-options.js';

/** Second key of the schema advisory lock ("telemetry-gateway exporter queue"). */
const LOCK_KEY = 0x7467_7151;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS exporter_queue (
    seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             text NOT NULL UNIQUE,
    timestamp_ms   bigint NOT NULL,
    payload        bytea NOT NULL,
    exported_at_ms bigint
  );
  CREATE INDEX IF NOT EXISTS exporter_queue_pending ON exporter_queue (seq) WHERE exported_at_ms IS NULL;
  CREATE INDEX IF NOT EXISTS exporter_queue_exported ON exporter_queue (exported_at_ms) WHERE exported_at_ms IS NOT NULL;
  CREATE TABLE IF NOT EXISTS exporter_failed (
    id           text PRIMARY KEY,
    timestamp_ms bigint NOT NULL,
    payload      bytea NOT NULL,
    failed_at_ms bigint NOT NULL,
    reason       text NOT NULL
  );
  CREATE INDEX IF NOT EXISTS exporter_failed_at ON exporter_failed (failed_at_ms);
`;

interface Row {
  seq: string;
  id: string;
  timestamp_ms: string;
  payload: Buffer;
  exported_at_ms: string | null;
}

/**
 * The exporter queue on PostgreSQL, for instances whose several processes
 * record events (the SQLite file is for one machine). Same semantics as the
 * SQLite queue: durable when enqueue resolves (a committed transaction), order
 * by seq, an id queued once. Run one export daemon per queue: two would send
 * the same events (the gateway would deduplicate them, but it is wasted work).
 *
 *   postgres://user@host:5432/db?schema=exporter&pool_size=4
 *
 * Limits are checked with a count before each insert: concurrent recorders may
 * overshoot them by what they insert at the same moment.
 */
export async function openPostgresQueue(url: string, limits: QueueLimits = {}): Promise<EventQueue> {
  const options = parsePostgresUrl(url);
  const pool = new pg.Pool(options.pool);
  pool.on('error', () => {}); // an idle client lost; the next query gets a fresh one
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    if (options.schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
    await client.query(SCHEMA);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }

  let closed = false;
  const query = async <R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> => {
    if (closed) throw new Error('the queue is closed');
    return pool.query<R>(text, values);
  };
  const pendingRow = (row: Row): PendingEvent => ({ seq: Number(row.seq), id: row.id, timestampMs: Number(row.timestamp_ms), bytes: row.payload });

  return {
    description: options.description,
    async enqueue(events) {
      if (events.length === 0) return;
      if (limits.maxPendingEvents !== undefined || limits.maxPendingBytes !== undefined) {
        const { rows } = await query<{ events: string; bytes: string }>(
          'SELECT count(*) AS events, coalesce(sum(octet_length(payload)), 0) AS bytes FROM exporter_queue WHERE exported_at_ms IS NULL',
          [],
        );
        const [pending, bytes] = [Number(rows[0]!.events), Number(rows[0]!.bytes)];
        const adding = events.reduce((sum, e) => sum + e.bytes.length, 0);
        if (limits.maxPendingEvents !== undefined && pending + events.length > limits.maxPendingEvents) {
          throw new QueueFullError(`the export queue is full: ${pending} events pending (limit ${limits.maxPendingEvents}); ${events.length} not queued`);
        }
        if (limits.maxPendingBytes !== undefined && bytes + adding > limits.maxPendingBytes) {
          throw new QueueFullError(`the export queue is full: ${bytes} bytes pending (limit ${limits.maxPendingBytes}); ${events.length} events not queued`);
        }
      }
      // WITH ORDINALITY keeps the caller's order in seq.
      await query(
        `INSERT INTO exporter_queue (id, timestamp_ms, payload)
         SELECT id, ts, payload FROM unnest($1::text[], $2::bigint[], $3::bytea[]) WITH ORDINALITY AS u(id, ts, payload, n)
         ORDER BY n ON CONFLICT (id) DO NOTHING`,
        [events.map((e) => e.id), events.map((e) => e.timestampMs), events.map((e) => Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength))],
      );
    },
    async pending({ limit, afterSeq = 0 }) {
      const result = await query<Row>(
        'SELECT seq, id, timestamp_ms, payload FROM exporter_queue WHERE exported_at_ms IS NULL AND seq > $1 ORDER BY seq LIMIT $2',
        [afterSeq, limit],
      );
      return result.rows.map(pendingRow);
    },
    async markExported(ids, exportedAtMs) {
      if (ids.length === 0) return;
      await query('UPDATE exporter_queue SET exported_at_ms = $2 WHERE id = ANY($1::text[]) AND exported_at_ms IS NULL', [ids, exportedAtMs]);
    },
    async markFailed(events, failedAtMs) {
      if (events.length === 0) return;
      await query(
        `WITH gone AS (
           DELETE FROM exporter_queue q USING unnest($1::text[], $2::text[]) AS f(id, reason)
            WHERE q.id = f.id AND q.exported_at_ms IS NULL
           RETURNING q.id, q.timestamp_ms, q.payload, f.reason)
         INSERT INTO exporter_failed (id, timestamp_ms, payload, failed_at_ms, reason)
         SELECT id, timestamp_ms, payload, $3, reason FROM gone
         ON CONFLICT (id) DO UPDATE SET failed_at_ms = EXCLUDED.failed_at_ms, reason = EXCLUDED.reason`,
        [events.map((e) => e.id), events.map((e) => e.reason), failedAtMs],
      );
    },
    async deleteExportedBefore(cutoffMs) {
      const exported = (await query('DELETE FROM exporter_queue WHERE exported_at_ms IS NOT NULL AND exported_at_ms < $1', [cutoffMs])).rowCount ?? 0;
      return exported + ((await query('DELETE FROM exporter_failed WHERE failed_at_ms < $1', [cutoffMs])).rowCount ?? 0);
    },
    async stats(nowMs): Promise<QueueStats> {
      const { rows } = await query<{ pending: string; bytes: string; oldest: string | null; exported: string; failed: string }>(
        `SELECT count(*) FILTER (WHERE exported_at_ms IS NULL) AS pending,
                coalesce(sum(octet_length(payload)) FILTER (WHERE exported_at_ms IS NULL), 0) AS bytes,
                min(timestamp_ms) FILTER (WHERE exported_at_ms IS NULL) AS oldest,
                count(*) FILTER (WHERE exported_at_ms IS NOT NULL) AS exported,
                (SELECT count(*) FROM exporter_failed) AS failed
           FROM exporter_queue`,
        [],
      );
      const row = rows[0]!;
      return {
        pending: Number(row.pending),
        pendingBytes: Number(row.bytes),
        oldestPendingAgeMs: row.oldest === null ? null : Math.max(0, nowMs - Number(row.oldest)),
        exportedKept: Number(row.exported),
        failed: Number(row.failed),
      };
    },
    async recentlyExported(limit) {
      const { rows } = await query<Row>(
        'SELECT seq, id, timestamp_ms, payload, exported_at_ms FROM exporter_queue WHERE exported_at_ms IS NOT NULL ORDER BY exported_at_ms DESC, seq DESC LIMIT $1',
        [limit],
      );
      return rows.map((row): ExportedEvent => ({ id: row.id, timestampMs: Number(row.timestamp_ms), bytes: row.payload, exportedAtMs: Number(row.exported_at_ms) }));
    },
    async recentlyFailed(limit) {
      const { rows } = await query<{ id: string; timestamp_ms: string; payload: Buffer; failed_at_ms: string; reason: string }>(
        'SELECT id, timestamp_ms, payload, failed_at_ms, reason FROM exporter_failed ORDER BY failed_at_ms DESC, id DESC LIMIT $1',
        [limit],
      );
      return rows.map((row): FailedEvent => ({ id: row.id, timestampMs: Number(row.timestamp_ms), bytes: row.payload, failedAtMs: Number(row.failed_at_ms), reason: row.reason }));
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
