import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { REPO } from './helpers/paths.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const importsOf = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);

it('src/core is pure: no adapters, no I/O modules, no transport or database libraries', () => {
  const forbidden = /^(node:)?(fs|net|http|http2|https|tls|dgram|child_process|worker_threads|process)(\/|$)|@grpc\/|better-sqlite3|pino|prom-client|\/adapters\/|\/gateway\/|\/cli\//;
  const offenders = sources(join(REPO, 'src/core')).flatMap((file) =>
    importsOf(file)
      .filter((spec) => forbidden.test(spec))
      .map((spec) => `${file.slice(REPO.length)} imports ${spec}`),
  );
  assert.deepEqual(offenders, []);
});

it('src/gateway knows no transport or store library', () => {
  const forbidden = /@grpc\/|better-sqlite3|\/adapters\//;
  const offenders = sources(join(REPO, 'src/gateway')).flatMap((file) =>
    importsOf(file).filter((spec) => forbidden.test(spec)).map((spec) => `${file.slice(REPO.length)} imports ${spec}`),
  );
  assert.deepEqual(offenders, []);
});
