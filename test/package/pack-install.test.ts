import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
import { promisify } from 'node:util';
import { allStoredEvents } from '../helpers/export-checks.js';
import { startTestGateway } from '../helpers/gateway.js';
import { REPO } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);

/**
 * What an app developer does: `npm pack`, install the tarball in a fresh ESM
 * app, import 'telemetry-gateway/exporter', type-check with tsc --strict, and
 * record and flush an event to a gateway. The tarball is unpacked into the
 * app's node_modules exactly as npm lays it out; its declared dependencies
 * (and only those) are linked from this repository's node_modules, because CI
 * has no registry access and better-sqlite3 would otherwise compile for ~90 s.
 * `npm test` builds dist/ before the tests run.
 */
it('npm pack: the tarball installs in a fresh ESM app, type-checks with tsc --strict, and records + flushes to a gateway', { timeout: 120_000 }, async () => {
  assert.ok(existsSync(join(REPO, 'dist/exporter/index.d.ts')), 'dist/ is built (npm run build)');
  using dir = tempDir('tgw-pack-');
  const { stdout: packed } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir.path], { cwd: REPO, maxBuffer: 64 * 1024 * 1024 });
  const [pack] = JSON.parse(packed) as [{ filename: string; files: { path: string }[] }];
  const files = new Set(pack.files.map((f) => f.path));
  for (const needed of ['package.json', 'bin/telemetry-gateway.js', 'dist/cli/main.js', 'dist/exporter/index.js', 'dist/exporter/index.d.ts', 'dist/exporter/metrics.d.ts', 'README.md']) {
    assert.ok(files.has(needed), `the tarball has ${needed}`);
  }
  assert.deepEqual([...files].filter((f) => /^(src|test|bench|scripts)\/|\.map$/.test(f)), [], 'no sources, tests or source maps');

  const app = join(dir.path, 'app');
  const installed = join(app, 'node_modules', 'telemetry-gateway');
  mkdirSync(installed, { recursive: true });
  await run('tar', ['-xzf', join(dir.path, pack.filename), '--strip-components=1', '-C', installed]);
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const dep of [...Object.keys(manifest.dependencies), 'typescript', '@types/node']) {
    const link = join(app, 'node_modules', dep);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(REPO, 'node_modules', dep), link, 'dir');
  }

  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true, dependencies: { 'telemetry-gateway': `file:../${pack.filename}` } }));
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', outDir: 'out', types: ['node'], skipLibCheck: false }, files: ['index.ts'] }),
  );
  writeFileSync(
    join(app, 'index.ts'),
    `import { createExporter, RecordError, QueueFullError, type ExportRunResult } from 'telemetry-gateway/exporter';
import { createExporterMetrics } from 'telemetry-gateway/exporter/metrics';

const exporter = await createExporter({
  gateway: \`http://\${process.env.GATEWAY}\`,
  insecure: true,
  identity: { kind: 'unlicensed', instanceId: 'packed-app', externalUrl: 'https://app.example.com' },
  serverVersion: '1.2.3',
  queue: \`sqlite:\${process.env.QUEUE}\`,
  allowlist: ['search::submitted::repo'],
  logger: null,
});
const metrics = createExporterMetrics({ queue: exporter.queue });
// @ts-expect-error: the types are real, not any
await exporter.record(42).catch(() => {});
const id: string | undefined = await exporter.record('search', 'submitted', { metadata: { results: 3 }, privateMetadata: { repo: 'r', query: 'secret' } });
const flushed: ExportRunResult = await exporter.forceFlush({ timeoutMs: 10_000 });
const gauges = await metrics.registry.getMetricsAsJSON();
await exporter.shutdown();
console.log(JSON.stringify({ id, flushed, metrics: gauges.length, errors: [RecordError.name, QueueFullError.name] }));
`,
  );
  try {
    await run(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', app]);
  } catch (error) {
    assert.fail(`tsc --strict failed:\n${(error as { stdout: string }).stdout}`);
  }

  // Which modules `import 'telemetry-gateway/exporter'` loads: traced by a resolve hook.
  const trace = join(dir.path, 'trace.txt');
  writeFileSync(join(app, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.TRACE, resolved.url + '\\n');
  return resolved;
}
`);
  writeFileSync(join(app, 'trace.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);
  writeFileSync(join(app, 'graph.mjs'), `await import('telemetry-gateway/exporter');\n`);
  await run(process.execPath, ['--import', './trace.mjs', 'graph.mjs'], { cwd: app, env: { ...process.env, TRACE: trace } });
  const loaded = readFileSync(trace, 'utf8').trim().split('\n');
  assert.ok(loaded.some((url) => url.includes('/dist/exporter/index.js')), 'the exporter entry point was traced');
  const unwanted = loaded.filter((url) => /\/node_modules\/(pg|pg-[^/]+|@nats-io|pino|commander|prom-client|@grpc\/reflection|grpc-health-check)\/|\/dist\/(gateway|app|cli)\b|\/dist\/adapters\/(stores|http|net)\//.test(url));
  assert.deepEqual(unwanted, [], 'the exporter alone loads neither the gateway nor the PostgreSQL/NATS clients');

  await using gateway = await startTestGateway({ privacyAllowlist: ['search::submitted::repo'] });
  const { stdout } = await run(process.execPath, ['out/index.js'], { cwd: app, env: { ...process.env, GATEWAY: gateway.gateway.address, QUEUE: join(dir.path, 'queue.db') } });
  const result = JSON.parse(stdout) as { id: string; flushed: { acknowledged: number; error?: string }; metrics: number; errors: string[] };
  assert.equal(result.flushed.acknowledged, 1, result.flushed.error);
  assert.ok(result.metrics > 5, 'the metrics registry works');
  assert.deepEqual(result.errors, ['RecordError', 'QueueFullError']);
  assert.deepEqual([...(await allStoredEvents(gateway.reader)).keys()], [result.id]);

  const version = await run(process.execPath, [join(installed, 'bin/telemetry-gateway.js'), '--version']);
  assert.match(version.stdout, /\d+\.\d+\.\d+/, 'the CLI runs from the tarball');
});
