// Loaded with --import by scripts/run-tests.mjs (and so in every test file's
// process): routes the test files' `node:test` imports to node-test.mjs, which
// gives every test and hook a default timeout. Node 20's --test-timeout bounds
// a whole file, not each test, so a hang would otherwise wait for that.
import { register } from 'node:module';

register('./resolve-node-test.mjs', import.meta.url);
