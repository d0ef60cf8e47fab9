import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createExportLoop } from '../../src/exporter/export-loop.js';
import type { EventQueue, QueuedEvent } from '../../src/exporter/queue.js';
import { pollUntil } from '../helpers/poll.js';

export interface QueueUnderTest {
  queue: EventQueue;
  /** A second handle on the same durable queue (after closing the first). */
  reopen(): Promise<EventQueue>;
  cleanup(): Promise<void>;
}

const queued = (i: number): QueuedEvent => ({ id: `q-${i}`, timestampMs: 1_000 + i, bytes: Buffer.from(`event ${i}`) });

/** One behaviour suite for every exporter queue. */
export function queueContract(name: string, open: () => Promise<QueueUnderTest>, skip: () => Promise<string | false> = async () => false): void {
  const withQueue = (test: (q: QueueUnderTest) => Promise<void>) => async () => {
    const q = await open();
    try {
      await test(q);
    } finally {
      await q.cleanup();
    }
  };

  describe(`exporter queue contract: ${name}`, async () => {
    const reason = await skip();
    const options = { skip: reason };

    it('keeps events in order, ignores re-queued ids, pages by cursor, and survives reopening', options, withQueue(async ({ queue, reopen }) => {
      await Promise.all(Array.from({ length: 10 }, (_, b) => queue.enqueue(Array.from({ length: 10 }, (_, i) => queued(b * 10 + i)))));
      await queue.enqueue([{ ...queued(5), bytes: Buffer.from('changed') }]);
      await queue.close();
      await queue.close(); // idempotent

      const reopened = await reopen();
      try {
        const first = await reopened.pending({ limit: 30 });
        assert.equal(first.length, 30);
        const all = [...first, ...(await reopened.pending({ limit: 1000, afterSeq: first[29]!.seq }))];
        assert.deepEqual(all.map((e) => e.id).sort(), Array.from({ length: 100 }, (_, i) => `q-${i}`).sort());
        assert.equal(Buffer.from(all.find((e) => e.id === 'q-5')!.bytes).toString(), 'event 5');
        for (let b = 0; b < 10; b++) {
          const batch = all.filter((e) => Number(e.id.slice(2)) >= b * 10 && Number(e.id.slice(2)) < b * 10 + 10);
          assert.deepEqual(batch.map((e) => e.id), Array.from({ length: 10 }, (_, i) => `q-${b * 10 + i}`), 'one enqueue keeps its order');
        }
        assert.deepEqual(await reopened.stats(2_000), { pending: 100, oldestPendingAgeMs: 1_000, exportedKept: 0 });
      } finally {
        await reopened.close();
      }
    }));

    it('marks exported ids, lists what left newest first, and deletes them after retention', options, withQueue(async ({ queue }) => {
      await queue.enqueue([queued(1), queued(2), queued(3)]);
      await queue.markExported(['q-1', 'unknown'], 10_000);
      await queue.markExported(['q-2'], 20_000);
      await queue.markExported(['q-1'], 99_000); // already exported: keeps its first time
      assert.deepEqual((await queue.pending({ limit: 10 })).map((e) => e.id), ['q-3']);
      assert.deepEqual((await queue.recentlyExported(10)).map((e) => [e.id, e.exportedAtMs]), [['q-2', 20_000], ['q-1', 10_000]]);
      assert.equal(await queue.deleteExportedBefore(15_000), 1);
      assert.deepEqual(await queue.stats(30_000), { pending: 1, oldestPendingAgeMs: 30_000 - 1_003, exportedKept: 1 });
      await queue.close();
    }));

    it('the export loop applies retention on start and on every check', options, withQueue(async ({ queue }) => {
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
    }));
  });
}
