import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openSqliteQueue } from '../../src/adapters/queues/sqlite-queue.js';
import { createExportLoop } from '../../src/exporter/export-loop.js';
import type { QueuedEvent } from '../../src/exporter/queue.js';
import { pollUntil } from '../helpers/poll.js';
import { tempDir } from '../helpers/temp-dir.js';

const queued = (i: number): QueuedEvent => ({ id: `q-${i}`, timestampMs: 1_000 + i, bytes: Buffer.from(`event ${i}`) });

describe('SQLite export queue', () => {
  it('keeps events in order, ignores re-queued ids, pages by cursor, and survives reopening', async () => {
    using dir = tempDir();
    const path = join(dir.path, 'queue.db');
    const queue = openSqliteQueue(path);
    // Concurrent enqueues share a commit and all resolve.
    await Promise.all(Array.from({ length: 10 }, (_, b) => queue.enqueue(Array.from({ length: 10 }, (_, i) => queued(b * 10 + i)))));
    await queue.enqueue([{ ...queued(5), bytes: Buffer.from('changed') }]);
    await queue.close();
    await queue.close(); // idempotent

    const reopened = openSqliteQueue(path);
    try {
      const first = await reopened.pending({ limit: 30 });
      assert.equal(first.length, 30);
      assert.deepEqual(Buffer.from(first[5]!.bytes).toString(), 'event 5');
      const next = await reopened.pending({ limit: 1000, afterSeq: first[29]!.seq });
      assert.equal(next.length, 70);
      assert.deepEqual(
        [...first, ...next].map((e) => e.id).sort(),
        Array.from({ length: 100 }, (_, i) => `q-${i}`).sort(),
      );
      assert.deepEqual(await reopened.stats(2_000), { pending: 100, oldestPendingAgeMs: 1_000, exportedKept: 0 });
    } finally {
      await reopened.close();
    }
  });

  it('marks exported ids, lists what left newest first, and deletes them after retention', async () => {
    using dir = tempDir();
    const queue = openSqliteQueue(join(dir.path, 'queue.db'));
    try {
      await queue.enqueue([queued(1), queued(2), queued(3)]);
      await queue.markExported(['q-1', 'unknown'], 10_000);
      await queue.markExported(['q-2'], 20_000);
      await queue.markExported(['q-1'], 99_000); // already exported: keeps its first time
      assert.deepEqual((await queue.pending({ limit: 10 })).map((e) => e.id), ['q-3']);
      assert.deepEqual((await queue.recentlyExported(10)).map((e) => [e.id, e.exportedAtMs]), [['q-2', 20_000], ['q-1', 10_000]]);
      assert.equal(await queue.deleteExportedBefore(15_000), 1);
      assert.deepEqual(await queue.stats(30_000), { pending: 1, oldestPendingAgeMs: 30_000 - 1_003, exportedKept: 1 });
    } finally {
      await queue.close();
    }
  });

  it('the export loop applies retention on start and on every check', async () => {
    using dir = tempDir();
    const queue = openSqliteQueue(join(dir.path, 'queue.db'));
    const deleted: number[] = [];
    const loop = createExportLoop({
      queue,
      connect: () => {
        throw new Error('no gateway in this test');
      },
      intervalMs: 3_600_000,
      batchSize: 10,
      retentionMs: 60_000,
      retentionCheckMs: 50,
      observer: { runFinished() {}, retentionApplied: (n) => deleted.push(n) },
    });
    try {
      await queue.enqueue([queued(1), queued(2)]);
      await queue.markExported(['q-1'], Date.now() - 120_000);
      await queue.markExported(['q-2'], Date.now());
      loop.start();
      await pollUntil('retention to delete the old row', () => (deleted.includes(1) ? true : undefined));
      assert.equal((await queue.stats(Date.now())).exportedKept, 1);
    } finally {
      await loop.close();
      await queue.close();
    }
  });
});
