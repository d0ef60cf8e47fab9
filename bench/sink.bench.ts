/**
 * The sink (issue 10, item 5): `telemetry-gateway sink` as its own process,
 * moving events from NATS JetStream into PostgreSQL (JSONB record column,
 * the default), timed from start to `--exit-when-idle`. The stream is filled
 * first, in this process, with the events a gateway would have published:
 * the sample mix, private metadata stripped, through the NATS store.
 * Prints events/s and the sink's peak RSS. Skipped with a reason when
 * PostgreSQL or NATS is not reachable.
 *
 * Run: npm run build && node --import tsx bench/sink.bench.ts
 * Knobs: BENCH_SINK_EVENTS (200,000), BENCH_SINK_ARGS (extra sink flags, e.g. "--batch-size 2000"),
 * BENCH_SINK_NODE_ARGS (node flags for the sink, e.g. "--cpu-prof").
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { create, toBinary } from '@bufbuild/protobuf';
import { openNatsStore } from '../src/adapters/stores/nats/nats-store.js';
import { prepareEvent } from '../src/core/pipeline.js';
import { indexAllowlist } from '../src/core/privacy/allowlist.js';
import type { StoreEntry } from '../src/core/store.js';
import { EventSchema } from '../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { sampleEvents } from '../src/tools/sample-events.js';
import { builtCli } from '../test/helpers/cli.js';
import { natsTestStore, postgresTestStore, requireService } from '../test/helpers/services.js';
import { origin } from '../test/stores/store-contract.js';

const EVENTS = Number(process.env.BENCH_SINK_EVENTS ?? 200_000);
const BATCH = 500;

const skip = (await requireService('postgres').catch((error: Error) => error.message)) || (await requireService('nats').catch((error: Error) => error.message));
if (skip) {
  console.log(JSON.stringify({ benchmark: 'sink NATS -> PostgreSQL', skipped: skip }));
  process.exit(0);
}

const bus = natsTestStore();
const db = postgresTestStore();
try {
  await fill(bus.url);
  const started = performance.now();
  const nodeArgs = process.env.BENCH_SINK_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const sink = spawn(process.execPath, [...nodeArgs, builtCli(), 'sink', '--from', bus.url, '--to', db.url, '--exit-when-idle', '--log-level', 'warn', ...(process.env.BENCH_SINK_ARGS?.split(' ').filter(Boolean) ?? [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  sink.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  let peakRssKiB = 0;
  const sampler = setInterval(() => {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${sink.pid}/status`, 'utf8'));
      if (match) peakRssKiB = Math.max(peakRssKiB, Number(match[1]));
    } catch {
      // exited between two samples
    }
  }, 100);
  const [code] = (await once(sink, 'exit')) as [number | null];
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`sink exited with ${code}: ${stdout}`);
  const stored = Number(/"stored":(\d+)/.exec(stdout)?.[1]);
  if (stored !== EVENTS) throw new Error(`sink stored ${stored} of ${EVENTS}: ${stdout}`);
  console.log(
    JSON.stringify({
      benchmark: 'sink NATS -> PostgreSQL (separate process, JSONB records, from start to --exit-when-idle)',
      events: stored,
      seconds: Number(seconds.toFixed(2)),
      eventsPerSecond: Math.round(stored / seconds),
      sinkPeakRssMiB: Math.round(peakRssKiB / 1024),
    }),
  );
} finally {
  await db.drop();
  await bus.drop();
}

/** Publishes EVENTS events as the gateway would: sample events with their private fields stripped. */
async function fill(url: string): Promise<void> {
  const store = await openNatsStore(url);
  const options = { redact: true, allowlist: indexAllowlist([]) };
  try {
    const inFlight = new Set<Promise<unknown>>();
    for (let first = 0; first < EVENTS; first += BATCH) {
      const entries: StoreEntry[] = sampleEvents(Math.min(BATCH, EVENTS - first), first).map((event) => {
        event.id = crypto.randomUUID();
        return prepareEvent(toBinary(EventSchema, create(EventSchema, event)), origin('sink-bench'), options).entry;
      });
      const write = store.write({ origin: origin('sink-bench'), entries }).then((outcomes) => {
        if (outcomes.some((o) => o.status !== 'stored')) throw new Error(`filling the stream: ${JSON.stringify(outcomes.find((o) => o.status !== 'stored'))}`);
      });
      inFlight.add(write);
      void write.finally(() => inFlight.delete(write));
      if (inFlight.size >= 8) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    await store.close();
  }
}
