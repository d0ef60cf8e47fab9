import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { openSqliteReader, openSqliteStore } from '../../src/adapters/stores/sqlite/sqlite-store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { describeStoreContract, eventEntry, origin } from './store-contract.js';

describeStoreContract('sqlite', async () => {
  const dir = tempDir();
  const path = join(dir.path, 'store.db');
  const store = openSqliteStore(path);
  return {
    store,
    reader: store,
    async countMetadataRows() {
      const db = new BetterSqlite3(path, { readonly: true });
      try {
        return (db.prepare('SELECT count(*) AS n FROM stream_metadata').get() as { n: number }).n;
      } finally {
        db.close();
      }
    },
    async reopen() {
      await store.close();
      const again = openSqliteStore(path);
      return { store: again, reader: again };
    },
    async cleanup() {
      dir[Symbol.dispose]();
    },
  };
});

it('sqlite: commits with WAL and synchronous=FULL (fsync before acknowledging)', async () => {
  using dir = tempDir();
  const path = join(dir.path, 'store.db');
  const store = openSqliteStore(path);
  await store.write({ origin: origin(), entries: [eventEntry()] });
  const db = (store as unknown as { db: BetterSqlite3.Database }).db;
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('synchronous', { simple: true }), 2 /* FULL */);
  await store.close();
});

it('sqlite: a read-only reader sees committed events while the writer is open', async () => {
  using dir = tempDir();
  const path = join(dir.path, 'store.db');
  const store = openSqliteStore(path);
  await store.write({ origin: origin(), entries: [eventEntry(), eventEntry()] });
  const reader = openSqliteReader(path);
  assert.equal(await reader.countEvents(), 2);
  await reader.close();
  await store.close();
  assert.throws(() => openSqliteReader(join(dir.path, 'missing.db')));
});

it('sqlite: group commit puts concurrent payloads into shared transactions', async () => {
  using dir = tempDir();
  const store = openSqliteStore(join(dir.path, 'store.db'));
  const db = (store as unknown as { db: BetterSqlite3.Database }).db;
  let commits = 0;
  const original = db.transaction.bind(db);
  (db as { transaction: typeof db.transaction }).transaction = ((fn: (...args: never[]) => unknown) => {
    const tx = original(fn);
    return Object.assign((...args: never[]) => {
      commits++;
      return tx(...args);
    }, tx);
  }) as typeof db.transaction;
  await Promise.all(Array.from({ length: 50 }, () => store.write({ origin: origin(), entries: [eventEntry()] })));
  assert.ok(commits <= 2, `50 concurrent payloads took ${commits} commits`);
  await store.close();
});
