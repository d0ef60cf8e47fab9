// `node:test` as the test files see it under scripts/run-tests.mjs: the same
// module, except that `it`/`test` and the hooks get a default timeout
// (TEST_TIMEOUT_MS, 120 s) unless they set their own. A test that hangs then
// fails with "test timed out" under its own name; the others go on.
import * as nodeTest from 'node:test';

export * from 'node:test';

const DEFAULT_TIMEOUT_MS = Number(process.env.TEST_TIMEOUT_MS ?? 120_000);

const withTimeout = (options) => (options?.timeout === undefined ? { ...options, timeout: DEFAULT_TIMEOUT_MS } : options);

/** it/test accept (fn), (name, fn), (options, fn), (name, options, fn): the same normalising node:test does. */
function testArgs(name, options, fn) {
  if (typeof name === 'function') return [undefined, withTimeout({}), name];
  if (name !== null && typeof name === 'object') return [undefined, withTimeout(name), options];
  if (typeof options === 'function') return [name, withTimeout({}), options];
  return [name, withTimeout(options), fn];
}

function boundTest(original) {
  const bound = (...args) => original(...testArgs(...args));
  for (const variant of ['skip', 'todo', 'only']) bound[variant] = (...args) => original[variant](...testArgs(...args));
  return bound;
}

const boundHook = (original) => (fn, options) => original(fn, withTimeout(options));

export const it = boundTest(nodeTest.it);
export const test = boundTest(nodeTest.test);
export const before = boundHook(nodeTest.before);
export const after = boundHook(nodeTest.after);
export const beforeEach = boundHook(nodeTest.beforeEach);
export const afterEach = boundHook(nodeTest.afterEach);
export default test;
