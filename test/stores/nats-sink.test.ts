import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { toBinary } from '@bufbuild/protobuf';
import { connect } from '@nats-io/transport-node';
import { openNatsStore } from '../../src/adapters/stores/nats/nats-store.js';
import { runSink, type SinkOptions } from '../../src/adapters/stores/nats/nats-sink.js';
import { openPostgresStore } from '../../src/adapters/stores/postgres/postgres-store.js';
import { openSqliteReader } from '../../src/adapters/stores/sqlite/sqlite-store.js';
import type { EventEntry, EventStore } from '../../src/core/store.js';
import { EventSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { runCli } from '../helpers/cli.js';
import { withFaults } from '../helpers/fault-store.js';
import { testEvent } from '../helpers/gateway.js';
import { NATS_URL, natsTestStore, postgresTestStore, requireService } from '../helpers/services.js';
import { tempDir } from '../helpers/temp-dir.js';
import { origin } from './store-contract.js';

const skip = (await requireService('nats')) || (await requireService('postgres'));

/** Real events (the sink's SQL store renders their records), as the pipeline would hand them over. */
function realEntries(count: number): EventEntry[] {
  return Array.from({ length: count }, () => {
    const event = testEvent();
    return { kind: 'event', id: event.id, feature: event.feature, action: event.action, timestampMs: Date.now(), bytes: toBinary(EventSchema, event) };
  });
}

const sinkOptions = (from: string, to: SinkOptions['to']): SinkOptions => ({
  from,
  to,
  durableName: 'test-sink',
  batchSize: 50,
  retryDelayMs: 50,
  exitWhenIdle: true,
});

describe('nats sink', { skip }, () => {
  it('moves events and rejections to PostgreSQL exactly once, and terminates messages it cannot read', async () => {
    const bus = natsTestStore();
    const db = postgresTestStore();
    const nats = await openNatsStore(bus.url);
    const pg = await openPostgresStore(db.url);
    try {
      const entries = realEntries(120);
      // Re-sends go to separate publishes as well as within a batch: JetStream keeps one of each.
      await nats.write({ origin: origin('a'), entries: entries.slice(0, 80) });
      await nats.write({ origin: origin('b'), entries: [...entries.slice(60), entries[0]!] });
      await nats.write({
        origin: origin('b'),
        entries: [{ kind: 'rejected', id: 'bad-1', feature: 'Bad', action: 'x', reason: 'feature must match', bytes: Buffer.from('raw') }],
      });
      const nc = await connect({ servers: new URL(NATS_URL).host });
      await nc.publish(`${bus.subjectPrefix}.events.foreign`, 'not ours');
      await nc.flush();
      await nc.close();

      const stats = await runSink(sinkOptions(bus.url, pg));
      assert.deepEqual(stats, { received: 122, stored: 121, duplicates: 0, retried: 0, invalid: 1 });
      assert.equal(await pg.countEvents(), 120);
      assert.equal(await pg.countRejected(), 1);
      const rows = await pg.listEvents({ limit: 200 });
      assert.deepEqual(rows.map((r) => r.id), entries.map((e) => e.id), 'stream order is kept');
      assert.deepEqual(Buffer.from(rows[100]!.eventBytes), Buffer.from(entries[100]!.bytes));
      assert.deepEqual(Buffer.from(rows[100]!.metadataBytes), Buffer.from(origin('b').metadataBytes));

      // A second sink reading the whole stream again (a new consumer) adds nothing.
      const again = await runSink({ ...sinkOptions(bus.url, pg), durableName: 'second-sink' });
      assert.equal(again.duplicates, 120);
      assert.equal(await pg.countEvents(), 120);
    } finally {
      await nats.close();
      await pg.close();
      await bus.drop();
      await db.drop();
    }
  });

  it('leaves what the store refused for redelivery, and writes it when the store takes it', async () => {
    const bus = natsTestStore();
    const db = postgresTestStore();
    const nats = await openNatsStore(bus.url);
    const pg = await openPostgresStore(db.url);
    try {
      const entries = realEntries(40);
      await nats.write({ origin: origin(), entries });
      const refusedOnce = new Set(entries.filter((_, i) => i % 4 === 0).map((e) => e.id));
      // Refuse each chosen id on its first delivery only (decided once per write, as the store answers once).
      const flaky: EventStore = {
        ...pg,
        description: pg.description,
        async write(batch) {
          const refuse = new Set(batch.entries.filter((e) => refusedOnce.delete(e.id)).map((e) => e.id));
          return withFaults(pg, { failEntry: (e) => refuse.has(e.id) }).write(batch);
        },
      };
      const stats = await runSink(sinkOptions(bus.url, flaky));
      assert.equal(stats.retried, 10);
      assert.equal(stats.stored, 40);
      assert.equal(await pg.countEvents(), 40);
    } finally {
      await nats.close();
      await pg.close();
      await bus.drop();
      await db.drop();
    }
  });

  it('runs as `telemetry-gateway sink --exit-when-idle` into SQLite', async () => {
    using dir = tempDir();
    const bus = natsTestStore();
    const nats = await openNatsStore(bus.url);
    try {
      await nats.write({ origin: origin(), entries: realEntries(25) });
      const path = join(dir.path, 'sink.db');
      const result = await runCli(['sink', '--from', bus.url, '--to', `sqlite:${path}`, '--exit-when-idle', '--log-level', 'warn']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /"stored":25/);
      const reader = openSqliteReader(path);
      assert.equal(await reader.countEvents(), 25);
      await reader.close();
      const refused = await runCli(['sink', '--from', `sqlite:${path}`, '--to', `sqlite:${path}`]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /--from must be a nats:\/\/ URL/);
    } finally {
      await nats.close();
      await bus.drop();
    }
  });
});
