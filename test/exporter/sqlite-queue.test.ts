import assert from 'node:assert/strict';
import BetterSqlite3 from 'better-sqlite3';
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

it('sqlite queue: a file from before payloads had their own table keeps its pending, exported and failed events, seqs and counters', async () => {
  using dir = tempDir();
  const path = join(dir.path, 'queue.db');
  // The layout this queue wrote before (payload inline in queued_events), with its count triggers.
  const old = new BetterSqlite3(path);
  old.exec(`
    CREATE TABLE queued_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, timestamp_ms INTEGER NOT NULL,
      payload BLOB NOT NULL, exported_at_ms INTEGER);
    CREATE INDEX queued_events_pending ON queued_events(seq) WHERE exported_at_ms IS NULL;
    CREATE INDEX queued_events_exported ON queued_events(exported_at_ms) WHERE exported_at_ms IS NOT NULL;
    CREATE TABLE failed_events (id TEXT PRIMARY KEY, timestamp_ms INTEGER NOT NULL, payload BLOB NOT NULL, failed_at_ms INTEGER NOT NULL, reason TEXT NOT NULL);
    CREATE TABLE queue_counters (id INTEGER PRIMARY KEY CHECK (id = 1), pending_events INTEGER NOT NULL, pending_bytes INTEGER NOT NULL);
    INSERT INTO queue_counters VALUES (1, 2, 7);
    CREATE TRIGGER queued_events_counted_in AFTER INSERT ON queued_events BEGIN
      UPDATE queue_counters SET pending_events = pending_events + 1, pending_bytes = pending_bytes + length(NEW.payload) WHERE id = 1;
    END;
    INSERT INTO queued_events (seq, id, timestamp_ms, payload, exported_at_ms) VALUES
      (1, 'sent', 10, x'010203', 500), (2, 'left-1', 11, x'0405', NULL), (7, 'left-2', 12, x'060708090a', NULL);
    INSERT INTO failed_events VALUES ('bad', 9, x'ff', 400, 'too large');
    UPDATE queue_counters SET pending_events = 2, pending_bytes = 7;
  `);
  old.close();

  const queue = openSqliteQueue(path);
  try {
    const pending = await queue.pending({ limit: 10 });
    assert.deepEqual(
      pending.map((e) => [e.seq, e.id, e.timestampMs, [...e.bytes]]),
      [
        [2, 'left-1', 11, [4, 5]],
        [7, 'left-2', 12, [6, 7, 8, 9, 10]],
      ],
    );
    assert.deepEqual((await queue.recentlyExported(10)).map((e) => [e.id, [...e.bytes], e.exportedAtMs]), [['sent', [1, 2, 3], 500]]);
    assert.deepEqual((await queue.recentlyFailed(10)).map((e) => [e.id, e.reason]), [['bad', 'too large']]);
    assert.deepEqual(await queue.stats(1_000), { pending: 2, pendingBytes: 7, oldestPendingAgeMs: 989, exportedKept: 1, failed: 1 });

    await queue.enqueue([{ id: 'new', timestampMs: 13, bytes: Buffer.from([1]) }]);
    const all = await queue.pending({ limit: 10 });
    assert.ok(all.at(-1)!.seq > 7, `a new event must not reuse a seq: ${all.at(-1)!.seq}`);
    await queue.markExported(['left-1', 'left-2', 'new'], 600);
    assert.deepEqual(await queue.stats(1_000), { pending: 0, pendingBytes: 0, oldestPendingAgeMs: null, exportedKept: 4, failed: 1 });
    assert.equal(await queue.deleteExportedBefore(700), 5);
  } finally {
    await queue.close();
  }
});
