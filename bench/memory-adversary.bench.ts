/**
 * The adversarial memory case (issue 11): BENCH_FLOOD_CLIENTS (8) clients each
 * push BENCH_FLOOD_PAYLOADS (3) payloads of ~BENCH_FLOOD_MB (15) MB of small
 * events at once at `serve` (default settings, SQLite), while another client
 * keeps sending small payloads. Prints the gateway's peak RSS, whether the
 * other client was acknowledged during the flood, and how long the flood took.
 * Run: npm run build && node --import tsx bench/memory-adversary.bench.ts
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { Client, credentials } from '@grpc/grpc-js';
import { frameRequest } from '../src/core/wire/frame-request.js';
import { EventSchema, RecordEventsRequestSchema } from '../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { startServe } from '../test/helpers/cli.js';
import { unlicensed } from '../test/helpers/gateway.js';
import { tempDir } from '../test/helpers/temp-dir.js';
import { encodeMetadata, encodePayloads } from './ingest-load.js';

const CLIENTS = Number(process.env.BENCH_FLOOD_CLIENTS ?? 8);
const PAYLOADS = Number(process.env.BENCH_FLOOD_PAYLOADS ?? 3);
const PAYLOAD_MB = Number(process.env.BENCH_FLOOD_MB ?? 15);

using dir = tempDir('tgw-flood-');
const serve = await startServe(['--listen', '127.0.0.1:0', '--store', `sqlite:${join(dir.path, 'flood.db')}`, '--log-level', 'warn'], {
  env: process.env.BENCH_GATEWAY_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_GATEWAY_NODE_OPTIONS } : {},
});
const identity = (b: Buffer): Buffer => b;
const countIds = (b: Buffer): number => {
  let n = 0;
  for (let pos = 0; pos < b.length; n++) {
    pos++;
    let length = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = b[pos++]!;
      length += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
    }
    pos += length;
  }
  return n;
};

try {
  const template = floodPayload();
  const started = performance.now();
  const flood = Array.from({ length: CLIENTS }, async (_, c) => {
    const client = new Client(serve.address, credentials.createInsecure(), { 'grpc.max_send_message_length': 64 << 20, 'grpc.max_receive_message_length': 64 << 20 });
    const call = client.makeBidiStreamRequest('/telemetrygateway.v1.TelemeteryGatewayService/RecordEvents', identity, identity);
    let acked = 0;
    call.on('data', (b: Buffer) => (acked += countIds(b)));
    const done = new Promise<void>((resolve) => {
      call.on('end', resolve);
      call.on('error', (error) => {
        console.error(`flood client ${c}: ${error.message}`);
        resolve();
      });
    });
    call.write(encodeMetadata(unlicensed(`flood-${c}`)));
    for (let p = 0; p < PAYLOADS; p++) call.write(withNewIds(template, `${c}${p}`));
    call.end();
    await done;
    client.close();
    return acked;
  });

  // The other client: one small payload at a time, for as long as the flood lasts.
  let floodOver = false;
  const bystander = (async () => {
    const client = new Client(serve.address, credentials.createInsecure());
    const call = client.makeBidiStreamRequest('/telemetrygateway.v1.TelemeteryGatewayService/RecordEvents', identity, identity);
    call.on('error', (error) => console.error(`bystander: ${error.message}`));
    call.write(encodeMetadata(unlicensed('bystander')));
    let acked = 0;
    let maxWaitMs = 0;
    for (let i = 0; !floodOver; i++) {
      const sent = performance.now();
      call.write(encodePayloads(1, 90_000_000 + i * 500)[0]!);
      const [b] = (await once(call, 'data').catch(() => [Buffer.alloc(0)])) as [Buffer];
      acked += countIds(b);
      maxWaitMs = Math.max(maxWaitMs, performance.now() - sent);
    }
    call.end();
    client.close();
    return { acked, maxWaitMs };
  })();

  const acked = await Promise.all(flood);
  const floodSeconds = (performance.now() - started) / 1000;
  floodOver = true;
  const other = await bystander;
  const peak = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${serve.child.pid}/status`, 'utf8'))?.[1];
  console.log(
    JSON.stringify({
      benchmark: `memory under ${CLIENTS} clients x ${PAYLOADS} payloads of ~${PAYLOAD_MB} MB of small events`,
      payloadBytes: template.length,
      eventsPerPayload: countEvents(template),
      floodEventsAcknowledged: acked.reduce((a, b) => a + b, 0),
      floodSeconds: Number(floodSeconds.toFixed(1)),
      otherClient: { eventsAcknowledged: other.acked, longestWaitMs: Math.round(other.maxWaitMs) },
      gatewayPeakRssMiB: Math.round(Number(peak) / 1024),
    }),
  );
} finally {
  await serve.stop();
}

/** One events request of about PAYLOAD_MB of small (~60 byte) events. */
function floodPayload(): Buffer {
  const count = Math.floor((PAYLOAD_MB * 1000 * 1000) / 70);
  const ms = Date.now();
  const events = Array.from({ length: count }, (_, i) =>
    create(EventSchema, { id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`, timestamp: timestampFromMs(ms), feature: 'flood', action: 'sent' }),
  );
  return Buffer.from(toBinary(RecordEventsRequestSchema, create(RecordEventsRequestSchema, { payload: { case: 'events', value: { events } } })));
}

function countEvents(request: Buffer): number {
  const framed = frameRequest(request);
  return framed?.payload === 'events' ? framed.events.length : 0;
}

/** A copy of the payload whose ids differ from every other copy's (the first 8 characters of each id). */
function withNewIds(template: Buffer, tag: string): Buffer {
  const copy = Buffer.from(template);
  const framed = frameRequest(copy);
  if (framed?.payload !== 'events') throw new Error('payload does not frame');
  const prefix = Buffer.from(tag.padStart(8, '0').slice(-8));
  for (let i = 0; i < framed.events.length; i++) prefix.copy(framed.events.at(i), 2); // id is field 1: tag, length, then the text
  return copy;
}
