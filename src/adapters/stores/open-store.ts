import type { EventReader, EventStore, MaintenanceListener } from '../../core/store.js';
import { createFanOutStore } from './fan-out-store.js';
import { createMemoryStore } from './memory-store.js';
import { openNatsReader, openNatsStore } from './nats/nats-store.js';
import { openPostgresReader } from './postgres/postgres-reader.js';
import { openPostgresStore } from './postgres/postgres-store.js';
import { openSqliteReader } from './sqlite/sqlite-store.js';
import { openSqliteWorkerStore } from './sqlite/sqlite-worker-store.js';
import { prepareSqliteDirectory } from './sqlite-directory.js';
import { parseStoreUrl, redactUrl, splitStoreUrls, type StoreUrl } from './store-url.js';

export { parseStoreUrl, splitStoreUrls, type StoreUrl } from './store-url.js';

export interface OpenStoreOptions {
  /**
   * Keep events this long, by event time; older ones are deleted in the background
   * (SQLite: batched deletes on the writer thread; PostgreSQL: daily partitions dropped whole).
   * Undefined: keep everything. NATS streams keep what their `max_age` says (nats-options.ts).
   */
  retentionMs?: number;
  /** Told what each background maintenance (retention) pass did, or why it failed (SQLite, PostgreSQL). */
  onMaintenance?: MaintenanceListener;
}

/**
 * Opens the store a URL names; a comma-separated list opens each and fans out
 * to all of them. Network stores connect and prepare their schema or stream
 * here, so a wrong URL or an unreachable server fails the start, not the first write.
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<EventStore> {
  if (options.retentionMs !== undefined && !(Number.isSafeInteger(options.retentionMs) && options.retentionMs > 0)) {
    throw new Error(`retention must be a positive number of milliseconds, got ${options.retentionMs}`);
  }
  // Every URL is checked before anything is opened, so a typo opens (and leaks) nothing.
  const parsed = splitStoreUrls(url).map(parseStoreUrl);
  const openOne = (store: StoreUrl): Promise<EventStore> => openOneStore(store, options);
  if (parsed.length === 1) return openOne(parsed[0]!);
  const settled = await Promise.allSettled(parsed.map(openOne));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  const opened = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  if (failed) {
    await Promise.allSettled(opened.map((store) => store.close()));
    throw failed.reason;
  }
  return createFanOutStore(opened);
}

async function openOneStore(parsed: StoreUrl, options: OpenStoreOptions): Promise<EventStore> {
  switch (parsed.scheme) {
    case 'memory':
      return createMemoryStore();
    case 'sqlite':
      // On its own thread: better-sqlite3 blocks, and the gateway thread has decoding to do meanwhile.
      try {
        prepareSqliteDirectory(parsed.path);
        return await openSqliteWorkerStore(parsed.path, { retentionMs: options.retentionMs, onMaintenance: options.onMaintenance });
      } catch (error) {
        throw new Error(`sqlite store ${parsed.path}: ${(error as Error).message}`, { cause: error });
      }
    case 'postgres':
      return openPostgresStore(parsed.url, { retentionMs: options.retentionMs, onMaintenance: options.onMaintenance });
    case 'nats':
      return openNatsStore(parsed.url);
  }
}

/** Opens one store for reading only; it must already exist (files, tables, stream). */
export async function openReader(url: string): Promise<EventReader> {
  const urls = splitStoreUrls(url);
  if (urls.length > 1) {
    throw new Error(`reading needs one store, not a list; pick one with --store (${urls.map(redactUrl).join(', ')})`);
  }
  const parsed = parseStoreUrl(urls[0]!);
  switch (parsed.scheme) {
    case 'memory':
      throw new Error('a memory: store can only be read by the gateway that holds it');
    case 'sqlite':
      return openSqliteReader(parsed.path);
    case 'postgres':
      return openPostgresReader(parsed.url);
    case 'nats':
      return openNatsReader(parsed.url);
  }
}
