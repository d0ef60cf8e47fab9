import { Worker, type WorkerOptions } from 'node:worker_threads';

/** The worker modules of this folder: the writer thread and the dashboard's reader thread. */
export type SqliteWorkerModule = 'sqlite-worker' | 'sqlite-dashboard-worker';

/**
 * The young generation of these threads, in MB (V8's default, 48 on 64 bits, is sized for a main
 * thread). The writer's garbage is mostly the batches posted to it, whose bytes live outside the
 * heap and are freed only when their small wrappers are collected: with the default, scavenges
 * were rare and it held ~80 MB of finished batches and a 32 MB new space under full load. With
 * this, ~35 MB and 4 MB, for the same throughput.
 */
const YOUNG_GENERATION_MB = 8;

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
