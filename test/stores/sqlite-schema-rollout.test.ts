import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { openSqliteStore } from '../../src/adapters/stores/sqlite/sqlite-store.js';
import { SCHEMA_VERSION } from '../../src/adapters/stores/sqlite/schema.js';
import { openStore } from '../../src/adapters/stores/open-store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { eventEntry, origin } from './store-contract.js';

const floorOf = (db: BetterSqlite3.Database): number =>
  db.prepare(`SELECT value FROM store_meta WHERE key = 'compatible_since'`).pluck().get() as number;

describe('sqlite schema rollouts', () => {
  it('records the schema version and its compatible-since floor', async () => {
    using dir = tempDir();
    const path = join(dir.path, 'store.db');
    await openSqliteStore(path).close();
    const db = new BetterSqlite3(path, { readonly: true });
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal(floorOf(db), 3, 'version 3 moved dedup to event_keys: older gateways must refuse it');
    db.close();
  });

  it('this gateway starts against a newer additive schema (an older binary during a rollout or rollback)', async () => {
    using dir = tempDir();
    const path = join(dir.path, 'store.db');
    const first = eventEntry();
    let store = openSqliteStore(path);
    await store.write({ origin: origin(), entries: [first] });
    await store.close();
    // What a newer gateway with one additive step would leave: version + 1, the same floor, a new table.
    const db = new BetterSqlite3(path);
    db.exec('CREATE TABLE future_additive (x INTEGER)');
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();

    for (const open of [async () => openSqliteStore(path), () => openStore(`sqlite:${path}`)]) {
      const opened = await open();
      const second = eventEntry();
      const outcomes = await opened.write({ origin: origin(), entries: [first, second] });
      assert.deepEqual(outcomes.map((o) => o.status), ['duplicate', 'stored']);
      assert.deepEqual(await opened.health().then((h) => h.ok), true);
      await opened.close();
    }
    store = openSqliteStore(path);
    assert.equal(await store.countEvents(), 3);
    await store.close();
    const after = new BetterSqlite3(path, { readonly: true });
    assert.equal(after.pragma('user_version', { simple: true }), SCHEMA_VERSION + 1, 'the newer version is left as it is');
    after.close();
  });

  it('refuses a newer schema whose floor is above this gateway, saying what to do', async () => {
    using dir = tempDir();
    const path = join(dir.path, 'store.db');
    await openSqliteStore(path).close();
    const db = new BetterSqlite3(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 2}`);
    db.prepare(`UPDATE store_meta SET value = ? WHERE key = 'compatible_since'`).run(SCHEMA_VERSION + 1);
    db.close();
    const expected = new RegExp(
      `database schema version ${SCHEMA_VERSION + 2} needs a gateway of schema version ${SCHEMA_VERSION + 1} or later; this gateway has schema version ${SCHEMA_VERSION}: run a newer gateway release`,
    );
    assert.throws(() => openSqliteStore(path), expected);
    await assert.rejects(openStore(`sqlite:${path}`), expected);
  });

  it('a version 3 file made before the floor existed gets it on open', async () => {
    using dir = tempDir();
    const path = join(dir.path, 'store.db');
    await openSqliteStore(path).close();
    const db = new BetterSqlite3(path);
    db.exec(`DELETE FROM store_meta WHERE key = 'compatible_since'`);
    db.close();
    await openSqliteStore(path).close();
    const again = new BetterSqlite3(path, { readonly: true });
    assert.equal(floorOf(again), 3);
    again.close();
  });
});
