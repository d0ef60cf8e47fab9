// Run by test/harness.test.ts through scripts/run-tests.mjs (not a *.test.ts: the suite never runs it
// itself). One test fails, one hangs past the default timeout, one sets a longer timeout of its own.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

describe('outer', () => {
  it('fails', () => assert.equal(1, 2));
  // The test's signal aborts when it times out, so the hang leaves no timer behind to hold the process.
  it('hangs', async (t) => {
    await sleep(60_000, undefined, { signal: t.signal });
  });
  it('waits within its own timeout', { timeout: 10_000 }, async () => {
    await sleep(Number(process.env.TEST_TIMEOUT_MS) * 2);
  });
  it('passes', () => {});
});
