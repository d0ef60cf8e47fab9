import type { EventQueue, QueueLimits } from '../../exporter/queue.js';
import { openSqliteQueue } from './sqlite-queue.js';

/**
 * Opens an exporter queue by URL: sqlite:PATH or postgres://... (see
 * openPostgresQueue). The PostgreSQL client is loaded only for a postgres URL.
 */
export async function openQueue(url: string, limits: QueueLimits = {}): Promise<EventQueue> {
  if (url.startsWith('sqlite:')) {
    const rest = url.slice('sqlite:'.length);
    const path = rest.startsWith('//') ? rest.slice(2) : rest;
    if (path === '') throw new Error(`queue URL "${url}" names no file`);
    return openSqliteQueue(path, limits);
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { openPostgresQueue } = await import('./postgres-queue.js');
    return openPostgresQueue(url, limits);
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  throw new Error(scheme === undefined ? `queue URL "${url}" has no scheme; expected sqlite:PATH` : `unsupported queue scheme "${scheme}:"; supported: sqlite:, postgres://`);
}
