/**
 * The long fuzz run (issue 5): structure-aware RecordEvents streams and raw
 * bytes against a gateway in its own process (`telemetry-gateway serve`, so
 * its memory can be watched), checking every answer against the model and
 * every stored row, and that the gateway keeps serving.
 *
 *   npm run build
 *   node --import tsx bench/fuzz.ts [--cases 1000000] [--seed N] [--concurrency 4] [--max-seconds S]
 *     [--max-requests 40] [--common-weight 10]   (requests per stream; how much rarer heavy values are than in the tests)
 *
 * A case is one request message of a fuzzed stream actually sent (a stream
 * the gateway ended early counts only what was sent before), or one raw input (a TCP
 * connection of garbage or a damaged gRPC body). Plans come from
 * fc.sample(seed + chunk), so a reported failure replays from its seed and
 * chunk: `--seed S --replay-chunk C`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { openSqliteReader } from '../src/adapters/stores/sqlite/sqlite-store.js';
import { startServe } from '../test/helpers/cli.js';
import { CLI } from '../test/helpers/paths.js';
import { tempDir } from '../test/helpers/temp-dir.js';
import { FUZZ_MAX_MESSAGE_BYTES, FUZZ_PLAN_OPTIONS, checkPlan, writeFuzzTokens } from '../test/fuzz/fuzz-setup.js';
import { describePlan, streamPlanArb, type StreamPlan } from '../test/fuzz/plans.js';
import { rawGatewayClient } from '../test/fuzz/raw-client.js';
import { grpcBodyCase, sendGrpcBody, sendTcpGarbage, tcpGarbage } from '../test/fuzz/raw-inputs.js';
import { checkServing } from '../test/fuzz/serving-check.js';
import { createStoreChecker } from '../test/fuzz/store-check.js';

const { values: args } = parseArgs({
  options: {
    cases: { type: 'string', default: '1000000' },
    seed: { type: 'string' },
    concurrency: { type: 'string', default: '4' },
    'max-seconds': { type: 'string', default: '0' },
    'replay-chunk': { type: 'string' },
    'max-requests': { type: 'string', default: '40' },
    'common-weight': { type: 'string', default: '10' },
  },
});
const TARGET_CASES = Number(args.cases);
// A random seed unless given (long runs should explore), printed before anything can fail so every run replays.
const SEED = Number(args.seed ?? Date.now() % 2 ** 31);
console.error(`seed ${SEED} (replay with --seed ${SEED})`);
const CONCURRENCY = Number(args.concurrency);
const MAX_SECONDS = Number(args['max-seconds']);
const PLANS_PER_CHUNK = 64;
/** A batch of raw inputs (and a serving check) after this many chunks. */
const RAW_EVERY_CHUNKS = 4;
const DEADLINE_MS = 30_000;

if (!existsSync(CLI) || !existsSync(join(CLI, '../../dist'))) throw new Error('run `npm run build` first');

// The store is not what is under test here: keep it on tmpfs when there is one, so fsync is cheap.
const shm = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/tgw-fuzz-') : undefined;
using dir = shm ? { path: shm, [Symbol.dispose]: () => rmSync(shm, { recursive: true, force: true }) } : tempDir('tgw-fuzz-');
const dbPath = join(dir.path, 'fuzz.db');
const serve = await startServe([
  '--listen', '127.0.0.1:0',
  '--store', `sqlite:${dbPath}`,
  '--max-message-bytes', String(FUZZ_MAX_MESSAGE_BYTES),
  '--service-tokens', writeFuzzTokens(dir.path),
  '--log-level', 'fatal',
]);
const pid = serve.child.pid!;
const rss = { peakKb: 0, lastKb: 0 };
const sampleRss = (): void => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    rss.lastKb = kb('VmRSS');
    rss.peakKb = Math.max(rss.peakKb, kb('VmHWM'), rss.lastKb);
  } catch {
    // the process is gone; the summary says so
  }
};
const sampler = setInterval(sampleRss, 250);
sampleRss();
const startRssKb = rss.lastKb;

const clients = Array.from({ length: 2 }, () => rawGatewayClient(serve.address));
const reader = openSqliteReader(dbPath);
const checkStore = createStoreChecker(reader);
const arb = streamPlanArb({ ...FUZZ_PLAN_OPTIONS, maxRequests: Number(args['max-requests']), commonWeight: Number(args['common-weight']) });
const started = performance.now();
const seconds = (): number => (performance.now() - started) / 1000;
const stats = { cases: 0, streams: 0, rawInputs: 0, storedEvents: 0, rejectedEvents: 0, failures: 0, codes: new Map<number, number>() };
const failures: string[] = [];
const fail = (what: string): void => {
  stats.failures++;
  if (failures.length < 30) failures.push(what);
  console.error(`FAILURE ${what}`);
};

async function runChunk(chunk: number): Promise<void> {
  const plans = fc.sample(arb, { seed: SEED + chunk, numRuns: PLANS_PER_CHUNK });
  let next = 0;
  const worker = async (w: number): Promise<void> => {
    for (let i = next++; i < plans.length; i = next++) {
      const plan: StreamPlan = plans[i]!;
      const { failure, result } = await checkPlan(clients[w % clients.length]!, plan, DEADLINE_MS, serve.address);
      stats.streams++;
      stats.cases += Math.max(1, result.written);
      stats.codes.set(result.code, (stats.codes.get(result.code) ?? 0) + 1);
      if (failure) fail(`seed ${SEED} chunk ${chunk} plan ${i}: ${failure}; ${describePlan(plan).slice(0, 600)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
  const stored = await checkStore();
  stats.storedEvents += stored.events;
  stats.rejectedEvents += stored.rejected;
  for (const problem of stored.problems) fail(`seed ${SEED} chunk ${chunk} store: ${problem}`);
}

async function runRaw(chunk: number): Promise<void> {
  const [garbage, bodies] = fc.sample(fc.tuple(fc.array(tcpGarbage, { minLength: 4, maxLength: 8 }), fc.array(grpcBodyCase, { minLength: 4, maxLength: 8 })), { seed: SEED + chunk, numRuns: 1 })[0]!;
  await Promise.all([
    ...garbage.map((bytes) => sendTcpGarbage(serve.address, bytes, 200)),
    ...bodies.map((body) => sendGrpcBody(serve.address, body, 2000)),
  ]);
  stats.rawInputs += garbage.length + bodies.length;
  stats.cases += garbage.length + bodies.length;
  const notServing = await checkServing(clients[0]!, 10_000);
  if (notServing) fail(`seed ${SEED} chunk ${chunk} raw batch: gateway stopped serving: ${notServing}`);
}

const progress = setInterval(() => {
  const s = seconds();
  console.error(`${Math.round(s)} s: ${stats.cases} cases (${Math.round(stats.cases / s)}/s), ${stats.streams} streams, ${stats.failures} failures, gateway RSS ${Math.round(rss.lastKb / 1024)} MiB (peak ${Math.round(rss.peakKb / 1024)} MiB)`);
}, 30_000);

const replay = args['replay-chunk'];
let chunk = replay === undefined ? 0 : Number(replay);
for (;;) {
  if (serve.child.exitCode !== null) {
    fail(`gateway process exited with ${serve.child.exitCode}: ${serve.stderr().slice(-2000)}`);
    break;
  }
  await runChunk(chunk);
  if (chunk % RAW_EVERY_CHUNKS === RAW_EVERY_CHUNKS - 1) await runRaw(chunk);
  chunk++;
  if (replay !== undefined || stats.cases >= TARGET_CASES) break;
  if (MAX_SECONDS > 0 && seconds() >= MAX_SECONDS) break;
}
clearInterval(progress);

const alive = serve.child.exitCode === null;
const finalServing = alive ? await checkServing(clients[0]!, 10_000) : 'gateway process is gone';
if (finalServing) fail(`after the run: ${finalServing}`);
sampleRss();
clearInterval(sampler);
for (const client of clients) client.close();
await reader.close();
const exitCode = await serve.stop();

const summary = {
  seed: SEED,
  cases: stats.cases,
  targetCases: TARGET_CASES,
  streams: stats.streams,
  rawInputs: stats.rawInputs,
  chunks: chunk,
  failures: stats.failures,
  seconds: Math.round(seconds()),
  casesPerSecond: Math.round(stats.cases / seconds()),
  gatewayPeakRssMiB: Math.round(rss.peakKb / 1024),
  gatewayStartRssMiB: Math.round(startRssKb / 1024),
  storedEvents: stats.storedEvents,
  rejectedEvents: stats.rejectedEvents,
  statusCodes: Object.fromEntries([...stats.codes].sort(([a], [b]) => a - b)),
  gatewayExit: exitCode,
};
if (failures.length > 0) console.error(`first failures:\n${failures.join('\n')}`);
console.log(JSON.stringify(summary, null, 2));
process.exitCode = stats.failures === 0 && stats.cases >= TARGET_CASES ? 0 : 1;
