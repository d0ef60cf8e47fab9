import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { DashboardQueries, MinuteSummary } from '../../src/core/dashboard-queries.js';
import { createMinuteHistory, MINUTE_MS } from '../../src/dashboard/minute-history.js';

it('minute history asks the store for each closed minute once, however often it is polled', async () => {
  const asked: [number, number][] = [];
  const queries = {
    async minuteSummaries(fromMs: number, toMs: number): Promise<MinuteSummary[]> {
      asked.push([fromMs, toMs]);
      const minutes: MinuteSummary[] = [];
      for (let m = fromMs; m < toMs; m += MINUTE_MS) minutes.push({ minuteMs: m, stored: 1, rejected: 0, pairs: [] });
      return minutes;
    },
  } as unknown as DashboardQueries;
  const history = createMinuteHistory(queries, { keepMinutes: 60, settleMs: 5_000 });
  const start = 1000 * MINUTE_MS;

  const first = await history.closed(start + 10_000);
  assert.equal(first.openFromMs, start);
  assert.equal(first.minutes.length, 60);
  await Promise.all([history.closed(start + 20_000), history.closed(start + 30_000)]);
  assert.equal(asked.length, 1, 'polls within the minute reuse the answer');

  const later = await history.closed(start + MINUTE_MS + 6_000);
  assert.deepEqual(asked[1], [start, start + MINUTE_MS], 'only the minute that closed since');
  assert.equal(later.minutes.length, 60, 'the oldest minute rolled off');
  assert.equal(later.minutes.at(-1)!.minuteMs, start);
});
