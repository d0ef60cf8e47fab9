import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'node:test';
import { REPO } from './helpers/paths.js';

/**
 * scripts/run-tests.mjs bounds every test (a hang fails under its own name and
 * the rest go on) and ends a red run with one line per failed test.
 */
it('run-tests: a hung test times out by name, a test may set a longer timeout, failures are listed at the end', { timeout: 60_000 }, () => {
  // Without NODE_TEST_CONTEXT: node sets it for the test files it runs, and a nested runner that
  // inherits it reports to this one instead of running as a runner of its own.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const run = spawnSync(process.execPath, [join(REPO, 'scripts/run-tests.mjs'), 'scripts/test-harness/probe.fixture.ts'], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...env, TEST_TIMEOUT_MS: '1000' },
  });
  assert.equal(run.status, 1, run.stderr);
  const summary = run.stdout.slice(run.stdout.indexOf('\nFAILED'));
  assert.deepEqual(summary.split('\n').filter((line) => line.startsWith('scripts/')), [
    'scripts/test-harness/probe.fixture.ts: outer > fails (Expected values to be strictly equal:)',
    'scripts/test-harness/probe.fixture.ts: outer > hangs (test timed out after 1000ms)',
  ]);
  assert.match(run.stdout, /✔ waits within its own timeout/);
  assert.match(run.stdout, /✔ passes/);
});
