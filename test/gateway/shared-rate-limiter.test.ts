import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openPostgresRateUsage } from '../../src/adapters/stores/postgres/postgres-rate-usage.js';
import { openPostgresStore } from '../../src/adapters/stores/postgres/postgres-store.js';
import type { StreamOrigin } from '../../src/core/store.js';
import { createSourceRateLimiter, type SourceRateLimiter } from '../../src/gateway/source-rate-limiter.js';
import { startOutageProxy } from '../helpers/outage-proxy.js';
import { pollUntil } from '../helpers/poll.js';
import { POSTGRES_URL, requireService, uniqueName, withPostgres } from '../helpers/services.js';

const skip = await requireService('postgres');

const origin = (instanceId: string): StreamOrigin => ({
  source: { kind: 'unlicensed_instance', instanceId, externalUrl: `https://${instanceId}.example.com` },
  publisher: 'unlicensed_instance',
  metadataBytes: new Uint8Array(),
  metadataDigest: `digest-${instanceId}`,
});

/** Calls admit until it admits something (or the deadline passes); the count admitted. */
const admitWhenAnswered = (limiter: SourceRateLimiter, from: StreamOrigin, count: number): Promise<number> =>
  pollUntil('an admission', () => {
    const admitted = limiter.admit(from, count);
    return admitted > 0 ? admitted : undefined;
  });

async function usedIn(schema: string): Promise<number> {
  return withPostgres(async (c) => (await c.query(`SELECT coalesce(sum(used), 0)::int AS used FROM "${schema}".rate_usage`)).rows[0].used);
}

describe('source rate limiter shared through PostgreSQL', { skip }, () => {
  it('a daily quota across two limiters; a new source waits for one exchange; an unreachable store falls back to local limits and counts are sent once it is back', async () => {
    const schema = uniqueName('cluster_limiter');
    const url = (hostPort: string) => `${POSTGRES_URL.replace('127.0.0.1:5432', hostPort)}${POSTGRES_URL.includes('?') ? '&' : '?'}schema=${schema}`;
    // The store's migrations create rate_usage.
    await (await openPostgresStore(url('127.0.0.1:5432'))).close();
    await using proxy = await startOutageProxy('127.0.0.1', 5432);
    const warnings: number[] = [];
    const policy = { eventsPerSecond: 0, burst: 0, dailyQuota: 100 };
    const limiter = (hostPort: string, now = Date.now) =>
      createSourceRateLimiter(policy, {
        now,
        shared: { usage: openPostgresRateUsage(url(hostPort)), intervalMs: 100, staleAfterMs: 1_000, warn: (failures) => warnings.push(failures) },
      })!;
    // A's clock can be moved ahead, to make its share of the quota old without waiting.
    let aheadMs = 0;
    const a = limiter('127.0.0.1:5432', () => Date.now() + aheadMs);
    const b = limiter(proxy.address);
    const source = origin('quota-src');
    try {
      // First sight on A: held (0) until an exchange says what the cluster has left; then all 60 asked.
      assert.equal(a.admit(source, 60), 0);
      assert.equal(await admitWhenAnswered(a, source, 60), 60);
      await pollUntil('A\'s 60 in the table', async () => ((await usedIn(schema)) === 60 ? true : undefined));
      // B hears of A's 60 before admitting anything: 40 left, and A is active, so B gets half now.
      const firstOnB = await admitWhenAnswered(b, source, 100);
      assert.equal(firstOnB, 20);
      // Through further exchanges B gets the rest of the quota, never more.
      let onB = firstOnB;
      await pollUntil('B to reach the rest of the quota', () => {
        onB += b.admit(source, 100);
        return onB >= 40 ? true : undefined;
      });
      assert.equal(onB, 40);
      await pollUntil('B\'s 40 in the table', async () => ((await usedIn(schema)) === 100 ? true : undefined));
      // A's share (100 left when it was alone) is old now: held until renewed, and then there is nothing left.
      const aRow = async () =>
        withPostgres(async (c) => (await c.query(`SELECT demand_at::text AS at FROM "${schema}".rate_usage WHERE used = 60`)).rows[0].at as string);
      const before = await aRow();
      aheadMs = 10_000;
      assert.equal(a.admit(source, 100), 0, 'A: held');
      await pollUntil('A to renew its share', async () => ((await aRow()) !== before ? true : undefined));
      assert.equal(a.admit(source, 100), 0, 'A: the cluster used the day');

      // The store goes away: B warns (once, however many exchanges fail) and falls back to local limits:
      // the others' last known use still counts, so nothing more today for this source.
      await proxy.cut();
      const other = origin('other-src');
      assert.equal(b.admit(other, 30), 0, 'held: its exchange starts now, and fails');
      await pollUntil('B to notice the outage', () => (warnings.length > 0 ? true : undefined));
      assert.equal(b.admit(other, 30), 30, 'a new source is not held while the exchange is failing');
      assert.equal(b.admit(source, 100), 0);
      assert.deepEqual(warnings, [1], 'one warning for the outage');
      // Back: what B admitted meanwhile reaches the table.
      await proxy.restore();
      await pollUntil('B\'s counts from the outage in the table', async () => ((await usedIn(schema)) === 130 ? true : undefined));
    } finally {
      await Promise.all([a.close(), b.close()]);
      await withPostgres((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    }
  });

  it('exchanges counts of sources whose keys hold U+0000 (an instance id may), without failing the others', async () => {
    const schema = uniqueName('nul_limiter');
    const url = `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}schema=${schema}`;
    await (await openPostgresStore(url)).close();
    const [a, b] = [openPostgresRateUsage(url, 'a'), openPostgresRateUsage(url, 'b')];
    try {
      const day = 20_000;
      await a.exchange(day, [
        { sourceKey: 'unlicensed:nul\u0000id', admitted: 5 },
        { sourceKey: 'unlicensed:nul\uFFFDid', admitted: 2 },
        { sourceKey: 'unlicensed:plain', admitted: 3 },
      ]);
      const seen = await b.exchange(day, [
        { sourceKey: 'unlicensed:nul\u0000id', admitted: 0 },
        { sourceKey: 'unlicensed:plain', admitted: 0 },
      ]);
      // The two keys that differ only there share a row: the rarest of cases, and the safer side of a limit.
      assert.equal(seen.get('unlicensed:nul\u0000id')?.usedToday, 7);
      assert.equal(seen.get('unlicensed:plain')?.usedToday, 3);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await withPostgres((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    }
  });
});
