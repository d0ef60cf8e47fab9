import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { openSqliteStore } from '../../src/adapters/stores/sqlite/sqlite-store.js';
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
