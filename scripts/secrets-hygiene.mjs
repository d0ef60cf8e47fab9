// The secrets the test suite hands to gateways and exporters: license keys
// (test/vectors/license), bearer tokens (`tgw_...` literals in the tests), the
// diagnostics secret and the privacy canary. None may appear in what they log.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function testSources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testSources(path);
    return entry.name.endsWith('.ts') ? [readFileSync(path, 'utf8')] : [];
  });
}

/** Secret value -> what it is (the description is what gets reported, never the value). */
export function knownSecrets(root = '.') {
  const secrets = new Map();
  const licenseDir = join(root, 'test/vectors/license');
  for (const name of readdirSync(licenseDir).filter((n) => n.endsWith('.key'))) {
    const key = readFileSync(join(licenseDir, name), 'utf8').replace(/\s+/g, '');
    // 24 characters from the middle (the signature: unique to the key), enough to catch a partial echo.
    const middle = Math.floor(key.length / 2);
    if (key.length >= 48) secrets.set(key.slice(middle, middle + 24), `license key ${name}`);
  }
  for (const source of testSources(join(root, 'test'))) {
    for (const [token] of source.matchAll(/tgw_[A-Za-z0-9_-]{6,}/g)) secrets.set(token, 'a bearer token');
    for (const [canary] of source.matchAll(/CANARY-[A-Za-z0-9-]+/g)) secrets.set(canary, 'the privacy canary');
    for (const [, secret] of source.matchAll(/diagnosticsSecret: '([^']{6,})'/g)) secrets.set(secret, 'the diagnostics secret');
  }
  return secrets;
}

export function scanForSecrets(logFile, root = '.') {
  const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
  const secrets = knownSecrets(root);
  const leaked = [...new Set([...secrets].filter(([value]) => log.includes(value)).map(([, what]) => what))];
  const lines = log === '' ? 0 : log.split('\n').length - 1;
  return leaked.length === 0
    ? { ok: true, message: `secrets hygiene: ${lines} log lines from the gateways and exporters under test, ${secrets.size} secrets looked for, 0 found` }
    : { ok: false, message: `secrets hygiene FAILED: ${leaked.join(', ')} appeared in the test log output (${lines} lines)` };
}
