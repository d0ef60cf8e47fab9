import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Creates the directory of a SQLite file one level at a time and checks it is
 * writable, so a bad path fails at once with the directory it could not make.
 * (Node 20's `mkdirSync(..., { recursive: true })` loops forever on some
 * paths, e.g. under /proc, which made `--store sqlite:/proc/x/y.db` hang.)
 */
export function prepareSqliteDirectory(path: string): void {
  if (path === ':memory:') return;
  const missing: string[] = [];
  let dir = dirname(resolve(path));
  while (!exists(dir)) {
    missing.unshift(dir);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create directory ${d} (${codeOf(error)}); use a path in a writable directory`);
    }
  }
  const parent = dirname(resolve(path));
  if (!statSync(parent).isDirectory()) throw new Error(`${parent} is not a directory`);
  try {
    accessSync(parent, constants.W_OK);
  } catch (error) {
    throw new Error(`directory ${parent} is not writable (${codeOf(error)}); use a path the gateway's user may write`);
  }
  if (exists(path) && statSync(path).isDirectory()) throw new Error(`${path} is a directory; give the path of a database file`);
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}
