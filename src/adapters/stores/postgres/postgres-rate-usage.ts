import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { RateUsageExchange } from '../../../core/rate-usage-exchange.js';
import type { OthersUsage } from '../../../core/shared-rate-limit.js';
import { describePgError } from './pg-errors.js';
import { parsePostgresUrl } from './postgres-options.js';
import { pgText } from './pg-text.js';

/** A replica that reported a source this recently is sending it (several exchange intervals). */
const ACTIVE_WINDOW_MS = 3_000;
/** An exchange slower than this fails (and limits fall back to local) rather than holding sources or a shutdown. */
const QUERY_TIMEOUT_MS = 5_000;
/** Between deletions of the days before yesterday. */
const PRUNE_EVERY_MS = 3_600_000;

/**
 * One round trip: this replica's counts are added to its own rows (one per
 * source and UTC day, so replicas never write the same row), and the others'
 * rows of the same sources are read. The read sees the table as of the
 * statement's start, which is all it wants: the other replicas' part.
 * Recency is judged by the server's clock, the same for every replica.
 */
const EXCHANGE = `
WITH reported AS (
  INSERT INTO rate_usage (source_key, day, replica_id, used, demand_at)
  SELECT key, $1, $2, n, now() FROM unnest($3::text[], $4::int8[]) AS r(key, n)
   ORDER BY key
  ON CONFLICT (source_key, day, replica_id) DO UPDATE SET
    used = rate_usage.used + excluded.used, demand_at = excluded.demand_at
)
SELECT source_key AS "sourceKey",
       (count(*) FILTER (WHERE demand_at >= now() - $5 * interval '1 millisecond'))::int AS "activeReplicas",
       sum(used)::float8 AS "usedToday"
  FROM rate_usage
 WHERE day = $1 AND source_key = ANY ($3::text[]) AND replica_id <> $2
 GROUP BY source_key`;

/**
 * The rate_usage table (postgres-schema.ts version 3) of a PostgreSQL store,
 * through which the replicas on one schema share per-source limits. A pool of
 * one connection of its own; `replicaId` names this process's rows (a restarted
 * replica gets new ones: what it admitted before still counts, as another's).
 */
export function openPostgresRateUsage(url: string, replicaId: string = randomUUID()): RateUsageExchange {
  const options = parsePostgresUrl(url);
  const pool = new pg.Pool({
    ...options.pool,
    max: 1,
    query_timeout: Math.min(QUERY_TIMEOUT_MS, options.pool.query_timeout ?? QUERY_TIMEOUT_MS),
    application_name: 'telemetry-gateway-limits',
  });
  pool.on('error', () => {});
  let prunedAtMs = Number.NEGATIVE_INFINITY;
  let closing: Promise<void> | undefined;

  return {
    async exchange(day, reports): Promise<Map<string, OthersUsage>> {
      if (closing) throw new Error('rate usage exchange is closed');
      try {
        if (Date.now() - prunedAtMs >= PRUNE_EVERY_MS) {
          await pool.query('DELETE FROM rate_usage WHERE day < $1', [day - 1]);
          prunedAtMs = Date.now();
        }
        // Keys go through pgText (an instance id may hold U+0000); keys that then meet are one row.
        const byKey = new Map<string, { admitted: number; sent: string[] }>();
        for (const { sourceKey, admitted } of reports) {
          const key = pgText(sourceKey);
          const known = byKey.get(key);
          if (known === undefined) byKey.set(key, { admitted, sent: [sourceKey] });
          else {
            known.admitted += admitted;
            known.sent.push(sourceKey);
          }
        }
        const { rows } = await pool.query<{ sourceKey: string } & OthersUsage>(EXCHANGE, [
          day,
          replicaId,
          [...byKey.keys()],
          [...byKey.values()].map((k) => k.admitted),
          ACTIVE_WINDOW_MS,
        ]);
        const usage = new Map<string, OthersUsage>();
        for (const { sourceKey, ...others } of rows) for (const sent of byKey.get(sourceKey)?.sent ?? []) usage.set(sent, others);
        return usage;
      } catch (error) {
        // pg's message only: never the URL or its credentials.
        throw new Error(`postgres store ${options.description}: ${describePgError(error)}`);
      }
    },
    close() {
      return (closing ??= pool.end());
    },
  };
}
