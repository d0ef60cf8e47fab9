import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { it } from 'node:test';
import { SHARED_TESTDATA, TESTDATA } from './helpers/paths.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)]));
}

it('test/vectors is an exact copy of the shared test vectors', { skip: existsSync(SHARED_TESTDATA) ? false : 'shared/testdata is not beside this clone' }, () => {
  const shared = files(SHARED_TESTDATA).map((f) => relative(SHARED_TESTDATA, f)).sort();
  assert.deepEqual(files(TESTDATA).map((f) => relative(TESTDATA, f)).sort(), shared);
  for (const name of shared) assert.ok(readFileSync(join(TESTDATA, name)).equals(readFileSync(join(SHARED_TESTDATA, name))), name);
});
