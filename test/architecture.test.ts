import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { it } from 'node:test';
import { REPO } from './helpers/paths.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const importsOf = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);

const SRC = join(REPO, 'src');

/** One import of one src/ file: `typeOnly` when `import type`/`export type` (erased: nothing loads at run time). */
interface Edge {
  to: string;
  typeOnly: boolean;
}

/**
 * src/'s import graph, files named relative to src/ ('core/store.ts'). Covers
 * `import ... from`, `export ... from`, side-effect imports and dynamic
 * `import('...')`. With verbatimModuleSyntax only a statement-level `type`
 * is erased; `import { type X }` still loads the module, so it counts.
 */
function importGraph(): Map<string, Edge[]> {
  const statement = /^\s*(?:import|export)\s+(type\s+)?[\w$*{}\s,]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;
  const graph = new Map<string, Edge[]>();
  for (const file of sources(SRC)) {
    const edges = [...readFileSync(file, 'utf8').matchAll(statement)]
      .map((m) => ({ spec: (m[2] ?? m[3] ?? m[4])!, typeOnly: m[1] !== undefined }))
      .filter(({ spec }) => spec.startsWith('.'))
      .map(({ spec, typeOnly }) => ({ to: relative(SRC, resolve(dirname(file), spec.replace(/\.js$/, '.ts'))), typeOnly }));
    graph.set(relative(SRC, file), edges);
  }
  return graph;
}

/** Every file reachable from `roots` (themselves included), following type-only edges too unless `runtimeOnly`. */
function reachable(graph: Map<string, Edge[]>, roots: string[], runtimeOnly = false): Set<string> {
  const seen = new Set<string>();
  const todo = [...roots];
  for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const edge of graph.get(file) ?? []) if (!(runtimeOnly && edge.typeOnly)) todo.push(edge.to);
  }
  return seen;
}

const under = (folder: string) => (file: string) => file.startsWith(`${folder}/`);

/**
 * The adapters the exporter library may import, its public entries into them:
 * each implements a port the exporter declares (src/exporter/gateway-transport.ts,
 * queue.ts, the observers) and is what a library user needs to pick. Anything
 * else under src/adapters is reached only through these.
 */
const EXPORTER_ADAPTER_ENTRIES = [
  'adapters/grpc/export-transport.ts', // the gRPC transport to a gateway
  'adapters/queues/open-queue.ts', // a queue from a URL (sqlite: or postgres:)
  'adapters/queues/sqlite-queue.ts', // the default durable queue, re-exported by the package
  'adapters/http/exporter-metrics.ts', // Prometheus metrics, the package's ./exporter/metrics entry
];

it('every relative import in src/ resolves to a file (so the graph checks below see every edge)', () => {
  const graph = importGraph();
  const missing = [...graph].flatMap(([file, edges]) => edges.filter((e) => !graph.has(e.to)).map((e) => `${file} imports ${e.to}`));
  assert.deepEqual(missing, []);
});

it("src/'s import graph has no cycles", () => {
  const graph = importGraph();
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, path: string[]): void => {
    state.set(file, 'open');
    path.push(file);
    for (const { to } of graph.get(file) ?? []) {
      if (state.get(to) === 'open') cycles.push([...path.slice(path.indexOf(to)), to].join(' -> '));
      else if (!state.has(to)) visit(to, path);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file, []);
  assert.deepEqual(cycles, []);
});

it('src/core is pure: no adapters, no I/O modules, no transport or database libraries', () => {
  const forbidden = /^(node:)?(fs|net|http|http2|https|tls|dgram|child_process|worker_threads|process)(\/|$)|@grpc\/|better-sqlite3|pino|prom-client|\/adapters\/|\/gateway\/|\/cli\//;
  const offenders = sources(join(REPO, 'src/core')).flatMap((file) =>
    importsOf(file)
      .filter((spec) => forbidden.test(spec))
      .map((spec) => `${file.slice(REPO.length)} imports ${spec}`),
  );
  assert.deepEqual(offenders, []);
});

it('src/core reaches nothing but itself and the generated code, even through type-only imports', () => {
  const graph = importGraph();
  const core = [...graph.keys()].filter(under('core'));
  const outside = [...reachable(graph, core)].filter((file) => !under('core')(file) && !under('gen')(file));
  assert.deepEqual(outside.sort(), []);
});

it('src/gateway knows no transport or store library', () => {
  const forbidden = /@grpc\/|better-sqlite3|\/adapters\//;
  const offenders = sources(join(REPO, 'src/gateway')).flatMap((file) =>
    importsOf(file).filter((spec) => forbidden.test(spec)).map((spec) => `${file.slice(REPO.length)} imports ${spec}`),
  );
  assert.deepEqual(offenders, []);
});

it('the exporter library imports adapters only through its public entries, and never the gateway, CLI or dashboard', () => {
  const graph = importGraph();
  const exporter = [...graph.keys()].filter(under('exporter'));
  const allowed = (to: string): boolean =>
    under('exporter')(to) || under('core')(to) || under('gen')(to) || EXPORTER_ADAPTER_ENTRIES.includes(to);
  const offenders = exporter.flatMap((file) => (graph.get(file) ?? []).filter((e) => !allowed(e.to)).map((e) => `${file} imports ${e.to}`));
  assert.deepEqual(offenders, []);
});

it('nothing the exporter library loads at run time, however indirectly, is gateway, CLI, dashboard or app code', () => {
  const graph = importGraph();
  const exporter = [...graph.keys()].filter(under('exporter'));
  const gatewaySide = (file: string): boolean =>
    ['gateway', 'cli', 'dashboard', 'config'].some((folder) => under(folder)(file)) || file === 'app.ts';
  // Type-only edges are left out: adapters/grpc/codec.ts (shared by the transport's encoders and the
  // gateway's decoders) names gateway request types, which nothing loads.
  const loaded = [...reachable(graph, exporter, true)].filter(gatewaySide);
  assert.deepEqual(loaded.sort(), []);
});
