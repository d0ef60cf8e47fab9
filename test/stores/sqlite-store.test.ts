import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { openSqliteReader, openSqliteStore } from '../../src/adapters/stores/sqlite/sqlite-store.js';
import { tempDir } from '../helpers/temp-dir.js';
import type { StoreEntry } from '../../src/core/store.js';
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

it('sqlite: a batch of several multi-row INSERTs finds re-sends within one INSERT and across them, and each row keeps its own seq (also after a restart)', async () => {
  using dir = tempDir();
  const path = join(dir.path, 'store.db');
  const unique = Array.from({ length: 250 }, () => eventEntry());
  const rejected = (n: number): StoreEntry => ({ kind: 'rejected', id: `rejected-${n}`, feature: 'Bad', action: 'x', reason: 'invalid', bytes: Buffer.from('raw') });
  // Re-sends: of the event just before (both wait for the same INSERT), of one already inserted
  // (an earlier INSERT of this batch), and rejected entries between, which shift where INSERTs start.
  const entries: StoreEntry[] = [...unique.slice(0, 64), rejected(1), ...unique.slice(64, 131), unique[130]!, ...unique.slice(131, 200), unique[5]!, rejected(2), ...unique.slice(200)];
  const store = openSqliteStore(path);
  const statuses = (await store.write({ origin: origin(), entries })).map((o) => o.status);
  const expected = entries.map((entry, i) => (entry.kind === 'event' && entries.indexOf(entry) < i ? 'duplicate' : 'stored'));
  assert.deepEqual(statuses, expected);
  assert.equal(expected.filter((s) => s === 'duplicate').length, 2);

  const rows = await store.listEvents({ limit: 1000 });
  assert.deepEqual(rows.map((r) => r.id), unique.map((e) => e.id), 'stored once each, in order');
  for (const row of rows) assert.equal(Buffer.from(row.eventBytes).toString(), `bytes of ${row.id}`);
  // The dedup keys point at the right rows: a re-send of each is found, before and after a restart.
  assert.ok((await store.write({ origin: origin(), entries: unique })).every((o) => o.status === 'duplicate'));
  await store.close();
  const again = openSqliteStore(path);
  assert.ok((await again.write({ origin: origin(), entries: unique })).every((o) => o.status === 'duplicate'));
  assert.equal(await again.countEvents(), unique.length);
  await again.close();
});
