import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { openSqliteStore } from '../../src/adapters/stores/sqlite/sqlite-store.js';
import { pollUntil } from '../helpers/poll.js';
import { tempDir } from '../helpers/temp-dir.js';
import { BASE_MS, BATCH, entry, origin, TOTAL } from './sqlite-event-keys-fixtures.js';

/**
 * The SQLite store deduplicates by (event time, id) with recent keys in memory
 * and older ones merged into event_keys in bulk (event-keys.ts). Enough events
 * here to pass through every stage: merged, being merged, in memory; each must
 * stay exact, also after reopening the file.
 */
it('deduplicates exactly across in-memory, merging and merged keys, and after reopening', async () => {
  using dir = tempDir();
  const path = join(dir.path, 'keys.db');
  let store = openSqliteStore(path);
  for (let start = 0; start < TOTAL; start += BATCH) {
    const outcomes = await store.write({ origin, entries: Array.from({ length: BATCH }, (_, k) => entry(start + k)) });
    assert.ok(outcomes.every((o) => o.status === 'stored'), `batch at ${start}`);
  }
  // Keys really moved to the table (else this test would only exercise the in-memory stage).
  const merged = new BetterSqlite3(path, { readonly: true }).prepare('SELECT count(*) FROM event_keys').pluck().get() as number;
  assert.ok(merged >= 65_536, `only ${merged} keys merged`);

  const sample = [0, 1, 70_000, 130_000, 150_000, TOTAL - 2, TOTAL - 1];
  const resend = async (): Promise<string[]> =>
    (await store.write({ origin, entries: [...sample.map((i) => entry(i)), entry(TOTAL + sample.length)] })).map((o) => o.status);
  assert.deepEqual(await resend(), [...sample.map(() => 'duplicate'), 'stored']);

  await store.close();
  store = openSqliteStore(path);
  assert.deepEqual(await resend(), [...sample.map(() => 'duplicate'), 'duplicate']);
  assert.equal(await store.countEvents(), TOTAL + 1);

  // The key is (time, id): the same id at another time is another event.
  assert.deepEqual((await store.write({ origin, entries: [entry(5, BASE_MS - 1)] })).map((o) => o.status), ['stored']);
  await store.close();
});

it('stays exact after kill -9 in the middle of writing (and of merging keys)', async () => {
  using dir = tempDir();
  const path = join(dir.path, 'killed.db');
  // A child process writes batches and reports each acknowledged batch; it is killed mid-stream.
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./sqlite-event-keys-writer.ts', import.meta.url)), path, String(TOTAL)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let acknowledged = 0;
  const killed = new Promise<void>((resolve) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) acknowledged = Math.max(acknowledged, Number(line));
      if (acknowledged >= 120_000 && child.exitCode === null && !child.killed) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('exit', () => resolve());
  });
  await killed;
  await once(child, 'exit');
  assert.ok(acknowledged >= 120_000, `child acknowledged only ${acknowledged}`);

  const store = openSqliteStore(path);
  try {
    // Re-send everything: what was acknowledged is a duplicate, the rest is stored; nothing twice.
    for (let start = 0; start < TOTAL; start += BATCH) {
      const outcomes = await store.write({ origin, entries: Array.from({ length: BATCH }, (_, k) => entry(start + k)) });
      if (start + BATCH <= acknowledged) assert.ok(outcomes.every((o) => o.status === 'duplicate'), `batch at ${start}`);
    }
    assert.equal(await store.countEvents(), TOTAL);
  } finally {
    await store.close();
  }
});

it('moves a frozen generation of keys to event_keys while no writes come, and marks them merged (a restart reads back only later rows)', async () => {
  using dir = tempDir();
  const path = join(dir.path, 'idle.db');
  const store = openSqliteStore(path);
  // One generation (65,536 keys) and a bit: the next commit freezes it, and each commit moves a small slice.
  const count = 70_000;
  for (let start = 0; start < count; start += BATCH) {
    await store.write({ origin, entries: Array.from({ length: Math.min(BATCH, count - start) }, (_, k) => entry(start + k)) });
  }
  const reader = new BetterSqlite3(path, { readonly: true });
  try {
    const through = reader.prepare(`SELECT value FROM store_meta WHERE key = 'keys_through_seq'`).pluck();
    // Nothing written from here on: the rest of the generation moves in the store's idle moments.
    const merged = await pollUntil('the frozen generation in event_keys', () => {
      const keys = reader.prepare('SELECT count(*) FROM event_keys').pluck().get() as number;
      return keys >= 65_536 && (through.get() as number) >= 65_536 ? keys : undefined;
    });
    assert.ok(merged >= 65_536);
    assert.deepEqual((await store.write({ origin, entries: [entry(3), entry(69_999)] })).map((o) => o.status), ['duplicate', 'duplicate']);
  } finally {
    reader.close();
    await store.close();
  }
});

it('takes one commit of more keys than a generation table holds (a huge payload of tiny events), and stays exact', async () => {
  using dir = tempDir();
  const store = openSqliteStore(join(dir.path, 'huge.db'));
  try {
    const count = 300_000; // past half of any table size the store starts with: the table must grow
    const entries = Array.from({ length: count }, (_, k) => entry(k));
    assert.ok((await store.write({ origin, entries })).every((o) => o.status === 'stored'));
    const again = await store.write({ origin, entries: [entry(0), entry(count - 1), entry(count)] });
    assert.deepEqual(again.map((o) => o.status), ['duplicate', 'duplicate', 'stored']);
    assert.equal(await store.countEvents(), count + 1);
  } finally {
    await store.close();
  }
});
