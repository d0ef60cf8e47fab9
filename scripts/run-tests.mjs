#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's test runner (through tsx). Files are
// listed explicitly: on Node 20, `node --test test/` finds no .ts files at all.
// Then scans everything the gateways and exporters under test logged for the
// secrets the tests used (scripts/secrets-hygiene.mjs): there must be none.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanForSecrets } from './secrets-hygiene.mjs';

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
// One file at a time: tests share the machine's ports, databases and two cores.
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: { ...process.env, TGW_TEST_LOG: logFile } },
);
const hygiene = scanForSecrets(logFile);
console.log(hygiene.message);
rmSync(logDir, { recursive: true, force: true });
process.exit(result.status === 0 && hygiene.ok ? 0 : (result.status ?? 1) || 1);
