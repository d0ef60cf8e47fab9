#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's test runner (through tsx). Files are
// listed explicitly: on Node 20, `node --test test/` finds no .ts files at all.
// Then scans everything the gateways and exporters under test logged for the
// secrets the tests used (scripts/secrets-hygiene.mjs): there must be none.
//
// Bounds, so a hang fails under its own name instead of waiting for an outer kill:
// - each test and hook: TEST_TIMEOUT_MS (120 s) unless it sets its own
//   (scripts/test-harness/node-test.mjs; Node 20's --test-timeout does not do this);
// - each file: TEST_FILE_TIMEOUT_MS (20 min), through --test-timeout, which on
//   Node 20 bounds a file's whole process (one left running after its tests).
// A red run ends with one line per failed test (scripts/test-harness/failure-summary.mjs).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanForSecrets } from './secrets-hygiene.mjs';

const harness = (file) => fileURLToPath(new URL(`./test-harness/${file}`, import.meta.url));
const FILE_TIMEOUT_MS = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 20 * 60_000);

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return find(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : find('test').sort();
if (files.length === 0) {
  console.error('no test files found under test/');
  process.exit(1);
}
const logDir = mkdtempSync(join(tmpdir(), 'tgw-test-log-'));
const logFile = join(logDir, 'test.log');
const summaryFile = join(logDir, 'failures.txt');
// One file at a time: tests share the machine's ports, databases and two cores.
const result = spawnSync(
  process.execPath,
  [
    '--import', 'tsx',
    '--import', harness('register.mjs'),
    '--test',
    '--test-concurrency=1',
    `--test-timeout=${FILE_TIMEOUT_MS}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${harness('failure-summary.mjs')}`, `--test-reporter-destination=${summaryFile}`,
    ...files,
  ],
  { stdio: 'inherit', env: { ...process.env, TGW_TEST_LOG: logFile } },
);
const failures = readFileSync(summaryFile, { encoding: 'utf8', flag: 'a+' }).trim();
if (failures !== '') console.log(`\nFAILED (${failures.split('\n').length}):\n${failures}\n`);
else if (result.status !== 0) console.log(`\nFAILED: the test run exited with ${result.status ?? result.signal} without naming a failed test\n`);
const hygiene = scanForSecrets(logFile);
console.log(hygiene.message);
rmSync(logDir, { recursive: true, force: true });
process.exit(result.status === 0 && hygiene.ok ? 0 : (result.status ?? 1) || 1);
