import pg from 'pg';
import type { EventReader, ListOptions, RejectedEventRow, StoredEventRow } from '../../../core/store.js';
import { withStreamMetadata } from '../../../core/wire/request-id.js';
import { parsePostgresUrl } from './postgres-options.js';

export type PostgresReads = Omit<EventReader, 'close'>;

const LIST_EVENTS = `
SELECT e.seq, e.event_id AS id, e.event AS "eventBytes", m.metadata AS "metadataBytes", e.request_id AS "requestId", e.source AS publisher,
       (extract(epoch FROM e.received_at) * 1000)::float8 AS "receivedAtMs"
  FROM events e JOIN stream_metadata m ON m.digest = e.metadata_digest
 WHERE e.seq > $1 ORDER BY e.seq LIMIT $2`;

const LIST_REJECTED = `
SELECT r.seq, r.event_id AS id, r.feature, r.action, r.reason, r.source AS publisher, r.event AS "eventBytes",
       m.metadata AS "metadataBytes", r.request_id AS "requestId", (extract(epoch FROM r.received_at) * 1000)::float8 AS "receivedAtMs"
  FROM rejected_events r JOIN stream_metadata m ON m.digest = r.metadata_digest
 WHERE r.seq > $1 ORDER BY r.seq LIMIT $2`;

/** Reads over a pool; bigint columns arrive as strings and become numbers (they stay below 2^53). */
export function postgresReads(pool: pg.Pool): PostgresReads {
  const count = async (table: 'events' | 'rejected_events'): Promise<number> =>
    Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
  return {
    async listEvents(options: ListOptions): Promise<StoredEventRow[]> {
      const { rows } = await pool.query<AsRead<StoredEventRow>>(LIST_EVENTS, [options.afterSeq ?? 0, options.limit]);
      return rows.map(asRow);
    },
    countEvents: () => count('events'),
    async listRejected(options: ListOptions): Promise<RejectedEventRow[]> {
      const { rows } = await pool.query<AsRead<RejectedEventRow>>(LIST_REJECTED, [options.afterSeq ?? 0, options.limit]);
      return rows.map(asRow);
    },
    countRejected: () => count('rejected_events'),
  };
}

type AsRead<Row> = Omit<Row, 'seq'> & { seq: string; requestId: string | null };

/** A row as the store API has it: the metadata its stream sent (the sender's row plus the row's request_id). */
function asRow<Row extends { seq: number; metadataBytes: Uint8Array }>(row: AsRead<Row>): Row {
  return withStreamMetadata({ ...row, seq: Number(row.seq) } as Row & { requestId: string | null });
}

/** A reader for the CLI: one connection, creates nothing (the gateway owns the schema). */
export async function openPostgresReader(url: string): Promise<EventReader> {
  const options = parsePostgresUrl(url);
  const pool = new pg.Pool({ ...options.pool, max: 1 });
  pool.on('error', () => {}); // an idle connection died: the pool drops it and the next query reconnects
  const reads = postgresReads(pool);
  try {
    // Fail here, with the server's message, if the store is unreachable or has no tables yet.
    await pool.query('SELECT 1 FROM events, rejected_events LIMIT 0');
  } catch (error) {
    await pool.end();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return { ...reads, close: () => (closing ??= pool.end()) };
}
