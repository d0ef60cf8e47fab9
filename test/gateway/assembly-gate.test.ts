import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createAssemblyGate } from '../../src/gateway/assembly-gate.js';
import { createMemoryBudget } from '../../src/gateway/memory-budget.js';

it('assembly gate: small requests pass at once; a large one waits for its bytes, holds them until it arrives, and a closed stream gives them back', async () => {
  const memory = createMemoryBudget(1600);
  const [a, b] = [createAssemblyGate(memory), createAssemblyGate(memory)];
  assert.equal(a.requestStarting(100), undefined, 'a sixteenth of the budget or less is not held up');
  assert.equal(memory.inUseBytes, 0);

  await a.requestStarting(1000);
  assert.equal(memory.inUseBytes, 1000, 'reserved before the request is assembled');
  let bReady = false;
  const waiting = b.requestStarting(1000)!.then(() => (bReady = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(bReady, false, 'a second large request waits: both would not fit');

  a.requestArrived(); // A's payload now takes its own share instead
  await waiting;
  assert.equal(memory.inUseBytes, 1000);
  b.close();
  assert.equal(memory.inUseBytes, 0);

  // A stream that ends while its reservation is pending gives the bytes back when they come through.
  const hold = await memory.acquire(1500);
  const c = createAssemblyGate(memory);
  const pending = c.requestStarting(1000)!;
  c.close();
  hold();
  await pending;
  assert.equal(memory.inUseBytes, 0);
});
