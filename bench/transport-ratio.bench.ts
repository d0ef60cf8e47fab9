/**
 * Ingest against the transport's own speed (issue 10): a grpc-go load generator
 * (bench/go/loadgen, its own process) streams realistic events that carry
 * private metadata and marketing tracking to (a) a grpc-go server that only
 * decodes and acknowledges (bench/go/ackserver) and (b) `serve` with default
 * settings (SQLite, privacy enforcement on, empty allowlist). Prints one JSON
 * line per measurement:
 *   1. as fast as acknowledged: events/s of both, the ratio, payload-ack p50/p99, and the gateway's
 *      CPU time per event, in all and on its two busiest threads (what a host that runs slower some
 *      hours than others changes least: compare runs by it)
 *   2. paced at BENCH_PACED_RATE (40,000) events/s: p50/p99 of both
 *   3. six back-to-back rounds of BENCH_ROUND_SECONDS (10) into one store file: each round's rate
 *   4. the gateway's peak RSS over all of it
 *   5. the same client against `serve` on PostgreSQL (JSONB records) and on NATS JetStream
 *      (a fresh schema and stream each, dropped afterwards; skipped with a reason when unreachable)
 * Needs the Go toolchain and libraries from Debian (golang-go golang-google-grpc-dev
 * golang-google-protobuf-dev protoc-gen-go protobuf-compiler); skipped with a reason without them.
 * Run: npm run build && node --import tsx bench/transport-ratio.bench.ts
 * Knobs: BENCH_STREAMS, BENCH_PAYLOAD_EVENTS, BENCH_SECONDS, BENCH_PACED_RATE, BENCH_ROUND_SECONDS,
 * BENCH_ROUNDS; BENCH_GATEWAY_NODE_ARGS (node flags for `serve`, e.g. `--cpu-prof`); BENCH_ONLY=1
 * (only measurement 1, for profiling); BENCH_STORE (a store URL instead of a fresh SQLite file).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { eventListToArray } from '../src/core/wire/event-list.js';
import { frameRequest } from '../src/core/wire/frame-request.js';
import { EventSchema, RecordEventsRequestSchema } from '../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { sampleEvents } from '../src/tools/sample-events.js';
import { startServe, type ServeProcess } from '../test/helpers/cli.js';
import { unlicensed } from '../test/helpers/gateway.js';
import { natsTestStore, postgresTestStore, requireService } from '../test/helpers/services.js';
import { tempDir } from '../test/helpers/temp-dir.js';
import { encodeMetadata } from './ingest-load.js';

const STREAMS = Number(process.env.BENCH_STREAMS ?? 8);
const PAYLOAD_EVENTS = Number(process.env.BENCH_PAYLOAD_EVENTS ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PACED_RATE = Number(process.env.BENCH_PACED_RATE ?? 40_000);
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const TEMPLATES = 32;

/** Ends the run after measurement 1 (BENCH_ONLY=1). */
class StopEarly extends Error {}

const missing = ['go', 'protoc', 'protoc-gen-go'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
if (missing.length > 0) {
  console.log(JSON.stringify({ benchmark: 'transport ratio', skipped: `missing ${missing.join(', ')}: apt-get install golang-go golang-google-grpc-dev golang-google-protobuf-dev protoc-gen-go protobuf-compiler` }));
  process.exit(0);
}

using dir = tempDir('tgw-ratio-');
execFileSync('bash', [new URL('./go/build.sh', import.meta.url).pathname, join(dir.path, 'go')], { stdio: 'inherit' });
const bin = (name: string): string => join(dir.path, 'go', 'bin', name);
const files = writeLoad(dir.path);

const ackServer = spawn(bin('ackserver'), [], { stdio: ['ignore', 'pipe', 'inherit'] });
const [firstLine] = (await once(ackServer.stdout, 'data')) as [Buffer];
const ackAddress = firstLine.toString().trim();
const serve = await startServe(['--listen', '127.0.0.1:0', '--store', process.env.BENCH_STORE ?? `sqlite:${join(dir.path, 'bench.db')}`, '--log-level', 'warn'], {
  nodeArgs: process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean),
});
try {
  // Warm-up: JIT and connections, not measured.
  loadgen(serve.address, { seconds: 2 });
  loadgen(ackAddress, { seconds: 2 });

  const cpu = threadCpu(serve);
  const gateway = loadgen(serve.address, { seconds: SECONDS });
  const gatewayCpu = cpu.perEvent(gateway.events);
  const ackOnly = loadgen(ackAddress, { seconds: SECONDS });
  print('1. as fast as acknowledged', {
    gateway: { ...gateway, cpuMicrosPerEvent: gatewayCpu },
    ackOnlyGrpcGo: ackOnly,
    ratio: round(gateway.eventsPerSecond / ackOnly.eventsPerSecond, 3),
  });
  if (process.env.BENCH_ONLY === '1') throw new StopEarly();

  print(`2. paced at ${PACED_RATE} events/s`, {
    gateway: loadgen(serve.address, { seconds: SECONDS, rate: PACED_RATE }),
    ackOnlyGrpcGo: loadgen(ackAddress, { seconds: SECONDS, rate: PACED_RATE }),
  });

  const rounds = Array.from({ length: ROUNDS }, () => loadgen(serve.address, { seconds: ROUND_SECONDS }).eventsPerSecond);
  print(`3. ${ROUNDS} rounds of ${ROUND_SECONDS} s into one store`, {
    eventsPerSecond: rounds.map(Math.round),
    lastOverFirst: round(rounds.at(-1)! / rounds[0]!, 3),
  });
  print('4. gateway peak RSS', { peakRssMiB: peakRssMiB(serve) });
} catch (error) {
  if (!(error instanceof StopEarly)) throw error;
} finally {
  await serve.stop();
  ackServer.kill();
}

if (process.env.BENCH_ONLY !== '1' && process.env.BENCH_STORE === undefined) {
  // 5. The network stores, same client and settings: PostgreSQL (JSONB records) and NATS JetStream.
  for (const [label, service, target] of [
    ['PostgreSQL (JSONB records)', 'postgres', postgresTestStore],
    ['NATS JetStream', 'nats', natsTestStore],
  ] as const) {
    const skipped = await requireService(service).catch((error: Error) => error.message);
    if (skipped) {
      print(`5. ${label} store`, { skipped });
      continue;
    }
    const store = target();
    const gateway = await startServe(['--listen', '127.0.0.1:0', '--store', store.url, '--log-level', 'warn']);
    try {
      loadgen(gateway.address, { seconds: 2 });
      const cpu = threadCpu(gateway);
      const result = loadgen(gateway.address, { seconds: SECONDS });
      print(`5. ${label} store`, { gateway: { ...result, cpuMicrosPerEvent: cpu.perEvent(result.events) }, peakRssMiB: peakRssMiB(gateway) });
    } finally {
      await gateway.stop();
      await store.drop();
    }
  }
}

interface LoadResult {
  events: number;
  eventsPerSecond: number;
  payloadAckLatencyMs: { p50: number; p99: number };
}

function loadgen(target: string, options: { seconds: number; rate?: number }): LoadResult {
  const args = ['-target', target, '-payloads', files.payloads, '-patches', files.patches, '-streams', String(STREAMS), '-seconds', String(options.seconds)];
  if (options.rate) args.push('-rate', String(options.rate));
  const result = JSON.parse(execFileSync(bin('loadgen'), args, { encoding: 'utf8' })) as LoadResult;
  return { events: result.events, eventsPerSecond: Math.round(result.eventsPerSecond), payloadAckLatencyMs: result.payloadAckLatencyMs };
}

/**
 * Pre-encoded requests for the generator (metadata first), and where each
 * event's id and timestamp seconds lie, so it can make every event new.
 */
export function writeLoad(path: string): { payloads: string; patches: string } {
  const messages: Uint8Array[] = [encodeMetadata(unlicensed('bench-instance'))];
  const patches: number[] = [];
  for (let t = 0; t < TEMPLATES; t++) {
    const events = sampleEvents(PAYLOAD_EVENTS, t * PAYLOAD_EVENTS).map((event, i) => {
      event.id = crypto.randomUUID();
      event.marketingTracking = create(EventSchema, {
        marketingTracking: { url: `https://example.com/pricing?i=${i}`, firstSourceUrl: 'https://example.com/', cohortId: '2026-11', referrer: 'https://search.example/' },
      }).marketingTracking;
      return event;
    });
    const request = toBinary(RecordEventsRequestSchema, create(RecordEventsRequestSchema, { payload: { case: 'events', value: { events } } }));
    const framed = frameRequest(request);
    if (framed?.payload !== 'events') throw new Error('payload does not frame');
    patches.push(framed.events.length);
    for (const event of eventListToArray(framed.events)) {
      const at = event.byteOffset - request.byteOffset;
      // id: tag 0x0a, length 36, then the id; timestamp: tag 0x12, length, tag 0x08, then 5 bytes of seconds.
      if (event[0] !== 0x0a || event[1] !== 36 || event[38] !== 0x12 || event[40] !== 0x08) throw new Error('unexpected event layout');
      patches.push(at + 2, at + 41);
    }
    messages.push(request);
  }
  const payloads = join(path, 'payloads.bin');
  const patchFile = join(path, 'patches.bin');
  writeFileSync(payloads, frame(messages));
  writeFileSync(patchFile, Buffer.from(Uint32Array.from(patches).buffer));
  return { payloads, patches: patchFile };
}

function frame(messages: Uint8Array[]): Buffer {
  const parts: Buffer[] = [u32(messages.length)];
  for (const m of messages) parts.push(u32(m.length), Buffer.from(m));
  return Buffer.concat(parts);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

/** CPU time of each of the process's threads from now: per event, in all and on the two busiest threads. */
function threadCpu(p: ServeProcess): { perEvent(events: number): { total: number; busiestThreads: number[] } } {
  const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  const read = (): Map<string, number> => {
    const ticks = new Map<string, number>();
    for (const tid of readdirSync(`/proc/${p.child.pid}/task`)) {
      try {
        // utime and stime: fields 14 and 15, counted after the last ")", which ends the thread's name (a name may hold one).
        const stat = readFileSync(`/proc/${p.child.pid}/task/${tid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
        ticks.set(tid, Number(fields[11]) + Number(fields[12]));
      } catch {
        // a thread that ended meanwhile
      }
    }
    return ticks;
  };
  const before = read();
  return {
    perEvent(events) {
      const used = [...read()].map(([tid, ticks]) => ((ticks - (before.get(tid) ?? 0)) / ticksPerSecond) * 1e6 / events);
      const micros = (n: number): number => round(n, 2);
      return { total: micros(used.reduce((a, b) => a + b, 0)), busiestThreads: used.sort((a, b) => b - a).slice(0, 2).map(micros) };
    },
  };
}

function peakRssMiB(p: ServeProcess): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.child.pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
}

function print(benchmark: string, figures: object): void {
  console.log(JSON.stringify({ benchmark, streams: STREAMS, eventsPerPayload: PAYLOAD_EVENTS, ...figures }));
}

function round(n: number, digits: number): number {
  return Number(n.toFixed(digits));
}
