import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import type { EventEntry } from '../../src/core/store.js';
import { openSqliteStore } from '../../src/adapters/stores/sqlite/sqlite-store.js';
import { openStore } from '../../src/adapters/stores/open-store.js';
import { pollUntil } from '../helpers/poll.js';
import { tempDir } from '../helpers/temp-dir.js';
import { eventEntry, origin } from './store-contract.js';

const DAY_MS = 86_400_000;

function at(timestampMs: number, id?: string): EventEntry {
  return { ...eventEntry(id), timestampMs };
}

async function writeAll(store: ReturnType<typeof openSqliteStore>, entries: EventEntry[]): Promise<void> {
  for (let i = 0; i < entries.length; i += 5000) {
    const outcomes = await store.write({ origin: origin(), entries: entries.slice(i, i + 5000) });
    assert.ok(outcomes.every((o) => o.status === 'stored'));
  }
}

const count = (db: BetterSqlite3.Database, sql: string, ...params: unknown[]): number => db.prepare(sql).pluck().get(...params) as number;

describe('sqlite retention', () => {
  it('deletes events older than the retention by event time, with their dedup keys, in and out of event_keys', async () => {
    using dir = tempDir();
    const path = join(dir.path, 'store.db');
    const now = Date.now();
    // More than one key generation (65,536), so old keys sit both in event_keys and in memory.
    const old = Array.from({ length: 70_000 }, (_, i) => at(now - 10 * DAY_MS + i));
    const recent = Array.from({ length: 50 }, (_, i) => at(now - 1000 + i));
    let store = openSqliteStore(path);
    await writeAll(store, [...old.slice(0, 35_000), ...recent.slice(0, 25), ...old.slice(35_000), ...recent.slice(25)]);
    await store.close();

    const side = new BetterSqlite3(path, { readonly: true });
    const merged = count(side, 'SELECT count(*) FROM event_keys');
    assert.ok(merged > 0 && merged < old.length, `some keys (${merged}) are in event_keys, the rest only in rows read back at open`);
    const maxSeqBefore = count(side, 'SELECT max(seq) FROM events');

    store = openSqliteStore(path, { retentionMs: DAY_MS, retentionIntervalMs: 3_600_000 });
    await pollUntil('old events deleted', () => (count(side, 'SELECT count(*) FROM events') === recent.length ? true : undefined), 30_000);
    assert.equal(count(side, 'SELECT count(*) FROM event_keys WHERE event_ms < ?', now - DAY_MS), 0, 'their keys went with them');
    assert.equal(count(side, 'SELECT count(*) FROM events WHERE event_ms < ?', now - DAY_MS), 0);

    // Dedup stays exact for what is kept; a deleted event's id is new again (documented).
    const resent = await store.write({ origin: origin(), entries: [...recent, old[0]!, old[69_999]!] });
    assert.deepEqual(resent.map((o) => o.status), [...recent.map(() => 'duplicate'), 'stored', 'stored']);
    // Sequence numbers keep growing: readers page by seq.
    assert.ok(count(side, 'SELECT min(seq) FROM events WHERE event_id = ?', old[0]!.id) > maxSeqBefore);
    await store.close();
    // And a restart still knows every kept key (the ones read back from rows and from event_keys).
    store = openSqliteStore(path);
    const again = await store.write({ origin: origin(), entries: [...recent, old[0]!] });
    assert.ok(again.every((o) => o.status === 'duplicate'));
    await store.close();
    side.close();
  });

  it('never deletes the newest row (its seq would be handed out again)', async () => {
    using dir = tempDir();
    const path = join(dir.path, 'store.db');
    const old = Array.from({ length: 10 }, (_, i) => at(Date.now() - 5 * DAY_MS + i));
    let store = openSqliteStore(path);
    await writeAll(store, old);
    await store.close();
    const side = new BetterSqlite3(path, { readonly: true });
    const newest = count(side, 'SELECT max(seq) FROM events');
    store = openSqliteStore(path, { retentionMs: DAY_MS });
    await pollUntil('all but the newest deleted', () => (count(side, 'SELECT count(*) FROM events') === 1 ? true : undefined));
    assert.equal(count(side, 'SELECT seq FROM events'), newest);
    await writeAll(store, [at(Date.now())]);
    assert.equal(count(side, 'SELECT max(seq) FROM events'), newest + 1);
    // The newest old row goes once a newer row exists (the next pass).
    await store.close();
    store = openSqliteStore(path, { retentionMs: DAY_MS });
    await pollUntil('the old row deleted', () => (count(side, 'SELECT count(*) FROM events') === 1 && count(side, 'SELECT max(seq) FROM events') === newest + 1 ? true : undefined));
    await store.close();
    side.close();
  });

  it('deletes old rejected entries and rollups, and gives the pages back (new files are auto_vacuum=INCREMENTAL)', async () => {
    using dir = tempDir();
    const path = join(dir.path, 'store.db');
    let store = openSqliteStore(path);
    const big = Buffer.alloc(4000, 1);
    await store.write({
      origin: origin(),
      entries: Array.from({ length: 2000 }, (_, i) => ({ kind: 'rejected' as const, id: `r${i}`, feature: 'f', action: 'a', reason: 'invalid', bytes: big })),
    });
    await writeAll(store, [at(Date.now())]);
    await store.close();
    const side = new BetterSqlite3(path);
    assert.equal(side.pragma('auto_vacuum', { simple: true }), 2);
    // Age what is there by received time (the gateway stamps it; nothing else can make it old).
    side.prepare('UPDATE rejected_events SET received_ms = received_ms - ?').run(3 * DAY_MS);
    side.prepare('UPDATE event_minutes SET minute_ms = minute_ms - ?').run(3 * DAY_MS);
    side.pragma('wal_checkpoint(TRUNCATE)');
    const pagesBefore = side.pragma('page_count', { simple: true }) as number;

    store = openSqliteStore(path, { retentionMs: DAY_MS });
    await pollUntil('old rejected entries deleted', () => (count(side, 'SELECT count(*) FROM rejected_events') === 1 ? true : undefined));
    await pollUntil('old rollups deleted', () => (count(side, 'SELECT count(*) FROM event_minutes') === 0 ? true : undefined));
    await pollUntil('free pages given back', () => ((side.pragma('freelist_count', { simple: true }) as number) === 0 ? true : undefined));
    await store.close();
    side.pragma('wal_checkpoint(TRUNCATE)');
    const pagesAfter = side.pragma('page_count', { simple: true }) as number;
    assert.ok(pagesAfter < pagesBefore / 2, `file shrank from ${pagesBefore} to ${pagesAfter} pages`);
    side.close();
  });

  it('openStore passes retentionMs to a sqlite: store (on its writer thread)', async () => {
    using dir = tempDir();
    const path = join(dir.path, 'store.db');
    const seed = openSqliteStore(path);
    await writeAll(seed, [at(Date.now() - 3 * DAY_MS), at(Date.now() - 3 * DAY_MS), at(Date.now())]);
    await seed.close();
    const store = await openStore(`sqlite:${path}`, { retentionMs: DAY_MS });
    const side = new BetterSqlite3(path, { readonly: true });
    await pollUntil('old events deleted', () => (count(side, 'SELECT count(*) FROM events') === 1 ? true : undefined));
    side.close();
    await store.close();
    await assert.rejects(openStore(`sqlite:${path}`, { retentionMs: 0 }), /retention must be a positive number of milliseconds/);
  });
});
