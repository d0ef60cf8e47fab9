import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
// @ts-expect-error: a plain .mjs script without type declarations
import { scanForSecrets } from '../scripts/secrets-hygiene.mjs';
import { tempDir } from './helpers/temp-dir.js';

const scan = scanForSecrets as (logFile: string) => { ok: boolean; message: string };

it('the secrets-hygiene scan finds a leaked token or canary, and reports what it was without repeating it', () => {
  using dir = tempDir();
  const log = join(dir.path, 'test.log');
  writeFileSync(log, '{"msg":"call refused","details":"nothing secret"}\n');
  assert.equal(scan(log).ok, true);
  writeFileSync(log, '{"msg":"oops","authorization":"Bearer tgw_writer-token"}\n{"q":"CANARY-7f3c9e1d-private"}\n');
  const result = scan(log);
  assert.equal(result.ok, false);
  assert.match(result.message, /a bearer token/);
  assert.match(result.message, /the privacy canary/);
  assert.doesNotMatch(result.message, /tgw_writer-token|CANARY-7f3c9e1d/);
});
