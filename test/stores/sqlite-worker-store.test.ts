import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { MaintenanceReport } from '../../src/core/store.js';
import { runBackgroundCheckpoints } from '../../src/adapters/stores/sqlite/background-checkpoints.js';
import { openSqliteReader } from '../../src/adapters/stores/sqlite/sqlite-store.js';
import { openSqliteWorkerStore, whenWorkerReady } from '../../src/adapters/stores/sqlite/sqlite-worker-store.js';
import { pollUntil } from '../helpers/poll.js';
import { tempDir } from '../helpers/temp-dir.js';
import { describeStoreContract, eventEntry, origin } from './store-contract.js';

describeStoreContract('sqlite on a writer thread', async () => {
  const dir = tempDir();
  const path = join(dir.path, 'store.db');
  const store = await openSqliteWorkerStore(path);
  const reader = openSqliteReader(path);
  return {
    store,
    reader,
    async reopen() {
      await store.close();
      return { store: await openSqliteWorkerStore(path), reader };
    },
    async cleanup() {
      await reader.close();
      dir[Symbol.dispose]();
    },
  };
});

it('sqlite on a writer thread: an unusable path fails the open with the reason', async () => {
  using dir = tempDir();
  const file = join(dir.path, 'a-file');
  writeFileSync(file, 'not a directory');
  await assert.rejects(openSqliteWorkerStore(join(file, 'store.db')), /EEXIST|ENOTDIR|not a directory/i);
});

// The open used to wait forever for a thread that ended without a word; the timeout turns such a hang into a failure.
it('sqlite on a writer thread: a thread that exits before answering fails the open with its exit code', { timeout: 10_000 }, async () => {
  const worker = new Worker('process.exit(3)', { eval: true });
  await assert.rejects(whenWorkerReady(worker), /exited with code 3 before opening the database/);
});

it('sqlite on a writer thread: entry bytes that are views into a larger buffer arrive exactly', async () => {
  using dir = tempDir();
  const path = join(dir.path, 'store.db');
  const store = await openSqliteWorkerStore(path);
  const request = Buffer.from('....first....second....');
  const first = { ...eventEntry(), bytes: request.subarray(4, 9) };
  const second = { ...eventEntry(), bytes: request.subarray(13, 19) };
  assert.deepEqual((await store.write({ origin: origin(), entries: [first, second] })).map((o) => o.status), ['stored', 'stored']);
  await store.close();
  const reader = openSqliteReader(path);
  const rows = await reader.listEvents({ limit: 10 });
  assert.deepEqual(rows.map((r) => Buffer.from(r.eventBytes).toString()), ['first', 'second']);
  await reader.close();
});

// The writer's own checkpoint waits for 16 MiB of WAL (4,096 pages; SQLite's default would be 1,000):
// 1.5 MB of events (~400 pages) reach the database file only through the checkpointer thread.
it('sqlite on a writer thread: committed pages are copied into the database file by the checkpointer thread', async () => {
  using dir = tempDir();
  const path = join(dir.path, 'store.db');
  const store = await openSqliteWorkerStore(path);
  try {
    const sizeBefore = statSync(path).size;
    const bytes = Buffer.alloc(900, 7);
    for (let batch = 0; batch < 3; batch++) {
      const entries = Array.from({ length: 500 }, () => ({ ...eventEntry(), bytes }));
      const outcomes = await store.write({ origin: origin(), entries });
      assert.ok(outcomes.every((o) => o.status === 'stored'));
    }
    await pollUntil('the database file to take the committed pages', () => (statSync(path).size >= sizeBefore + 1_000_000 ? true : undefined));
  } finally {
    await store.close();
  }
});

// A checkpointer thread that fails (here: its file does not exist) is reported, and started again.
it('sqlite checkpointer: a thread that fails is reported as a failed maintenance pass and started again', async () => {
  using dir = tempDir();
  const reports: MaintenanceReport[] = [];
  const checkpoints = runBackgroundCheckpoints(join(dir.path, 'missing.db'), { intervalMs: 10, restartMs: 50, report: (r) => reports.push(r) });
  try {
    await pollUntil('two failures: the first thread and the one started after it', () => (reports.length >= 2 ? true : undefined));
  } finally {
    await checkpoints.stop();
  }
  for (const report of reports) {
    assert.equal(report.ok, false);
    assert.match(report.ok ? '' : report.reason, /^sqlite checkpointer thread failed .*: unable to open database file \(SQLITE_CANTOPEN\)$/);
  }
  // Stopped: no thread is started again.
  const seen = reports.length;
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(reports.length, seen);
});
