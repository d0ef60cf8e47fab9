import type { PoolConfig } from 'pg';
import { redactUrl } from '../store-url.js';

/**
 * Settings of a `postgres://` store, read from its URL. The gateway's own
 * query parameters are listed here and removed before the URL reaches `pg`;
 * every other parameter (sslmode, application_name, ...) is pg's.
 *
 *   postgres://user:password@host:5432/db?schema=telemetry&pool_size=8&record=jsonb
 */
export interface PostgresOptions {
  pool: PoolConfig;
  /** Schema holding the tables; created if missing. Undefined: the server's search_path (usually public). */
  schema: string | undefined;
  /** Most entries in one commit; a larger backlog is split across commits (and connections). */
  maxEntriesPerCommit: number;
  /**
   * `jsonb` (default): each row keeps the downstream record as JSONB, for SQL
   * queries into events. `none`: the column stays NULL and the record is
   * rendered from the bytes when read (as `events list` does), which saves
   * the gateway a decode and render per event and PostgreSQL the JSONB.
   */
  record: 'jsonb' | 'none';
  /** The URL without credentials, for logs and health messages. */
  description: string;
}

const DEFAULTS = {
  /** Concurrent commits; group commit means a few connections carry many streams. */
  pool_size: 4,
  max_entries_per_commit: 2000,
  connect_timeout_ms: 5000,
  /** A commit that takes longer is reported retryable (re-sent ids are deduplicated, so that is safe). */
  query_timeout_ms: 30_000,
} as const;

type NumericParam = keyof typeof DEFAULTS;

export function parsePostgresUrl(url: string): PostgresOptions {
  const parsed = new URL(url);
  const number = (name: NumericParam): number => {
    const raw = parsed.searchParams.get(name);
    parsed.searchParams.delete(name);
    if (raw === null) return DEFAULTS[name];
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < 1) throw new Error(`postgres store: ${name} must be a positive integer, got "${raw}"`);
    return value;
  };
  const poolSize = number('pool_size');
  const maxEntriesPerCommit = number('max_entries_per_commit');
  const connectTimeoutMs = number('connect_timeout_ms');
  const queryTimeoutMs = number('query_timeout_ms');
  const schema = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  const record = parsed.searchParams.get('record') ?? 'jsonb';
  parsed.searchParams.delete('record');
  if (record !== 'jsonb' && record !== 'none') throw new Error(`postgres store: record must be jsonb or none, got "${record}"`);
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`postgres store: schema must be a lower-case SQL identifier, got "${schema}"`);
  }
  return {
    pool: {
      connectionString: parsed.toString(),
      max: poolSize,
      connectionTimeoutMillis: connectTimeoutMs,
      query_timeout: queryTimeoutMs,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: 'telemetry-gateway',
      // Every connection resolves the unqualified table names in this schema.
      ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
    },
    schema,
    maxEntriesPerCommit,
    record,
    description: redactUrl(url),
  };
}
