import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createExportLoop } from '../../src/exporter/export-loop.js';
import { QueueFullError, type EventQueue, type QueueLimits, type QueuedEvent } from '../../src/exporter/queue.js';
import { pollUntil } from '../helpers/poll.js';

export interface QueueUnderTest {
  queue: EventQueue;
  /** Another handle on the same queue with these limits (closed by cleanup). */
  withLimits(limits: QueueLimits): Promise<EventQueue>;
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
        assert.deepEqual(await reopened.stats(2_000), { pending: 100, pendingBytes: 10 * 7 + 90 * 8, oldestPendingAgeMs: 1_000, exportedKept: 0, failed: 0 });
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
      assert.deepEqual(await queue.stats(30_000), { pending: 1, pendingBytes: 7, oldestPendingAgeMs: 30_000 - 1_003, exportedKept: 1, failed: 0 });
      await queue.close();
    }));

    it('marks exactly the acknowledged ids after paging through pending events (gaps, set-aside rows, other pages)', options, withQueue(async ({ queue }) => {
      await queue.enqueue(Array.from({ length: 40 }, (_, i) => queued(i)));
      const first = await queue.pending({ limit: 20 });
      const second = await queue.pending({ limit: 20, afterSeq: first[19]!.seq });
      await queue.markFailed([{ id: 'q-5', reason: 'poison' }], 1);
      await queue.enqueue([queued(40)]); // arrives while the run is in progress
      const acked = ['q-0', 'q-1', 'q-2', 'q-3', 'q-4', 'q-6', 'q-7', 'q-9', 'q-19', 'q-20', 'q-21', 'q-39', 'q-40'];
      await queue.markExported(acked.slice(0, 6), 10);
      await queue.markExported(acked.slice(6), 10);
      const left = new Set((await queue.pending({ limit: 100 })).map((e) => e.id));
      const expected = [...first, ...second].map((e) => e.id).filter((id) => id !== 'q-5' && !acked.includes(id));
      assert.deepEqual([...left].sort(), expected.sort());
      assert.equal((await queue.stats(0)).exportedKept, acked.length);
      await queue.close();
    }));

    it('sets poison events aside as failed, with the reason: no longer pending, listed, counted, deleted after retention', options, withQueue(async ({ queue }) => {
      await queue.enqueue([queued(1), queued(2), queued(3)]);
      await queue.markFailed([{ id: 'q-2', reason: 'RecordEvents failed: RESOURCE_EXHAUSTED: too large' }, { id: 'unknown', reason: 'x' }], 50_000);
      assert.deepEqual((await queue.pending({ limit: 10 })).map((e) => e.id), ['q-1', 'q-3']);
      const [failed, ...none] = await queue.recentlyFailed(10);
      assert.deepEqual(none, []);
      assert.deepEqual({ ...failed!, bytes: Buffer.from(failed!.bytes).toString() }, { id: 'q-2', timestampMs: 1_002, bytes: 'event 2', failedAtMs: 50_000, reason: 'RecordEvents failed: RESOURCE_EXHAUSTED: too large' });
      assert.deepEqual(await queue.stats(60_000), { pending: 2, pendingBytes: 14, oldestPendingAgeMs: 60_000 - 1_001, exportedKept: 0, failed: 1 });
      await queue.markExported(['q-2'], 60_000); // set aside: not marked exported
      assert.equal((await queue.stats(60_000)).exportedKept, 0);
      assert.equal(await queue.deleteExportedBefore(40_000), 0);
      assert.equal(await queue.deleteExportedBefore(51_000), 1);
      assert.equal((await queue.stats(60_000)).failed, 0);
      await queue.close();
    }));

    it('a bounded queue refuses new events when full (QueueFullError, none of them queued) and never drops queued ones', options, withQueue(async ({ queue, withLimits }) => {
      const bounded = await withLimits({ maxPendingEvents: 5 });
      await bounded.enqueue([1, 2, 3, 4].map(queued));
      await assert.rejects(bounded.enqueue([queued(5), queued(6)]), (error: unknown) => error instanceof QueueFullError && /5/.test(error.message));
      await bounded.enqueue([queued(5)]);
      await assert.rejects(bounded.enqueue([queued(6)]), QueueFullError);
      assert.deepEqual((await queue.pending({ limit: 10 })).map((e) => e.id), ['q-1', 'q-2', 'q-3', 'q-4', 'q-5']);
      await queue.markExported(['q-1', 'q-2'], Date.now());
      await bounded.enqueue([queued(6), queued(7)]); // room again once exported
      await assert.rejects(bounded.enqueue([queued(8)]), QueueFullError);

      const byBytes = await withLimits({ maxPendingBytes: 5 * 7 + 10 });
      await assert.rejects(byBytes.enqueue([queued(8), queued(9)]), /bytes pending/);
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
