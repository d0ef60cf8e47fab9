import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createConcurrencyLimiter } from '../../src/adapters/stores/concurrency-limiter.js';

describe('concurrency limiter', () => {
  it('runs at most `max` tasks at once and starts the rest in arrival order, thousands of them', async () => {
    const limiter = createConcurrencyLimiter(3);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const tasks = Array.from({ length: 5000 }, (_, i) =>
      limiter.run(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        await new Promise<void>((resolve) => setImmediate(resolve));
        running--;
        return i;
      }),
    );
    assert.deepEqual(await Promise.all(tasks), Array.from({ length: 5000 }, (_, i) => i));
    assert.equal(most, 3);
    assert.deepEqual(started, Array.from({ length: 5000 }, (_, i) => i));
    await limiter.idle();
  });

  it('passes a failed task on to its caller and frees its slot', async () => {
    const limiter = createConcurrencyLimiter(1);
    await assert.rejects(limiter.run(() => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await limiter.run(() => Promise.resolve('next')), 'next');
    let idle = false;
    const slow = limiter.run(() => new Promise((resolve) => setTimeout(resolve, 20)));
    const waited = limiter.idle().then(() => (idle = true));
    assert.equal(idle, false);
    await slow;
    await waited;
    assert.equal(idle, true);
  });
  it('acquire() starts at once while a slot is free, then in arrival order as release() frees slots', async () => {
    const limiter = createConcurrencyLimiter(2);
    const started: number[] = [];
    for (let i = 0; i < 5; i++) limiter.acquire(() => started.push(i));
    assert.deepEqual(started, [0, 1]);
    limiter.release();
    assert.deepEqual(started, [0, 1, 2]);
    let idle = false;
    const waited = limiter.idle().then(() => (idle = true));
    limiter.release();
    limiter.release();
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    limiter.release();
    await Promise.resolve();
    assert.equal(idle, false);
    limiter.release();
    await waited;
    assert.equal(idle, true);
  });
});
