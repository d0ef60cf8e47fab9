import { Worker, type WorkerOptions } from 'node:worker_threads';

/** The worker modules of this folder: the writer thread, its checkpointer and the dashboard's reader thread. */
export type SqliteWorkerModule = 'sqlite-worker' | 'sqlite-checkpointer' | 'sqlite-dashboard-worker';

/**
 * The young generation of these threads, in MB (V8's default, 48 on 64 bits, is sized for a main
 * thread): 16 held the writer's peak memory ~15-30 MB lower under full load, at the same share of
 * its time in GC (2.6% vs 2.4-2.8%, CPU profiles); 8 cost it 4.4-7.4%, and the writer is the
 * bottleneck at full load.
 */
const YOUNG_GENERATION_MB = 16;

/**
 * Starts a worker module of this folder. Built (dist/), the module is the .js
 * beside this file. Run from source (tests and benchmarks go through tsx), Node
 * 20 does not apply tsx to a worker's entry module, so a one-line bootstrap
 * registers tsx in the worker first and then imports the .ts module.
 */
export function startWorker(module: SqliteWorkerModule, options: WorkerOptions): Worker {
  options = { ...options, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB, ...options.resourceLimits } };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(`./${module}.js`, import.meta.url), options);
  const entry = new URL(`./${module}.ts`, import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}
