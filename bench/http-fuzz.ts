/**
 * The long HTTP fuzz run (issue 11, item 10): raw HTTP/1.1 requests and HTTP/2
 * requests to the dashboard and diagnostics paths, against two gateways in
 * their own processes (`serve`; one without and one with a diagnostics secret),
 * so a crash is seen as an exit and memory can be watched. A case is one
 * request (one connection); it fails when it gets a 500 or neither an answer
 * nor a closed connection within the deadline (a hang). Between batches each
 * gateway must still serve gRPC and HTTP.
 *
 *   npm run build
 *   node --import tsx bench/http-fuzz.ts [--cases 1000000] [--seed N] [--concurrency 256] [--max-seconds S]
 *
 * Batches come from fc.sample(seed + batch), so a failure replays with
 * `--seed S --replay-batch B`. Client connections come from 127.0.0.1-127.0.0.16
 * (loopback), so ephemeral ports and the per-client cap are not what is measured.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { startServe, type ServeProcess } from '../test/helpers/cli.js';
import { CLI } from '../test/helpers/paths.js';
import { tempDir } from '../test/helpers/temp-dir.js';
import { http1Case, http2Case, runHttp1Case, runHttp2Case } from '../test/fuzz/http-inputs.js';
import { rawGatewayClient } from '../test/fuzz/raw-client.js';
import { checkServing } from '../test/fuzz/serving-check.js';

const { values: args } = parseArgs({
  options: {
    cases: { type: 'string', default: '1000000' },
    seed: { type: 'string' },
    concurrency: { type: 'string', default: '256' },
    'max-seconds': { type: 'string', default: '0' },
    'replay-batch': { type: 'string' },
  },
});
const TARGET_CASES = Number(args.cases);
// A random seed unless given (long runs should explore), printed before anything can fail so every run replays.
const SEED = Number(args.seed ?? Date.now() % 2 ** 31);
console.error(`seed ${SEED} (replay with --seed ${SEED})`);
const CONCURRENCY = Number(args.concurrency);
const MAX_SECONDS = Number(args['max-seconds']);
const BATCH = 2000;
const DEADLINE_MS = 10_000;

if (!existsSync(CLI) || !existsSync(join(CLI, '../../dist'))) throw new Error('run `npm run build` first');

using dir = tempDir('tgw-http-fuzz-');
const common = ['--listen', '127.0.0.1:0', '--store', 'memory:', '--log-level', 'fatal', '--http-headers-timeout-ms', '1000', '--http-request-timeout-ms', '1500', '--handshake-timeout-ms', '1000', '--max-connections-per-client', '1000'];
const gateways: { name: string; serve: ServeProcess; rss: { peakKb: number; lastKb: number; startKb: number } }[] = [];
for (const [name, extra] of [['open', []], ['secret', ['--diagnostics-secret', 'fuzz-secret']]] as const) {
  const serve = await startServe([...common, ...extra], { cwd: dir.path });
  gateways.push({ name, serve, rss: { peakKb: 0, lastKb: 0, startKb: 0 } });
}
const sampleRss = (): void => {
  for (const g of gateways) {
    try {
      const status = readFileSync(`/proc/${g.serve.child.pid}/status`, 'utf8');
      const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
      g.rss.lastKb = kb('VmRSS');
      g.rss.peakKb = Math.max(g.rss.peakKb, kb('VmHWM'), g.rss.lastKb);
      if (g.rss.startKb === 0) g.rss.startKb = g.rss.lastKb;
    } catch {
      // the process is gone; the summary says so
    }
  }
};
sampleRss();
const sampler = setInterval(sampleRss, 250);
const clients = gateways.map((g) => rawGatewayClient(g.serve.address));

const started = performance.now();
const seconds = (): number => (performance.now() - started) / 1000;
const stats = { cases: 0, http1: 0, http2: 0, failures: 0, batches: 0 };
const failures: string[] = [];
const fail = (what: string): void => {
  stats.failures++;
  if (failures.length < 30) failures.push(what);
  console.error(`FAILURE ${what}`);
};
const arb = fc.tuple(fc.array(http1Case, { minLength: BATCH, maxLength: BATCH }), fc.array(http2Case, { minLength: BATCH / 8, maxLength: BATCH / 8 }));

async function runBatch(batch: number): Promise<void> {
  const [h1, h2] = fc.sample(arb, { seed: SEED + batch, numRuns: 1 })[0]!;
  const jobs = [...h1.map((c, i) => ({ kind: 1 as const, c, i })), ...h2.map((c, i) => ({ kind: 2 as const, c, i }))];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      for (let j = next++; j < jobs.length; j = next++) {
        const job = jobs[j]!;
        const g = gateways[(batch + j) % gateways.length]!;
        const failure =
          job.kind === 1
            ? await runHttp1Case(g.serve.address, job.c, DEADLINE_MS, `127.0.0.${1 + (w % 16)}`)
            : await runHttp2Case(g.serve.address, job.c, DEADLINE_MS);
        stats.cases++;
        if (job.kind === 1) stats.http1++;
        else stats.http2++;
        if (failure) fail(`seed ${SEED} batch ${batch} http${job.kind} case ${job.i} (${g.name}): ${failure}`);
      }
    }),
  );
  for (const [i, g] of gateways.entries()) {
    if (g.serve.child.exitCode !== null) continue;
    const grpc = await checkServing(clients[i]!, 10_000);
    if (grpc) fail(`seed ${SEED} batch ${batch} (${g.name}): gRPC not served: ${grpc}`);
    const http = await fetch(`http://${g.serve.address}/-/version`).then((r) => r.status, (e: Error) => e.message);
    if (http !== 200) fail(`seed ${SEED} batch ${batch} (${g.name}): GET /-/version: ${http}`);
  }
  stats.batches++;
}

const progress = setInterval(() => {
  const s = seconds();
  console.error(
    `${Math.round(s)} s: ${stats.cases} cases (${Math.round(stats.cases / s)}/s), ${stats.failures} failures, RSS ${gateways.map((g) => `${g.name} ${Math.round(g.rss.lastKb / 1024)} MiB (peak ${Math.round(g.rss.peakKb / 1024)})`).join(', ')}`,
  );
}, 30_000);

const replay = args['replay-batch'];
let batch = replay === undefined ? 0 : Number(replay);
for (;;) {
  const gone = gateways.find((g) => g.serve.child.exitCode !== null);
  if (gone) {
    fail(`gateway ${gone.name} exited with ${gone.serve.child.exitCode}: ${gone.serve.stderr().slice(-2000)}`);
    break;
  }
  await runBatch(batch);
  batch++;
  if (replay !== undefined || stats.cases >= TARGET_CASES) break;
  if (MAX_SECONDS > 0 && seconds() >= MAX_SECONDS) break;
}
clearInterval(progress);
sampleRss();
clearInterval(sampler);
const exits: Record<string, number | null | string> = {};
for (const [i, g] of gateways.entries()) {
  clients[i]!.close();
  exits[g.name] = g.serve.child.exitCode === null ? await g.serve.stop() : `exited during the run: ${g.serve.child.exitCode}`;
}
const summary = {
  seed: SEED,
  cases: stats.cases,
  targetCases: TARGET_CASES,
  http1Requests: stats.http1,
  http2Requests: stats.http2,
  batches: stats.batches,
  failures: stats.failures,
  seconds: Math.round(seconds()),
  casesPerSecond: Math.round(stats.cases / seconds()),
  gatewayPeakRssMiB: Object.fromEntries(gateways.map((g) => [g.name, Math.round(g.rss.peakKb / 1024)])),
  gatewayStartRssMiB: Object.fromEntries(gateways.map((g) => [g.name, Math.round(g.rss.startKb / 1024)])),
  gatewayExit: exits,
};
if (failures.length > 0) console.error(`first failures:\n${failures.join('\n')}`);
console.log(JSON.stringify(summary, null, 2));
process.exitCode = stats.failures === 0 && stats.cases >= TARGET_CASES ? 0 : 1;
