/**
 * Exporter drain benchmark: how long a backlog of queued events takes to reach
 * a local gateway (separate process, SQLite store, durable acks) through the
 * export loop with its default batching. Run by `npm run bench`.
 *
 * Environment knobs: BENCH_DRAIN_EVENTS (1,000,000), BENCH_DRAIN_CONCURRENT_BATCHES (2),
 * BENCH_DRAIN_STORE (sqlite; `memory` isolates the exporter's side from the gateway's store),
 * BENCH_GATEWAY_NODE_ARGS (space-separated node flags for the gateway process, e.g. `--cpu-prof`).
 */
import { join } from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import { openSqliteQueue } from '../src/adapters/queues/sqlite-queue.js';
import { openSqliteReader } from '../src/adapters/stores/sqlite/sqlite-store.js';
import { indexAllowlist } from '../src/core/privacy/allowlist.js';
import { redactEvent } from '../src/core/privacy/redact-event.js';
import { createExportLoop } from '../src/exporter/export-loop.js';
import type { QueuedEvent } from '../src/exporter/queue.js';
import { EventSchema } from '../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { sampleEvent } from '../src/tools/sample-events.js';
import { startServe } from '../test/helpers/cli.js';
import { plaintextConnector } from '../test/helpers/exporter.js';
import { tempDir } from '../test/helpers/temp-dir.js';

const EVENTS = Number(process.env.BENCH_DRAIN_EVENTS ?? 1_000_000);
const CONCURRENT_BATCHES = Number(process.env.BENCH_DRAIN_CONCURRENT_BATCHES ?? 2);
const STORE = process.env.BENCH_DRAIN_STORE ?? 'sqlite';
const FILL_CHUNK = 20_000;

using dir = tempDir('tgw-bench-drain-');
const queue = openSqliteQueue(join(dir.path, 'queue.db'));
const nothingAllowlisted = indexAllowlist([]);
const fillStarted = performance.now();
let bytes = 0;
for (let first = 0; first < EVENTS; first += FILL_CHUNK) {
  const chunk: QueuedEvent[] = [];
  for (let i = first; i < Math.min(EVENTS, first + FILL_CHUNK); i++) {
    const event = sampleEvent(i);
    redactEvent(event, nothingAllowlisted); // what the recorder queues
    const encoded = toBinary(EventSchema, event);
    bytes += encoded.length;
    chunk.push({ id: event.id, timestampMs: Date.now(), bytes: encoded });
  }
  await queue.enqueue(chunk);
}
console.log(`queued ${EVENTS} events (~${Math.round(bytes / EVENTS)} bytes each) in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s`);

const storePath = join(dir.path, 'telemetry.db');
const serve = await startServe(['--listen', '127.0.0.1:0', '--store', STORE === 'memory' ? 'memory:' : `sqlite:${storePath}`, '--log-level', 'warn'], {
  nodeArgs: process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean),
});
try {
  const loop = createExportLoop({ queue, connect: plaintextConnector(serve.address), batchSize: 10_000, concurrentBatches: CONCURRENT_BATCHES });
  const started = performance.now();
  const result = await loop.runOnce();
  const seconds = (performance.now() - started) / 1000;
  let stored: number | undefined;
  if (STORE !== 'memory') {
    const reader = openSqliteReader(storePath);
    stored = await reader.countEvents();
    await reader.close();
  }
  console.log(
    JSON.stringify({
      benchmark: `exporter drain (SQLite queue -> gRPC -> gateway process, ${STORE === 'memory' ? 'memory store' : 'SQLite, durable acks'})`,
      events: EVENTS,
      concurrentBatches: CONCURRENT_BATCHES,
      seconds: Number(seconds.toFixed(2)),
      eventsPerSecond: Math.round(result.acknowledged / seconds),
      acknowledged: result.acknowledged,
      storedAtGateway: stored,
      pendingAfter: (await queue.stats(Date.now())).pending,
      error: result.error,
    }),
  );
} finally {
  await queue.close();
  await serve.stop();
}
