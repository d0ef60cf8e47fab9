import assert from 'node:assert/strict';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { openSqliteQueue } from '../../src/adapters/queues/sqlite-queue.js';
import type { EventQueue } from '../../src/exporter/queue.js';
import { tempDir } from '../helpers/temp-dir.js';
import { queueContract } from './queue-contract.js';

queueContract('sqlite', async () => {
  const dir = tempDir();
  const path = join(dir.path, 'queue.db');
  const others: EventQueue[] = [];
  return {
    queue: openSqliteQueue(path),
    reopen: async () => openSqliteQueue(path),
    async withLimits(limits) {
      const queue = openSqliteQueue(path, limits);
      others.push(queue);
      return queue;
    },
    cleanup: async () => {
      for (const queue of others) await queue.close();
      dir[Symbol.dispose]();
    },
  };
});

it('sqlite queue: the file shrinks once retention deletes what was exported (incremental vacuum)', async () => {
  using dir = tempDir();
  const path = join(dir.path, 'queue.db');
  const queue = openSqliteQueue(path);
  try {
    const size = () => statSync(path).size + (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    const ids: string[] = [];
    for (let chunk = 0; chunk < 20; chunk++) {
      const events = Array.from({ length: 1000 }, (_, i) => ({ id: `e-${chunk}-${i}`, timestampMs: 1, bytes: Buffer.alloc(1000, i) }));
      await queue.enqueue(events);
      ids.push(...events.map((e) => e.id));
    }
    await queue.markExported(ids.slice(0, 19_500), 1_000);
    await queue.deleteExportedBefore(0); // nothing old enough: checkpoints nothing
    const full = size();
    assert.ok(full > 20_000_000, `expected a 20 MB queue, got ${full}`);
    assert.equal(await queue.deleteExportedBefore(2_000), 19_500);
    const after = size();
    assert.ok(after < full / 5, `the file should shrink after retention: ${full} -> ${after} bytes`);
    assert.equal((await queue.stats(2_000)).pending, 500);
  } finally {
    await queue.close();
  }
});

it('sqlite queue: the file and its -wal/-shm are created 0600 in a directory created 0700, and a wider existing file is narrowed', async () => {
  using dir = tempDir();
  const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);
  const nested = join(dir.path, 'state', 'exporter');
  const path = join(nested, 'queue.db');
  const queue = openSqliteQueue(path);
  try {
    await queue.enqueue([{ id: 'e-1', timestampMs: 1, bytes: Buffer.from('private') }]);
    assert.equal(mode(join(dir.path, 'state')), '700');
    assert.equal(mode(nested), '700');
    for (const file of [path, `${path}-wal`, `${path}-shm`]) assert.equal(mode(file), '600', file);
  } finally {
    await queue.close();
  }

  const older = join(dir.path, 'older.db');
  writeFileSync(older, '');
  chmodSync(older, 0o644);
  const reopened = openSqliteQueue(older);
  try {
    await reopened.enqueue([{ id: 'e-2', timestampMs: 1, bytes: Buffer.from('private') }]);
    for (const file of [older, `${older}-wal`, `${older}-shm`]) assert.equal(mode(file), '600', file);
  } finally {
    await reopened.close();
  }
});
