import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';
import { toBinary } from '@bufbuild/protobuf';
import { openSqliteDashboardQueries } from '../../src/adapters/stores/sqlite/sqlite-dashboard-queries.js';
import { openSqliteStore } from '../../src/adapters/stores/sqlite/sqlite-store.js';
import type { StoreEntry, StreamOrigin } from '../../src/core/store.js';
import { EventSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { testEvent } from '../helpers/gateway.js';
import { tempDir } from '../helpers/temp-dir.js';

const origin = (instanceId: string, requestId: string): StreamOrigin => ({
  source: { kind: 'unlicensed_instance', instanceId, externalUrl: `https://${instanceId}.example.com` },
  publisher: 'unlicensed_instance',
  metadataBytes: new TextEncoder().encode(requestId),
  metadataDigest: requestId,
});
const event = (feature: string, version = '5.11.0'): StoreEntry => {
  const e = testEvent({ feature, source: { server: { version } } });
  return { kind: 'event', id: e.id, feature, action: 'submitted', timestampMs: 0, bytes: toBinary(EventSchema, e) };
};
const rejected = (feature: string, reason: string): StoreEntry => ({ kind: 'rejected', id: 'bad', feature, action: 'x', reason, bytes: new Uint8Array() });

it('SQLite dashboard queries: minutes with pairs, instances folded across streams, rejected filters', async () => {
  using dir = tempDir();
  const path = join(dir.path, 'telemetry.db');
  const store = openSqliteStore(path);
  const before = Date.now();
  await store.write({ origin: origin('a', 'stream-1'), entries: [event('search'), event('search'), event('cody.chat'), rejected('Bad', 'feature "Bad" is invalid')] });
  await store.write({ origin: origin('a', 'stream-2'), entries: [event('search', '5.12.0')] });
  await store.write({ origin: origin('b', 'stream-3'), entries: [rejected('ok', 'action is empty')] });
  const queries = openSqliteDashboardQueries(path);
  try {
    const minutes = await queries.minuteSummaries(before - 60_000, Date.now() + 60_000);
    assert.equal(minutes.reduce((n, m) => n + m.stored, 0), 4);
    assert.equal(minutes.reduce((n, m) => n + m.rejected, 0), 2);
    const pairs = minutes.flatMap((m) => m.pairs);
    assert.equal(pairs.filter((p) => p.feature === 'search').reduce((n, p) => n + p.events, 0), 3);

    const instances = await queries.instances(before - 1);
    assert.equal(instances.length, 2);
    const a = instances.find((i) => i.source.kind === 'unlicensed_instance' && i.source.instanceId === 'a')!;
    assert.equal(a.eventsSince, 4);
    assert.equal(a.rejectedSince, 1);
    assert.deepEqual(a.serverVersions, ['5.11.0', '5.12.0']);
    assert.ok(a.lastSeenMs >= before);

    assert.equal((await queries.rejected({ limit: 10 })).length, 2);
    assert.deepEqual((await queries.rejected({ limit: 10, reason: 'EMPTY' })).map((r) => r.feature), ['ok']);
    assert.deepEqual((await queries.rejected({ limit: 10, feature: 'Bad' })).map((r) => r.reason), ['feature "Bad" is invalid']);
    const [newest] = await queries.rejected({ limit: 1 });
    assert.equal((await queries.rejected({ limit: 10, beforeSeq: newest!.seq })).length, 1);
    const detail = await queries.rejectedEvent(newest!.seq);
    assert.equal(detail?.reason, 'action is empty');
    assert.equal(await queries.rejectedEvent(12345), undefined);
  } finally {
    await queries.close();
    await store.close();
  }
});

it('SQLite dashboard queries fail (not hang) when the file is missing', async () => {
  using dir = tempDir();
  const queries = openSqliteDashboardQueries(join(dir.path, 'missing.db'));
  await assert.rejects(queries.minuteSummaries(0, 1), /dashboard reader|unable to open|not exist/i);
  await queries.close();
});
