import type { Pool } from 'pg';
import { DUPLICATE, retryable, STORED, type StoreEntry, type WriteBatch, type WriteOutcome } from '../../../core/store.js';
import { ByteOut } from '../../../core/wire/byte-out.js';
import { splitRequestId } from '../../../core/wire/request-id.js';
import { describePgError } from './pg-errors.js';
import { jsonBytesHoldNul, pgJson, pgNumberArray, pgText, pgTextArray } from './pg-text.js';
import type { RecordRenderer } from './record-renderer.js';

/** Rows one stream's figures for a minute can spread over (readers sum them). */
const ROLLUP_SHARDS = 16;

/**
 * One statement, so one round trip and one implicit transaction per group:
 * the metadata, rejected and event inserts commit together or not at all.
 * Arrays travel as parameters (unnest), written as array literals
 * (pg-text.ts). The events' bytes go as one bytea,
 * sliced by offset in SQL: pg sends a Buffer in binary, where a bytea[] would
 * be hex-encoded and escaped element by element. The records' JSON travels the
 * same way (UTF-8, sliced and parsed into jsonb once per row): a text[] is
 * escaped element by element in JS and unescaped by the server, and one JSON
 * array, split by json_array_elements, is lexed twice more than its rows
 * (measured: ~10 vs ~7 µs of server CPU per 1 KB record). What a batch's
 * entries share (sender digest, publisher, request id) travels once per batch,
 * each row naming its batch: repeated per row, those text[] elements were
 * escaped in JS one by one (node-postgres's share of the gateway thread fell
 * from 5.1% to 4.1%).
 *
 * Dedup: the key is (event_time, event_id) (postgres-partitions.ts). ON
 * CONFLICT names no constraint, so any unique index a row hits makes it a
 * duplicate, never an error that would fail (and so retry) the whole group.
 *
 * Rows are inserted in event id order: two transactions that insert
 * overlapping ids (replicas receiving the same re-sent events) then wait for
 * each other in the same order and cannot deadlock. `seq` is drawn first, in
 * arrival order (OFFSET 0 keeps the planner from moving nextval past the sort),
 * so a stream's events still list in the order they were sent.
 *
 * Dashboard rollups (event_minutes, postgres-schema.ts version 3) are kept in
 * the same statement: a few rows per group, aggregated in SQL from what the
 * inserts returned, so duplicates are not counted (JS cannot know which ids
 * hit the key). Deadlocks: they are upserted in key order, and one group uses
 * one `shard` (random per group, so concurrent groups of one hot stream seldom
 * queue on the same row lock); two groups that meet on a row lock its keys in
 * the same order.
 */

const INSERT_GROUP = `
WITH new_metadata AS (
  INSERT INTO stream_metadata (digest, publisher, source, metadata)
  SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::bytea[]) AS m(digest, publisher, source, metadata)
  ORDER BY digest
  ON CONFLICT (digest) DO NOTHING
), new_rejected AS (
  INSERT INTO rejected_events (event_id, metadata_digest, source, feature, action, reason, received_at, event, request_id)
  SELECT id, ($6::text[])[batch], ($7::text[])[batch], feature, action, reason, to_timestamp($5::float8 / 1000), event, ($8::text[])[batch]
    FROM unnest($9::text[], $10::int4[], $11::text[], $12::text[], $13::text[], $14::bytea[])
      AS r(id, batch, feature, action, reason, event)
  RETURNING metadata_digest
), new_events AS (
  INSERT INTO events (seq, event_id, metadata_digest, source, feature, action, event_time, received_at, event, record, request_id)
  SELECT seq, id, ($6::text[])[batch], ($7::text[])[batch], feature, action, to_timestamp(time_ms / 1000), to_timestamp($5::float8 / 1000),
         substring($20::bytea FROM event_start + 1 FOR event_length),
         CASE WHEN record_length >= 0 THEN convert_from(substring($21::bytea FROM record_start + 1 FOR record_length), 'UTF8')::jsonb END,
         ($8::text[])[batch]
    FROM (
      SELECT nextval('events_seq') AS seq, e.*
        FROM unnest($15::text[], $16::int4[], $17::text[], $18::text[], $19::float8[], $22::int4[], $23::int4[], $24::int4[], $25::int4[])
          AS e(id, batch, feature, action, time_ms, event_start, event_length, record_start, record_length)
      OFFSET 0
    ) AS numbered
   ORDER BY id
  ON CONFLICT DO NOTHING
  RETURNING event_id, seq, metadata_digest, feature, action
), minute_rows AS (
  SELECT metadata_digest AS digest, feature, action, count(*) AS stored, 0 AS rejected, max(seq) AS last_seq
    FROM new_events GROUP BY 1, 2, 3
  UNION ALL
  SELECT metadata_digest, '', '', 0, count(*), NULL FROM new_rejected GROUP BY 1
), rollups AS (
  INSERT INTO event_minutes (minute_ms, metadata_digest, feature, action, shard, stored, rejected, last_ms, last_seq)
  SELECT (floor($5::float8 / 60000) * 60000)::bigint, digest, feature, action, $26::int2, stored, rejected, $5::float8::bigint, last_seq
    FROM minute_rows
   ORDER BY digest, feature, action
  ON CONFLICT (minute_ms, metadata_digest, feature, action, shard) DO UPDATE SET
    stored = event_minutes.stored + excluded.stored,
    rejected = event_minutes.rejected + excluded.rejected,
    last_ms = greatest(event_minutes.last_ms, excluded.last_ms),
    last_seq = greatest(event_minutes.last_seq, excluded.last_seq)
)
SELECT event_id FROM new_events`;

/** Why an event whose id holds U+0000 is among the rejected events (pg-text.ts). */
export const NUL_ID_REASON = 'event id holds U+0000, which PostgreSQL cannot store as a key; kept here with its bytes';

/** Writes a group of batches; never rejects: a failure makes every entry retryable. */
export async function insertGroup(pool: Pool, render: RecordRenderer, group: readonly WriteBatch[]): Promise<WriteOutcome[][]> {
  /** stream_metadata rows by identity digest: one per sender, request_id left out (request-id.ts). */
  const metadata = new Map<string, { origin: WriteBatch['origin']; identityBytes: Uint8Array }>();
  // What every entry of a batch shares travels once per batch; each row names its batch (1-based, as SQL arrays are).
  const batches = { digest: [] as string[], source: [] as string[], requestId: [] as (string | null)[] };
  const rejected = { id: [] as string[], batch: [] as number[], feature: [] as string[], action: [] as string[], reason: [] as string[], event: [] as Buffer[] };
  const events = { id: [] as string[], batch: [] as number[], feature: [] as string[], action: [] as string[], timeMs: [] as number[], event: [] as Buffer[], start: [] as number[], length: [] as number[], recordStart: [] as number[], recordLength: [] as number[] };
  const records = new ByteOut();
  let eventBytes = 0;
  // The first entry with an id is the one inserted; any later one in the group is a duplicate of it.
  const isFirstOfId = group.map((batch) => batch.entries.map(() => false));
  const seen = new Set<string>();
  /** Events kept among the rejected (an id PostgreSQL cannot hold): stored, whatever the key says. */
  const keptAside = new Set<StoreEntry>();

  for (const [b, { origin, entries }] of group.entries()) {
    const { identityBytes, identityDigest: digest, requestId: sentRequestId } = splitRequestId(origin.metadataBytes);
    const requestId = sentRequestId ? pgText(sentRequestId) : null;
    const publisher = pgText(origin.publisher);
    metadata.set(digest, { origin, identityBytes });
    batches.digest.push(digest);
    batches.source.push(publisher);
    batches.requestId.push(requestId);
    const batchNumber = b + 1;
    const setAside = (entry: StoreEntry, reason: string): void => {
      rejected.id.push(pgText(entry.id));
      rejected.batch.push(batchNumber);
      rejected.feature.push(pgText(entry.feature));
      rejected.action.push(pgText(entry.action));
      rejected.reason.push(pgText(reason));
      rejected.event.push(asBuffer(entry.bytes));
    };
    for (const [e, entry] of entries.entries()) {
      if (entry.kind === 'rejected') {
        setAside(entry, entry.reason);
        continue;
      }
      if (entry.id.includes('\u0000')) {
        // The key cannot be stored as sent, and an altered one could meet another event's id:
        // kept with its bytes among the rejected, and acknowledged, so the sender stops re-sending it.
        setAside(entry, NUL_ID_REASON);
        keptAside.add(entry);
        continue;
      }
      if (seen.has(entry.id)) continue;
      seen.add(entry.id);
      isFirstOfId[b]![e] = true;
      events.id.push(entry.id);
      events.batch.push(batchNumber);
      events.feature.push(entry.feature);
      events.action.push(entry.action);
      events.timeMs.push(entry.timestampMs);
      events.event.push(asBuffer(entry.bytes));
      events.start.push(eventBytes);
      events.length.push(entry.bytes.byteLength);
      eventBytes += entry.bytes.byteLength;
      const recordStart = records.length;
      let rendered = render(entry, origin, records);
      if (rendered && jsonBytesHoldNul(records.buffer, recordStart, records.length)) {
        // A record holding U+0000 stays NULL, as with record=none: readers render it from the bytes.
        records.length = recordStart;
        rendered = false;
      }
      events.recordStart.push(recordStart);
      events.recordLength.push(rendered ? records.length - recordStart : -1);
    }
  }
  const senders = [...metadata.entries()];

  let inserted: Set<string>;
  try {
    const result = await pool.query<{ event_id: string }>(INSERT_GROUP, [
      pgTextArray(senders.map(([digest]) => digest)),
      pgTextArray(senders.map(([, s]) => pgText(s.origin.publisher))),
      pgTextArray(senders.map(([, s]) => pgJson(s.origin.source))),
      senders.map(([, s]) => asBuffer(s.identityBytes)),
      Date.now(),
      pgTextArray(batches.digest),
      pgTextArray(batches.source),
      pgTextArray(batches.requestId),
      pgTextArray(rejected.id),
      pgNumberArray(rejected.batch),
      pgTextArray(rejected.feature),
      pgTextArray(rejected.action),
      pgTextArray(rejected.reason),
      rejected.event,
      pgTextArray(events.id),
      pgNumberArray(events.batch),
      pgTextArray(events.feature),
      pgTextArray(events.action),
      pgNumberArray(events.timeMs),
      Buffer.concat(events.event, eventBytes),
      records.bytes(),
      pgNumberArray(events.start),
      pgNumberArray(events.length),
      pgNumberArray(events.recordStart),
      pgNumberArray(events.recordLength),
      Math.floor(Math.random() * ROLLUP_SHARDS),
    ]);
    inserted = new Set(result.rows.map((row) => row.event_id));
  } catch (error) {
    const failure = retryable(`postgres: ${describePgError(error)}`);
    return group.map((batch) => batch.entries.map(() => failure));
  }
  return group.map((batch, b) =>
    batch.entries.map((entry, e) => {
      if (entry.kind === 'rejected' || keptAside.has(entry)) return STORED;
      return isFirstOfId[b]![e] && inserted.has(entry.id) ? STORED : DUPLICATE;
    }),
  );
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
