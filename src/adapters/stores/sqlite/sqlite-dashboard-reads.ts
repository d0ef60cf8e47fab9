import type { Database } from 'better-sqlite3';
import type {
  MinuteSummary,
  RejectedDetail,
  RejectedFilter,
  RejectedSummary,
} from '../../../core/dashboard-queries.js';
import type { Source } from '../../../core/identity/source.js';
import { withStreamMetadata } from '../../../core/wire/request-id.js';

/** Per stream-metadata row: what the instances page aggregates (in the caller) by source. */
export interface MetadataActivity {
  source: Source;
  firstSeenMs: number;
  lastSeenMs: number;
  eventsSince: number;
  rejectedSince: number;
  /** Wire bytes of this stream's newest event (for its server version), if it has any. */
  latestEvent: Uint8Array | undefined;
}

/**
 * The dashboard's SQL over a store file, synchronous (better-sqlite3): run on
 * the dashboard's reader thread. Every query is bounded by an index: on the
 * rollups' minute or (metadata_id, minute), or on the rejected rows' received
 * time or (metadata_id, received_time). Counts since a time are to the minute.
 */
export function createSqliteDashboardReads(db: Database) {
  // Stored events are counted from event_minutes, the rollups the store keeps in each commit.
  const minutePairs = db.prepare(
    `SELECT minute_ms AS minuteMs, feature, action, sum(events) AS n
       FROM event_minutes WHERE minute_ms >= ? AND minute_ms < ? GROUP BY 1, 2, 3`,
  );
  const minuteRejected = db.prepare(
    `SELECT received_ms / 60000 * 60000 AS minuteMs, count(*) AS n
       FROM rejected_events WHERE received_ms >= ? AND received_ms < ? GROUP BY 1`,
  );
  const metadataActivity = db.prepare(
    `SELECT m.source_json AS sourceJson, m.first_seen_ms AS firstSeenMs,
            (SELECT max(last_ms) FROM event_minutes e WHERE e.metadata_id = m.id) AS lastEventMs,
            (SELECT max(received_ms) FROM rejected_events r WHERE r.metadata_id = m.id) AS lastRejectedMs,
            (SELECT coalesce(sum(events), 0) FROM event_minutes e WHERE e.metadata_id = m.id AND e.minute_ms >= ?) AS eventsSince,
            (SELECT count(*) FROM rejected_events r WHERE r.metadata_id = m.id AND r.received_ms >= ?) AS rejectedSince,
            (SELECT event FROM events WHERE seq = (SELECT max(last_seq) FROM event_minutes e WHERE e.metadata_id = m.id)) AS latestEvent
       FROM stream_metadata m`,
  );
  const rejectedDetail = db.prepare(
    `SELECT r.seq, r.event_id AS id, r.feature, r.action, r.reason, r.publisher, r.received_ms AS receivedAtMs,
            m.source_json AS sourceJson, r.event AS eventBytes, m.metadata AS metadataBytes, r.request_id AS requestId
       FROM rejected_events r JOIN stream_metadata m ON m.id = r.metadata_id WHERE r.seq = ?`,
  );

  /** Each minute once (the caller keeps closed minutes), so this scans only new rows. */
  const minuteSummaries = (fromMs: number, toMs: number): MinuteSummary[] => {
    const minutes = new Map<number, MinuteSummary>();
    const at = (minuteMs: number): MinuteSummary => {
      let minute = minutes.get(minuteMs);
      if (!minute) minutes.set(minuteMs, (minute = { minuteMs, stored: 0, rejected: 0, pairs: [] }));
      return minute;
    };
    for (const row of minutePairs.all(fromMs, toMs) as PairRow[]) {
      const minute = at(row.minuteMs);
      minute.stored += row.n;
      minute.pairs.push({ feature: row.feature, action: row.action, events: row.n });
    }
    for (const row of minuteRejected.all(fromMs, toMs) as CountRow[]) at(row.minuteMs).rejected = row.n;
    return [...minutes.values()].sort((a, b) => a.minuteMs - b.minuteMs);
  };

  const rejected = (filter: RejectedFilter): RejectedSummary[] => {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown): void => {
      where.push(clause);
      params.push(value);
    };
    if (filter.beforeSeq !== undefined) add('r.seq < ?', filter.beforeSeq);
    if (filter.feature) add('r.feature = ?', filter.feature);
    if (filter.action) add('r.action = ?', filter.action);
    if (filter.publisher) add('r.publisher = ?', filter.publisher);
    if (filter.reason) add("instr(lower(r.reason), lower(?)) > 0", filter.reason);
    const rows = db
      .prepare(
        `SELECT r.seq, r.event_id AS id, r.feature, r.action, r.reason, r.publisher, r.received_ms AS receivedAtMs,
                m.source_json AS sourceJson
           FROM rejected_events r JOIN stream_metadata m ON m.id = r.metadata_id
          ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY r.seq DESC LIMIT ?`,
      )
      .all(...params, filter.limit) as (RejectedSummary & { sourceJson: string })[];
    return rows.map(({ sourceJson, ...row }) => ({ ...row, source: JSON.parse(sourceJson) as Source }));
  };

  return {
    minuteSummaries,
    metadataActivity: (sinceMs: number): MetadataActivity[] =>
      (metadataActivity.all(sinceMs - (sinceMs % 60_000), sinceMs) as ActivityRow[]).map((row) => ({
        source: JSON.parse(row.sourceJson) as Source,
        firstSeenMs: row.firstSeenMs,
        lastSeenMs: Math.max(row.firstSeenMs, row.lastEventMs ?? 0, row.lastRejectedMs ?? 0),
        eventsSince: row.eventsSince,
        rejectedSince: row.rejectedSince,
        latestEvent: row.latestEvent ?? undefined,
      })),
    rejected,
    rejectedEvent(seq: number): RejectedDetail | undefined {
      const row = rejectedDetail.get(seq) as (RejectedDetail & { sourceJson: string; requestId: string | null }) | undefined;
      if (!row) return undefined;
      const { sourceJson, ...rest } = row;
      return { ...withStreamMetadata(rest), source: JSON.parse(sourceJson) as Source };
    },
  };
}

interface PairRow {
  minuteMs: number;
  feature: string;
  action: string;
  n: number;
}

interface CountRow {
  minuteMs: number;
  n: number;
}

interface ActivityRow {
  sourceJson: string;
  firstSeenMs: number;
  lastEventMs: number | null;
  lastRejectedMs: number | null;
  eventsSince: number;
  rejectedSince: number;
  latestEvent: Buffer | null;
}
