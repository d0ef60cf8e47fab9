import { chmodSync, closeSync, existsSync, fchmodSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Mode of files holding secrets or events: owner read/write only. */
const PRIVATE_FILE_MODE = 0o600;
/** Mode of directories the gateway or CLI creates for them. */
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Makes `path` an owner-only file before a database opens it: missing parent
 * directories are created 0700, a missing file is created empty 0600, an
 * existing one is narrowed to 0600 (with its SQLite -wal/-shm companions,
 * which SQLite otherwise creates with the database file's mode). In-memory
 * and temporary SQLite names (`:memory:`, '', `file:` URIs) are left alone.
 */
export function ensurePrivateFile(path: string): void {
  if (path === '' || path === ':memory:' || path.startsWith('file:')) return;
  mkdirSync(dirname(path), { recursive: true, mode: PRIVATE_DIR_MODE });
  closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
  chmodSync(path, PRIVATE_FILE_MODE);
  for (const companion of [`${path}-wal`, `${path}-shm`, `${path}-journal`]) {
    if (existsSync(companion)) chmodSync(companion, PRIVATE_FILE_MODE);
  }
}

/**
 * Writes `data` to `path` as an owner-only file, also when it already exists
 * with a wider mode (the mode is narrowed before a byte is written).
 */
export function writePrivateFile(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true, mode: PRIVATE_DIR_MODE });
  const fd = openSync(path, 'w', PRIVATE_FILE_MODE);
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
  } finally {
    closeSync(fd);
  }
}
