import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createAssemblyGate } from '../../src/gateway/assembly-gate.js';
import { createMemoryBudget } from '../../src/gateway/memory-budget.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

it('assembly gate: small requests pass at once; a large one waits for its bytes, holds them until it arrives, and a closed stream gives them back', async () => {
  const memory = createMemoryBudget(3200);
  const [a, b] = [createAssemblyGate(memory), createAssemblyGate(memory)];
  assert.equal(a.requestStarting(200), undefined, 'a sixteenth of the budget or less is not held up');
  assert.equal(memory.inUseBytes, 0);
  assert.equal(a.requestArrived(300), undefined, 'nothing reserved: the payload waits for its share like any other');

  await a.requestStarting(1000);
  assert.equal(memory.inUseBytes, 2000, 'an estimate of its payload share, reserved before the request is assembled');
  let bReady = false;
  const waiting = b.requestStarting(1000)!.then(() => (bReady = true));
  await turn();
  assert.equal(bReady, false, 'a second large request waits: both would not fit');

  const aShare = a.requestArrived(1400)!;
  assert.equal(memory.inUseBytes, 1400, 'the reservation became the exact share at once, with no gap another stream could fill');
  await turn();
  assert.equal(bReady, false, 'still no room for B beside A’s payload');
  aShare();
  await waiting;
  assert.equal(memory.inUseBytes, 2000);

  // A share larger than the estimate is counted in full, past the capacity: its bytes exist already.
  const c = createAssemblyGate(memory);
  let cReady = false;
  const cWaiting = c.requestStarting(1000)!.then(() => (cReady = true));
  const bShare = b.requestArrived(4000)!;
  assert.equal(memory.inUseBytes, 4000);
  await turn();
  assert.equal(cReady, false, 'nothing more is granted while the budget is over');
  bShare();
  await cWaiting;
  c.close();
  b.close();
  assert.equal(memory.inUseBytes, 0);

  // A stream that ends while its reservation is pending gives the bytes back when they come through.
  const hold = await memory.acquire(3000);
  const d = createAssemblyGate(memory);
  const pending = d.requestStarting(1000)!;
  d.close();
  hold();
  await pending;
  assert.equal(memory.inUseBytes, 0);
});
