import type { EventReader, EventStore } from '../../core/store.js';
import { createMemoryStore } from './memory-store.js';
import { openSqliteReader, openSqliteStore } from './sqlite/sqlite-store.js';

/** Store URLs the gateway understands; later stores add their scheme here. */
export type StoreUrl = { scheme: 'sqlite'; path: string } | { scheme: 'memory' };

export function parseStoreUrl(url: string): StoreUrl {
  if (url === 'memory:' || url === 'memory') return { scheme: 'memory' };
  if (url.startsWith('sqlite:')) {
    // sqlite:./rel/path, sqlite:/abs/path and sqlite:///abs/path all name a file.
    const rest = url.slice('sqlite:'.length);
    const path = rest.startsWith('//') ? rest.slice(2) : rest;
    if (path === '') throw new Error(`store URL "${url}" names no file`);
    return { scheme: 'sqlite', path };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  throw new Error(
    scheme === undefined
      ? `store URL "${url}" has no scheme; expected sqlite:PATH`
      : `unsupported store scheme "${scheme}:"; supported: sqlite:, memory:`,
  );
}

export function openStore(url: string): EventStore {
  const parsed = parseStoreUrl(url);
  return parsed.scheme === 'memory' ? createMemoryStore() : openSqliteStore(parsed.path);
}

/** Opens a store for reading only; for files, it must already exist. */
export function openReader(url: string): EventReader {
  const parsed = parseStoreUrl(url);
  if (parsed.scheme === 'memory') throw new Error('a memory: store can only be read by the gateway that holds it');
  return openSqliteReader(parsed.path);
}
