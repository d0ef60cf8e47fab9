import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createFanOutStore } from '../../src/adapters/stores/fan-out-store.js';
import { createMemoryStore } from '../../src/adapters/stores/memory-store.js';
import { openStore } from '../../src/adapters/stores/open-store.js';
import { openSqliteReader } from '../../src/adapters/stores/sqlite/sqlite-store.js';
import type { EventStore } from '../../src/core/store.js';
import { withFaults } from '../helpers/fault-store.js';
import { natsTestStore, postgresTestStore, requireService, withPostgres } from '../helpers/services.js';
import { tempDir } from '../helpers/temp-dir.js';
import { describeStoreContract, eventEntry, origin } from './store-contract.js';

describeStoreContract('fan-out (memory, memory)', async () => {
  const [first, second] = [createMemoryStore(), createMemoryStore()];
  return { store: createFanOutStore([first, second]), reader: second };
});

describe('fan-out', () => {
  it('acknowledges an entry only when every store has it; the re-send is stored where it was missing', async () => {
    const [first, second] = [createMemoryStore(), createMemoryStore()];
    const [a, b] = [eventEntry(), eventEntry()];
    const flaky = withFaults(second, { failEntry: (entry) => entry.id === b.id });
    const store = createFanOutStore([first, flaky]);
    const outcomes = await store.write({ origin: origin(), entries: [a, b] });
    assert.deepEqual(outcomes.map((o) => o.status), ['stored', 'retryable']);
    assert.match((outcomes[1] as { reason: string }).reason, /faulty\(memory:\): injected fault/);
    // The instance re-sends b: the first store already has it, the second stores it now.
    const again = await createFanOutStore([first, second]).write({ origin: origin(), entries: [b] });
    assert.deepEqual(again.map((o) => o.status), ['stored']);
    assert.deepEqual(
      (await store.write({ origin: origin(), entries: [a, b] })).map((o) => o.status),
      ['duplicate', 'retryable'],
      'still failing in the flaky store',
    );
    assert.equal(await first.countEvents(), 2);
    assert.equal(await second.countEvents(), 2);
  });

  it('is healthy only when every store is, and says which one is not', async () => {
    const [first, second] = [createMemoryStore(), createMemoryStore()];
    const store = createFanOutStore([first, second]);
    assert.equal((await store.health()).ok, true);
    await second.close();
    const health = await store.health();
    assert.equal(health.ok, false);
    assert.equal((health as { reason: string }).reason, 'memory:: store is closed');
    await store.close();
    await store.close();
  });

  it('openStore fans out over a comma-separated list, and closes what it opened when one fails', async () => {
    using dir = tempDir();
    const path = join(dir.path, 'a.db');
    const store = await openStore(`sqlite:${path},memory:`);
    assert.equal(store.description, `sqlite:${path},memory:`);
    await store.write({ origin: origin(), entries: [eventEntry()] });
    await store.close();
    const reader = openSqliteReader(path);
    assert.equal(await reader.countEvents(), 1);
    await reader.close();
    // A bad URL anywhere in the list is refused before any store is opened.
    await assert.rejects(openStore(`sqlite:${join(dir.path, 'b.db')},bogus:x`), /unsupported store scheme "bogus:"/);
    // A store that fails to open closes the ones that did (else the SQLite writer thread would keep this file running).
    await assert.rejects(openStore(`sqlite:${join(dir.path, 'c.db')},postgres://127.0.0.1:1/x?connect_timeout_ms=300`), /postgres store/);
  });
});

const skip = (await requireService('postgres')) || (await requireService('nats'));

describe('fan-out over SQLite, PostgreSQL and NATS', { skip }, () => {
  it('writes every event to all three and acknowledges once all have it', async () => {
    using dir = tempDir();
    const db = postgresTestStore();
    const bus = natsTestStore();
    let store: EventStore | undefined;
    try {
      store = await openStore(`sqlite:${join(dir.path, 'local.db')},${db.url},${bus.url}`);
      const entries = Array.from({ length: 20 }, () => eventEntry());
      const outcomes = await store.write({ origin: origin(), entries: [...entries, entries[0]!] });
      assert.deepEqual(outcomes.map((o) => o.status), [...entries.map(() => 'stored'), 'duplicate']);
      assert.equal((await store.health()).ok, true);
      await store.close();
      store = undefined;
      const sqlite = openSqliteReader(join(dir.path, 'local.db'));
      assert.equal(await sqlite.countEvents(), 20);
      await sqlite.close();
      assert.equal(await withPostgres(async (c) => Number((await c.query(`SELECT count(*) AS n FROM "${db.schema}".events`)).rows[0].n)), 20);
      const nats = await openStore(bus.url);
      assert.equal(await (nats as unknown as { countEvents(): Promise<number> }).countEvents(), 20);
      await nats.close();
    } finally {
      await store?.close();
      await db.drop();
      await bus.drop();
    }
  });
});
