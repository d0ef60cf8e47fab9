/**
 * What the dashboard costs ingest: the ingest benchmark's load (ingest-load.ts)
 * through a `serve` process three ways, on fresh SQLite files:
 *   - `--dashboard off`;
 *   - dashboard on, nobody watching (observer counters only);
 *   - dashboard on and watched: a live-tail SSE client (no filter, so it
 *     samples every payload) plus the overview polled every 2 s, as an open
 *     browser tab does.
 * Rounds alternate the modes so drift on a shared machine spreads over all of them.
 * Then, free of network and machine noise, the observer's own cost per event
 * in process (counters alone, and counters + a tail client), next to what
 * decoding the same payload costs.
 * Run: `node --import tsx bench/dashboard.bench.ts` (BENCH_ROUNDS, default 3; the
 * ingest-load knobs apply).
 */
import { once } from 'node:events';
import { request } from 'node:http';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { Client, credentials } from '@grpc/grpc-js';
import { EventSchema } from '../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { decodeRecordEventsRequest } from '../src/adapters/grpc/codec.js';
import { eventListToArray } from '../src/core/wire/event-list.js';
import { STORED, type StoreEntry, type StreamOrigin } from '../src/core/store.js';
import { createLiveStats } from '../src/dashboard/live-stats.js';
import { createTailHub } from '../src/dashboard/tail-hub.js';
import { startServe } from '../test/helpers/cli.js';
import { unlicensed } from '../test/helpers/gateway.js';
import { tempDir } from '../test/helpers/temp-dir.js';
import { encodeMetadata, encodePayloads, encodeRun, PAYLOAD_EVENTS, PAYLOADS_PER_STREAM, STREAMS, streamPayloads } from './ingest-load.js';

type Mode = 'dashboard off' | 'dashboard on, idle' | 'dashboard open: tail + overview';
const MODES: Mode[] = ['dashboard off', 'dashboard on, idle', 'dashboard open: tail + overview'];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const metadata = encodeMetadata(unlicensed('bench-instance'));
console.error(`encoding ${STREAMS} x ${PAYLOADS_PER_STREAM} payloads of ${PAYLOAD_EVENTS} events...`);
const runs = MODES.map((_, i) => Array.from({ length: ROUNDS }, (_, r) => encodeRun((r * MODES.length + i) * 10_000_000)));

const results = new Map<Mode, { eventsPerSecond: number[]; p99Ms: number[]; tailRecords: number[] }>();
for (let round = 0; round < ROUNDS; round++) {
  for (const [i, mode] of MODES.entries()) {
    const result = await measure(mode, runs[i]![round]!);
    const entry = results.get(mode) ?? { eventsPerSecond: [], p99Ms: [], tailRecords: [] };
    entry.eventsPerSecond.push(result.eventsPerSecond);
    entry.p99Ms.push(result.p99Ms);
    entry.tailRecords.push(result.tailRecords);
    results.set(mode, entry);
    console.error(`round ${round + 1} ${mode}: ${result.eventsPerSecond} events/s, p99 ${result.p99Ms} ms, ${result.tailRecords} tail records`);
  }
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const baseline = median(results.get('dashboard off')?.eventsPerSecond ?? [Number.NaN]);
for (const [mode, r] of results) {
  const eventsPerSecond = median(r.eventsPerSecond);
  console.log(
    JSON.stringify({
      benchmark: `gateway over gRPC, SQLite, ${mode}`,
      streams: STREAMS,
      eventsPerRun: STREAMS * PAYLOADS_PER_STREAM * PAYLOAD_EVENTS,
      rounds: ROUNDS,
      eventsPerSecond,
      eventsPerSecondRuns: r.eventsPerSecond,
      relativeToOff: Number((eventsPerSecond / baseline).toFixed(3)),
      payloadAckP99Ms: median(r.p99Ms),
      ...(mode === 'dashboard open: tail + overview' ? { tailRecordsReceived: r.tailRecords } : {}),
    }),
  );
}

observerCost();

/** ns per event of the dashboard's observer on the ingest thread, against decoding the same payload. */
function observerCost(): void {
  const payload = encodePayloads(1, 0)[0]!;
  const decoded = decodeRecordEventsRequest(payload);
  if (decoded.payload !== 'events') throw new Error('expected an events payload');
  const entries: StoreEntry[] = eventListToArray(decoded.events).map((bytes) => {
    const event = fromBinary(EventSchema, bytes);
    return { kind: 'event', id: event.id, feature: event.feature, action: event.action, timestampMs: 0, bytes };
  });
  const outcomes = entries.map(() => STORED);
  const origin: StreamOrigin = { source: { kind: 'unlicensed_instance', instanceId: 'bench', externalUrl: '' }, publisher: 'unlicensed_instance', metadataBytes: new Uint8Array(), metadataDigest: 'bench' };
  const perEventNs = (fn: () => void, rounds: number): number => {
    for (let i = 0; i < 20; i++) fn();
    const started = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) fn();
    return Number(process.hrtime.bigint() - started) / rounds / entries.length;
  };
  const live = createLiveStats();
  const tail = createTailHub();
  tail.subscribe({}, () => true);
  console.log(
    JSON.stringify({
      benchmark: 'dashboard observer on the ingest thread, per event (in process)',
      decodePayloadNs: Math.round(perEventNs(() => decodeRecordEventsRequest(payload), 200)),
      countersNs: Math.round(perEventNs(() => live.observer.payloadRecorded(origin, entries, outcomes, 1), 2000)),
      countersPlusTailClientNs: Math.round(
        perEventNs(() => {
          live.observer.payloadRecorded(origin, entries, outcomes, 1);
          tail.payloadRecorded(origin, entries, outcomes);
        }, 2000),
      ),
    }),
  );
}

async function measure(mode: Mode, perStream: Buffer[][]) {
  using dir = tempDir('tgw-bench-dashboard-');
  const serve = await startServe([
    '--listen', '127.0.0.1:0',
    '--store', `sqlite:${join(dir.path, 'bench.db')}`,
    '--log-level', 'warn',
    '--dashboard', mode === 'dashboard off' ? 'off' : 'on',
  ]);
  const watcher = mode === 'dashboard open: tail + overview' ? await watchDashboard(`http://${serve.address}`) : undefined;
  try {
    const clients = perStream.map(() => new Client(serve.address, credentials.createInsecure()));
    await streamPayloads(clients[0]!, metadata, encodePayloads(2, 90_000_000), []); // warm-up, not measured
    const latencies: number[] = [];
    const started = performance.now();
    const acked = await Promise.all(perStream.map((payloads, i) => streamPayloads(clients[i]!, metadata, payloads, latencies)));
    const seconds = (performance.now() - started) / 1000;
    clients.forEach((c) => c.close());
    latencies.sort((a, b) => a - b);
    return {
      eventsPerSecond: Math.round(acked.reduce((a, b) => a + b, 0) / seconds),
      p99Ms: Number((latencies[Math.floor(latencies.length * 0.99)] ?? NaN).toFixed(1)),
      tailRecords: watcher?.records() ?? 0,
    };
  } finally {
    watcher?.stop();
    await serve.stop();
  }
}

/** An open dashboard tab: the live tail connected, the overview fetched every 2 s. */
async function watchDashboard(baseUrl: string) {
  let records = 0;
  const tail = request(`${baseUrl}/api/tail`, { headers: { accept: 'text/event-stream' } });
  tail.end();
  const [res] = (await once(tail, 'response')) as [import('node:http').IncomingMessage];
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => (records += chunk.split('event: record\n').length - 1));
  res.on('error', () => {});
  const poll = setInterval(() => void fetch(`${baseUrl}/api/overview`).then((r) => r.arrayBuffer()).catch(() => {}), 2000);
  return {
    records: () => records,
    stop() {
      clearInterval(poll);
      tail.destroy();
    },
  };
}

