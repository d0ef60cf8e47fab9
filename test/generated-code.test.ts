import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { it } from 'node:test';
import { REPO } from './helpers/paths.js';
import { tempDir } from './helpers/temp-dir.js';

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}

it('src/gen is what `npm run generate` makes from proto/ (regenerate and commit if this fails)', () => {
  using out = tempDir();
  execFileSync(
    join(REPO, 'node_modules/.bin/buf'),
    ['generate', '--template', JSON.stringify({
      version: 'v2',
      plugins: [{ local: join(REPO, 'node_modules/.bin/protoc-gen-es'), out: out.path, opt: ['target=ts', 'import_extension=js'] }],
    })],
    { cwd: REPO, stdio: 'pipe' },
  );
  const committed = join(REPO, 'src/gen');
  const generated = files(out.path).map((f) => relative(out.path, f)).sort();
  assert.deepEqual(files(committed).map((f) => relative(committed, f)).sort(), generated);
  for (const file of generated) {
    assert.equal(readFileSync(join(committed, file), 'utf8'), readFileSync(join(out.path, file), 'utf8'), `${file} is stale`);
  }
});
