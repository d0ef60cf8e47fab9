/**
 * Ingest benchmark: sustained events/s with durable acknowledgements through a
 * real gateway process (SQLite store, fsync per group commit), and the
 * in-process ceiling (decode + pipeline + store, no network) for the same
 * payloads. Run with `npm run bench` (after `npm install`, which builds dist/).
 *
 * Environment knobs: BENCH_STREAMS (8), BENCH_PAYLOAD_EVENTS (500),
 * BENCH_PAYLOADS_PER_STREAM (40), BENCH_WINDOW (4 unacknowledged payloads per stream).
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { Client, credentials } from '@grpc/grpc-js';
import { decodeRecordEventsRequest } from '../src/adapters/grpc/codec.js';
import { openSqliteStore } from '../src/adapters/stores/sqlite/sqlite-store.js';
import { prepareEntry } from '../src/core/pipeline.js';
import { originOf } from '../src/core/stream-session.js';
import { DEFAULT_IDENTITY_POLICY } from '../src/core/identity/identify.js';
import {
  RecordEventsRequestSchema,
  RecordEventsResponseSchema,
  type RecordEventsRequestMetadata,
} from '../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { fromBinary } from '@bufbuild/protobuf';
import { sampleEvents } from '../src/tools/sample-events.js';
import { startServe } from '../test/helpers/cli.js';
import { unlicensed } from '../test/helpers/gateway.js';
import { tempDir } from '../test/helpers/temp-dir.js';

const STREAMS = Number(process.env.BENCH_STREAMS ?? 8);
const PAYLOAD_EVENTS = Number(process.env.BENCH_PAYLOAD_EVENTS ?? 500);
const PAYLOADS_PER_STREAM = Number(process.env.BENCH_PAYLOADS_PER_STREAM ?? 40);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 4);

const encodeMetadata = (metadata: RecordEventsRequestMetadata): Buffer =>
  Buffer.from(toBinary(RecordEventsRequestSchema, create(RecordEventsRequestSchema, { payload: { case: 'metadata', value: metadata } })));

function encodePayloads(count: number, firstIndex: number): Buffer[] {
  return Array.from({ length: count }, (_, p) =>
    Buffer.from(
      toBinary(
        RecordEventsRequestSchema,
        create(RecordEventsRequestSchema, {
          payload: { case: 'events', value: { events: sampleEvents(PAYLOAD_EVENTS, firstIndex + p * PAYLOAD_EVENTS) } },
        }),
      ),
    ),
  );
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function streamPayloads(client: Client, metadata: Buffer, payloads: Buffer[], latencies: number[]): Promise<number> {
  const identity = (b: Buffer): Buffer => b;
  const call = client.makeBidiStreamRequest(
    '/telemetrygateway.v1.TelemeteryGatewayService/RecordEvents',
    identity,
    (b: Buffer) => fromBinary(RecordEventsResponseSchema, b),
  );
  const sentAt: number[] = [];
  let acked = 0;
  let answered = 0;
  let wake: (() => void) | undefined;
  const done = new Promise<void>((resolve, reject) => {
    call.on('data', (response: { succeededEvents: string[] }) => {
      latencies.push(performance.now() - sentAt[answered++]!);
      acked += response.succeededEvents.length;
      wake?.();
    });
    call.on('error', reject);
    call.on('end', resolve);
  });
  call.write(metadata);
  for (const payload of payloads) {
    while (sentAt.length - answered >= WINDOW) await new Promise<void>((resolve) => (wake = resolve));
    sentAt.push(performance.now());
    if (!call.write(payload)) await once(call, 'drain');
  }
  call.end();
  await done;
  return acked;
}

function peakRssMiB(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

async function overTheNetwork(perStream: Buffer[][], metadata: Buffer): Promise<void> {
  using dir = tempDir('tgw-bench-');
  const serve = await startServe(['--listen', '127.0.0.1:0', '--store', `sqlite:${join(dir.path, 'bench.db')}`, '--log-level', 'warn']);
  try {
    const clients = perStream.map(() => new Client(serve.address, credentials.createInsecure()));
    // Warm-up: one small stream so connection setup and JIT are not measured.
    await streamPayloads(clients[0]!, metadata, encodePayloads(2, 10_000_000), []);
    const latencies: number[] = [];
    const started = performance.now();
    const acked = await Promise.all(perStream.map((payloads, i) => streamPayloads(clients[i]!, metadata, payloads, latencies)));
    const seconds = (performance.now() - started) / 1000;
    const total = acked.reduce((a, b) => a + b, 0);
    latencies.sort((a, b) => a - b);
    const rss = peakRssMiB(serve.child.pid!);
    clients.forEach((c) => c.close());
    console.log(
      JSON.stringify({
        benchmark: 'gateway over gRPC (separate process, SQLite, durable acks)',
        streams: STREAMS,
        eventsPerPayload: PAYLOAD_EVENTS,
        events: total,
        seconds: Number(seconds.toFixed(2)),
        eventsPerSecond: Math.round(total / seconds),
        payloadAckLatencyMs: { p50: Number(percentile(latencies, 50).toFixed(1)), p99: Number(percentile(latencies, 99).toFixed(1)) },
        gatewayPeakRssMiB: Math.round(rss),
      }),
    );
    return void (await serve.stop());
  } catch (error) {
    await serve.stop();
    throw error;
  }
}

async function inProcessCeiling(perStream: Buffer[][], metadata: Buffer): Promise<void> {
  using dir = tempDir('tgw-bench-');
  const store = openSqliteStore(join(dir.path, 'ceiling.db'));
  const decodedMetadata = decodeRecordEventsRequest(metadata);
  if (decodedMetadata.payload !== 'metadata') throw new Error('bad metadata');
  const origin = originOf(decodedMetadata.metadata, decodedMetadata.metadataBytes, {
    authorization: undefined,
    policy: DEFAULT_IDENTITY_POLICY,
    now: () => new Date(),
  });
  const started = performance.now();
  let total = 0;
  await Promise.all(
    perStream.map(async (payloads) => {
      for (const bytes of payloads) {
        const request = decodeRecordEventsRequest(bytes);
        if (request.payload !== 'events') continue;
        const entries = request.events.map((e) => prepareEntry(e, origin));
        const outcomes = await store.write({ origin, entries });
        total += outcomes.length;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  console.log(
    JSON.stringify({
      benchmark: 'in-process ceiling (decode + pipeline + SQLite group commit, no network)',
      events: total,
      seconds: Number(seconds.toFixed(2)),
      eventsPerSecond: Math.round(total / seconds),
    }),
  );
}

const metadata = encodeMetadata(unlicensed('bench-instance'));
console.error(`encoding ${STREAMS} x ${PAYLOADS_PER_STREAM} payloads of ${PAYLOAD_EVENTS} events...`);
const network = Array.from({ length: STREAMS }, (_, s) => encodePayloads(PAYLOADS_PER_STREAM, s * PAYLOADS_PER_STREAM * PAYLOAD_EVENTS));
const sample = network[0]![0]!;
console.error(`payload size ${(sample.length / 1024).toFixed(0)} KiB, ~${Math.round(sample.length / PAYLOAD_EVENTS)} bytes/event`);
await overTheNetwork(network, metadata);
const ceiling = Array.from({ length: STREAMS }, (_, s) => encodePayloads(PAYLOADS_PER_STREAM, 50_000_000 + s * PAYLOADS_PER_STREAM * PAYLOAD_EVENTS));
await inProcessCeiling(ceiling, metadata);
