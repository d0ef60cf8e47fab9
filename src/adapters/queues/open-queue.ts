import type { EventQueue } from '../../exporter/queue.js';
import { openPostgresQueue } from './postgres-queue.js';
import { openSqliteQueue } from './sqlite-queue.js';

/** Opens an exporter queue by URL: sqlite:PATH or postgres://... (see openPostgresQueue). */
export async function openQueue(url: string): Promise<EventQueue> {
  if (url.startsWith('sqlite:')) {
    const rest = url.slice('sqlite:'.length);
    const path = rest.startsWith('//') ? rest.slice(2) : rest;
    if (path === '') throw new Error(`queue URL "${url}" names no file`);
    return openSqliteQueue(path);
  }
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgresQueue(url);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  throw new Error(scheme === undefined ? `queue URL "${url}" has no scheme; expected sqlite:PATH` : `unsupported queue scheme "${scheme}:"; supported: sqlite:, postgres://`);
}
