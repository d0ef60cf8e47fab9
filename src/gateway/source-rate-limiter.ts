import { sourceKey } from '../core/identity/source.js';
import { admitEvents, budgetIsFresh, type RateLimitPolicy, type SourceBudget } from '../core/token-bucket.js';
import type { StreamOrigin } from '../core/store.js';

export interface SourceRateLimiter {
  /** How many of `count` events from this origin to take now. */
  admit(origin: StreamOrigin, count: number): number;
}

/** Budgets kept before idle ones are forgotten. */
const SWEEP_ABOVE = 50_000;

/**
 * One budget per source (`sourceKey`: instance and license, or service and
 * environment, as the per-source stream cap counts them), in memory on this replica.
 */
export function createSourceRateLimiter(policy: RateLimitPolicy, now: () => number = Date.now): SourceRateLimiter | undefined {
  if (policy.eventsPerSecond <= 0 && policy.dailyQuota <= 0) return undefined;
  const budgets = new Map<string, SourceBudget>();
  return {
    admit(origin, count) {
      const key = sourceKey(origin.source);
      const nowMs = now();
      const { admitted, budget } = admitEvents(budgets.get(key), count, nowMs, policy);
      budgets.set(key, budget);
      if (budgets.size > SWEEP_ABOVE) {
        for (const [k, b] of budgets) if (budgetIsFresh(b, nowMs, policy)) budgets.delete(k);
      }
      return admitted;
    },
  };
}
