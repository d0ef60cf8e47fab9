/**
 * The ingest benchmark's load, shared by every store measured: realistic
 * payloads (src/tools/sample-events.ts, ~485 bytes per event), several
 * concurrent streams with a bounded window of unanswered payloads, against a
 * gateway in a separate process or against a store in process.
 *
 * Environment knobs: BENCH_STREAMS (8), BENCH_PAYLOAD_EVENTS (500),
 * BENCH_PAYLOADS_PER_STREAM (40), BENCH_WINDOW (4 unacknowledged payloads per stream).
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Client, credentials } from '@grpc/grpc-js';
import { decodeRecordEventsRequest } from '../src/adapters/grpc/codec.js';
import { DEFAULT_IDENTITY_POLICY } from '../src/core/identity/identify.js';
import { prepareEvent } from '../src/core/pipeline.js';
import { eventListToArray } from '../src/core/wire/event-list.js';
import { indexAllowlist } from '../src/core/privacy/allowlist.js';
import type { EventStore } from '../src/core/store.js';
import { originOf } from '../src/core/stream-session.js';
import {
  RecordEventsRequestSchema,
  RecordEventsResponseSchema,
  type RecordEventsRequestMetadata,
} from '../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { SAMPLE_PRIVACY_ALLOWLIST, sampleEvents } from '../src/tools/sample-events.js';
import { startServe } from '../test/helpers/cli.js';

export const STREAMS = Number(process.env.BENCH_STREAMS ?? 8);
export const PAYLOAD_EVENTS = Number(process.env.BENCH_PAYLOAD_EVENTS ?? 500);
export const PAYLOADS_PER_STREAM = Number(process.env.BENCH_PAYLOADS_PER_STREAM ?? 40);
export const WINDOW = Number(process.env.BENCH_WINDOW ?? 4);

export const encodeMetadata = (metadata: RecordEventsRequestMetadata): Buffer =>
  Buffer.from(toBinary(RecordEventsRequestSchema, create(RecordEventsRequestSchema, { payload: { case: 'metadata', value: metadata } })));

export function encodePayloads(count: number, firstIndex: number): Buffer[] {
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

/** One payload list per stream; `offset` keeps event indexes (and so the mix) apart between runs. */
export const encodeRun = (offset: number): Buffer[][] =>
  Array.from({ length: STREAMS }, (_, s) => encodePayloads(PAYLOADS_PER_STREAM, offset + s * PAYLOADS_PER_STREAM * PAYLOAD_EVENTS));

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** The benchmark's client: one stream, at most WINDOW unanswered payloads; returns the ids acknowledged. */
export async function streamPayloads(client: Client, metadata: Buffer, payloads: Buffer[], latencies: number[]): Promise<number> {
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

/** Streams every payload through a `serve` process writing to `storeUrl`; prints one JSON line. */
export async function overTheNetwork(label: string, storeUrl: string, perStream: Buffer[][], metadata: Buffer): Promise<void> {
  const allowlist = SAMPLE_PRIVACY_ALLOWLIST.flatMap((entry) => ['--privacy-allowlist', entry]);
  const serve = await startServe(['--listen', '127.0.0.1:0', '--store', storeUrl, '--log-level', 'warn', ...allowlist], {
    nodeArgs: process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean),
  });
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
        benchmark: `gateway over gRPC (separate process, ${label}, durable acks)`,
        streams: STREAMS,
        eventsPerPayload: PAYLOAD_EVENTS,
        events: total,
        seconds: Number(seconds.toFixed(2)),
        eventsPerSecond: Math.round(total / seconds),
        payloadAckLatencyMs: { p50: Number(percentile(latencies, 50).toFixed(1)), p99: Number(percentile(latencies, 99).toFixed(1)) },
        gatewayPeakRssMiB: Math.round(rss),
      }),
    );
  } finally {
    await serve.stop();
  }
}

const NO_ALLOWLIST = indexAllowlist([]);

/** Decode + pipeline + store in this process, no network: the ceiling the gateway approaches. */
export async function inProcess(label: string, store: EventStore, perStream: Buffer[][], metadata: Buffer): Promise<void> {
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
        const entries = eventListToArray(request.events).map((bytes) => prepareEvent(bytes, origin, { redact: true, allowlist: NO_ALLOWLIST }).entry);
        const outcomes = await store.write({ origin, entries });
        total += outcomes.filter((o) => o.status !== 'retryable').length;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(
    JSON.stringify({
      benchmark: `in-process ceiling (decode + pipeline + ${label}, no network)`,
      events: total,
      seconds: Number(seconds.toFixed(2)),
      eventsPerSecond: Math.round(total / seconds),
    }),
  );
}
