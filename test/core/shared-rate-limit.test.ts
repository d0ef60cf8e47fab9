import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admitShared, shareFromExchange, utcDay, type ClusterShare } from '../../src/core/shared-rate-limit.js';
import type { RateLimitPolicy, SourceBudget } from '../../src/core/token-bucket.js';

const DAY = 86_400_000;
const T0 = 20_000 * DAY + 3_600_000;
const STALE = 5_000;

/** Admits `perCall` every `stepMs` for `durationMs`; the total admitted and the final budget. */
function run(policy: RateLimitPolicy, share: ClusterShare | undefined, startMs: number, durationMs: number, budget?: SourceBudget) {
  let admittedTotal = 0;
  let b = budget;
  for (let t = startMs; t <= startMs + durationMs; t += 100) {
    const { admitted, budget: next } = admitShared(b, 1_000, t, policy, share, STALE);
    admittedTotal += admitted;
    b = next;
  }
  return { admitted: admittedTotal, budget: b! };
}

describe('shared rate limits (pure)', () => {
  it('without a share (alone, or before any exchange) a replica has the whole rate and burst', () => {
    const policy = { eventsPerSecond: 100, burst: 50, dailyQuota: 0 };
    // 50 at once, then 100/s for 10 s (the first tick refills nothing).
    assert.equal(run(policy, undefined, T0, 10_000).admitted, 50 + 1000);
  });

  it('with two replicas sending the source, each gets half the rate and half the burst', () => {
    const policy = { eventsPerSecond: 100, burst: 50, dailyQuota: 0 };
    const share = shareFromExchange(policy, { activeReplicas: 1, usedToday: 0 }, 0, utcDay(T0), T0);
    assert.equal(share.activeReplicas, 2);
    // Fresh for the whole run: re-stamped as the background exchange would.
    let admitted = 0;
    let budget: SourceBudget | undefined;
    for (let t = T0; t <= T0 + 10_000; t += 100) {
      const step = admitShared(budget, 1_000, t, policy, { ...share, syncedAtMs: t }, STALE);
      admitted += step.admitted;
      budget = step.budget;
    }
    assert.equal(admitted, 25 + 500);
  });

  it('a stale share (exchanges failing) no longer splits the rate', () => {
    const policy = { eventsPerSecond: 100, burst: 50, dailyQuota: 0 };
    const share = shareFromExchange(policy, { activeReplicas: 3, usedToday: 0 }, 0, utcDay(T0), T0 - STALE - 1);
    assert.equal(run(policy, share, T0, 10_000).admitted, 1050);
  });

  it('daily quota: the cluster remainder is shared out evenly among the replicas sending', () => {
    const policy = { eventsPerSecond: 0, burst: 0, dailyQuota: 1000 };
    // Others used 400, this replica 100: 500 left, two replicas: this one may reach 100 + 250.
    const { budget: used100 } = admitShared(undefined, 100, T0, policy, undefined, STALE);
    const share = shareFromExchange(policy, { activeReplicas: 1, usedToday: 400 }, 100, utcDay(T0), T0);
    assert.equal(share.ownCeiling, 350);
    assert.equal(admitShared(used100, 1000, T0 + 10, policy, share, STALE).admitted, 250);
    // Odd remainders round up (at most one event per replica over the quota), none left: nothing.
    assert.equal(shareFromExchange(policy, { activeReplicas: 2, usedToday: 999 }, 0, utcDay(T0), T0).ownCeiling, 1);
    assert.equal(shareFromExchange(policy, { activeReplicas: 1, usedToday: 1200 }, 0, utcDay(T0), T0).ownCeiling, 0);
  });

  it('daily quota with a stale share: what the others had used still counts, the split does not', () => {
    const policy = { eventsPerSecond: 0, burst: 0, dailyQuota: 1000 };
    const share = shareFromExchange(policy, { activeReplicas: 1, usedToday: 700 }, 0, utcDay(T0), T0);
    assert.equal(admitShared(undefined, 1000, T0 + STALE + 1, policy, share, STALE).admitted, 300);
  });

  it('held (no share of today yet, exchange working): nothing under a daily quota; a rate-only source is not held', () => {
    const quota = { eventsPerSecond: 0, burst: 0, dailyQuota: 1000 };
    assert.equal(admitShared(undefined, 10, T0, quota, undefined, STALE, true).admitted, 0);
    const yesterday = shareFromExchange(quota, { activeReplicas: 0, usedToday: 0 }, 0, utcDay(T0) - 1, T0 - 1000);
    assert.equal(admitShared(undefined, 10, T0, quota, yesterday, STALE, true).admitted, 0);
    const rateOnly = { eventsPerSecond: 10, burst: 10, dailyQuota: 0 };
    assert.equal(admitShared(undefined, 10, T0, rateOnly, undefined, STALE, true).admitted, 10);
  });

  it('a share of yesterday does not cap today', () => {
    const policy = { eventsPerSecond: 0, burst: 0, dailyQuota: 1000 };
    const share = shareFromExchange(policy, { activeReplicas: 1, usedToday: 1000 }, 0, utcDay(T0), T0);
    assert.equal(admitShared(undefined, 1000, T0 + DAY, policy, share, STALE).admitted, 1000);
  });
});
