import pg from 'pg';
import type {
  DashboardQueries,
  InstanceSummary,
  MinuteSummary,
  RejectedDetail,
  RejectedFilter,
  RejectedSummary,
} from '../../../core/dashboard-queries.js';
import { groupInstances } from '../../../core/group-instances.js';
import type { Source } from '../../../core/identity/source.js';
import { serverVersionOf } from '../../../core/server-version.js';
import { withStreamMetadata } from '../../../core/wire/request-id.js';
import { parsePostgresUrl } from './postgres-options.js';

/** Connections of the dashboard's own pool: its queries never take one from the ingest pool. */
const POOL_SIZE = 2;

const MINUTE_ROWS = `
SELECT minute_ms::float8 AS "minuteMs", feature, action, sum(stored)::float8 AS stored, sum(rejected)::float8 AS rejected
  FROM event_minutes WHERE minute_ms >= $1 AND minute_ms < $2 GROUP BY 1, 2, 3`;

/**
 * Per stream (metadata row), each part a short range of the (metadata_digest,
 * minute_ms) index, however long the stream's history: its newest rollup rows
 * (last seen; the newest stored event's seq, whose bytes give the server
 * version through each partition's seq index) and its rows since `$1` (counts).
 */
const STREAM_ACTIVITY = `
SELECT m.source, (extract(epoch FROM m.first_seen) * 1000)::float8 AS "firstSeenMs",
       newest.last_ms::float8 AS "lastMs", coalesce(since.stored, 0)::float8 AS "eventsSince",
       coalesce(since.rejected, 0)::float8 AS "rejectedSince", latest.event AS "latestEvent"
  FROM stream_metadata m
  LEFT JOIN LATERAL (
    SELECT em.last_ms FROM event_minutes em WHERE em.metadata_digest = m.digest ORDER BY em.minute_ms DESC, em.last_ms DESC LIMIT 1
  ) newest ON true
  LEFT JOIN LATERAL (
    SELECT em.last_seq FROM event_minutes em WHERE em.metadata_digest = m.digest AND em.last_seq IS NOT NULL
     ORDER BY em.minute_ms DESC, em.last_seq DESC LIMIT 1
  ) newest_stored ON true
  LEFT JOIN LATERAL (
    SELECT sum(em.stored) AS stored, sum(em.rejected) AS rejected
      FROM event_minutes em WHERE em.metadata_digest = m.digest AND em.minute_ms >= $1
  ) since ON true
  LEFT JOIN LATERAL (SELECT e.event FROM events e WHERE e.seq = newest_stored.last_seq LIMIT 1) latest ON true`;

const REJECTED_COLUMNS = `r.seq::float8 AS seq, r.event_id AS id, r.feature, r.action, r.reason, r.source AS publisher,
       (extract(epoch FROM r.received_at) * 1000)::float8 AS "receivedAtMs", m.source`;

/**
 * The dashboard's reads over a PostgreSQL store, shared by every replica on
 * the schema: each shows what all of them stored. Stored and rejected counts
 * come from event_minutes, the rollups every commit keeps (insert-group.ts);
 * rejected rows from rejected_events by seq. Counts since a time are to the
 * minute. Its own small pool: a slow dashboard query never delays ingest.
 */
export function openPostgresDashboardQueries(url: string): DashboardQueries {
  const options = parsePostgresUrl(url);
  const pool = new pg.Pool({ ...options.pool, max: POOL_SIZE, application_name: 'telemetry-gateway-dashboard' });
  pool.on('error', () => {}); // an idle connection lost: the next query opens another
  let closing: Promise<void> | undefined;

  return {
    // Written by every replica: the open minutes are read from here too (dashboard-service.ts).
    sharedByReplicas: true,

    async minuteSummaries(fromMs: number, toMs: number): Promise<MinuteSummary[]> {
      const { rows } = await pool.query<{ minuteMs: number; feature: string; action: string; stored: number; rejected: number }>(MINUTE_ROWS, [
        Math.floor(fromMs),
        Math.ceil(toMs),
      ]);
      const minutes = new Map<number, MinuteSummary>();
      for (const row of rows) {
        let minute = minutes.get(row.minuteMs);
        if (!minute) minutes.set(row.minuteMs, (minute = { minuteMs: row.minuteMs, stored: 0, rejected: 0, pairs: [] }));
        minute.stored += row.stored;
        minute.rejected += row.rejected;
        if (row.stored > 0) minute.pairs.push({ feature: row.feature, action: row.action, events: row.stored });
      }
      return [...minutes.values()].sort((a, b) => a.minuteMs - b.minuteMs);
    },

    async instances(sinceMs: number): Promise<InstanceSummary[]> {
      const { rows } = await pool.query<ActivityRow>(STREAM_ACTIVITY, [sinceMs - (sinceMs % 60_000)]);
      return groupInstances(
        rows.map((row) => ({
          source: row.source,
          firstSeenMs: row.firstSeenMs,
          lastSeenMs: Math.max(row.firstSeenMs, row.lastMs ?? 0),
          eventsSince: row.eventsSince,
          rejectedSince: row.rejectedSince,
          serverVersion: row.latestEvent ? serverVersionOf(row.latestEvent) : undefined,
        })),
      );
    },

    async rejected(filter: RejectedFilter): Promise<RejectedSummary[]> {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (clause: (param: string) => string, value: unknown): void => {
        params.push(value);
        where.push(clause(`$${params.length}`));
      };
      if (filter.beforeSeq !== undefined) add((p) => `r.seq < ${p}`, filter.beforeSeq);
      if (filter.feature) add((p) => `r.feature = ${p}`, filter.feature);
      if (filter.action) add((p) => `r.action = ${p}`, filter.action);
      if (filter.publisher) add((p) => `r.source = ${p}`, filter.publisher);
      if (filter.reason) add((p) => `strpos(lower(r.reason), lower(${p})) > 0`, filter.reason);
      params.push(filter.limit);
      const { rows } = await pool.query<RejectedSummary>(
        `SELECT ${REJECTED_COLUMNS}
           FROM rejected_events r JOIN stream_metadata m ON m.digest = r.metadata_digest
          ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY r.seq DESC LIMIT $${params.length}`,
        params,
      );
      return rows;
    },

    async rejectedEvent(seq: number): Promise<RejectedDetail | undefined> {
      if (!Number.isSafeInteger(seq)) return undefined;
      const { rows } = await pool.query<RejectedDetail & { requestId: string | null }>(
        `SELECT ${REJECTED_COLUMNS}, r.event AS "eventBytes", m.metadata AS "metadataBytes", r.request_id AS "requestId"
           FROM rejected_events r JOIN stream_metadata m ON m.digest = r.metadata_digest WHERE r.seq = $1`,
        [seq],
      );
      return rows[0] && withStreamMetadata(rows[0]);
    },

    close() {
      return (closing ??= pool.end());
    },
  };
}

interface ActivityRow {
  source: Source;
  firstSeenMs: number;
  lastMs: number | null;
  eventsSince: number;
  rejectedSince: number;
  latestEvent: Buffer | null;
}
