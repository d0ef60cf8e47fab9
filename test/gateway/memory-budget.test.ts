import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryBudget } from '../../src/gateway/memory-budget.js';

/** Resolves to the order in which the given acquisitions were granted. */
function grantOrder(grants: Record<string, Promise<() => void>>): { order: string[]; releases: Map<string, () => void> } {
  const order: string[] = [];
  const releases = new Map<string, () => void>();
  for (const [name, grant] of Object.entries(grants)) {
    void grant.then((release) => {
      order.push(name);
      releases.set(name, release);
    });
  }
  return { order, releases };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('memory budget', () => {
  it('grants at once what fits, makes the rest wait, and counts what is in use', async () => {
    const budget = createMemoryBudget(100);
    const a = await budget.acquire(60);
    assert.equal(budget.inUseBytes, 60);
    const { order } = grantOrder({ b: budget.acquire(50) });
    await settle();
    assert.deepEqual(order, []);
    a();
    a(); // a second call gives nothing back twice
    await settle();
    assert.deepEqual(order, ['b']);
    assert.equal(budget.inUseBytes, 50);
  });

  it('lets a request larger than the whole budget go alone once nothing else is in flight', async () => {
    const budget = createMemoryBudget(100);
    const a = await budget.acquire(10);
    const { order } = grantOrder({ huge: budget.acquire(500) });
    await settle();
    assert.deepEqual(order, []);
    a();
    await settle();
    assert.deepEqual(order, ['huge']);
  });

  it('serves the stream holding least first, a small request before a large one, then arrival order', async () => {
    const budget = createMemoryBudget(160);
    const flood = {};
    const floodFirst = await budget.acquire(50, flood);
    await budget.acquire(50, flood); // the flood's second payload stays in flight throughout
    const other = {};
    const otherInFlight = await budget.acquire(60, other);
    // Budget spent: everyone below waits, in this arrival order.
    const { order, releases } = grantOrder({
      floodNext: budget.acquire(100, flood), // its stream holds 100
      bigNewcomer: budget.acquire(100, {}), // holds nothing, large
      smallNewcomer: budget.acquire(5, {}), // holds nothing, small (<= 160/16)
      otherNext: budget.acquire(5, other), // holds 60 until its payload is answered
    });
    await settle();
    assert.deepEqual(order, []);
    otherInFlight(); // 60 free; the other stream now holds nothing: both small ones go, the earlier first
    await settle();
    assert.deepEqual(order, ['smallNewcomer', 'otherNext']);
    // bigNewcomer (holds nothing) is next and does not fit yet; nothing smaller behind it jumps it
    floodFirst(); // the flood still holds 50: bigNewcomer goes before floodNext
    await settle();
    assert.deepEqual(order, ['smallNewcomer', 'otherNext', 'bigNewcomer']);
    releases.get('bigNewcomer')!();
    await settle();
    assert.deepEqual(order, ['smallNewcomer', 'otherNext', 'bigNewcomer', 'floodNext']);
  });
});
