/**
 * Per-source admission as plain data: a token bucket (rate + burst) and an
 * optional quota per UTC day. Events not admitted are simply not acknowledged,
 * so the exporter sends them again later; nothing is lost, only delayed.
 */
export interface RateLimitPolicy {
  /** Sustained events per second; 0: unlimited. */
  eventsPerSecond: number;
  /** Bucket size: events admitted at once after a quiet period. */
  burst: number;
  /** Events per UTC day; 0: unlimited. */
  dailyQuota: number;
}

export interface SourceBudget {
  tokens: number;
  updatedMs: number;
  /** UTC day number (ms / 86,400,000) the usage below belongs to. */
  day: number;
  usedToday: number;
}

const DAY_MS = 86_400_000;

/** The burst when none is configured: ten seconds' worth, and never below one full export batch. */
export function defaultBurst(eventsPerSecond: number): number {
  return Math.max(10_000, eventsPerSecond * 10);
}

/** How many of `requested` events to admit now, and the budget after admitting them. */
export function admitEvents(
  budget: SourceBudget | undefined,
  requested: number,
  nowMs: number,
  policy: RateLimitPolicy,
): { admitted: number; budget: SourceBudget } {
  const day = Math.floor(nowMs / DAY_MS);
  const current = budget ?? { tokens: policy.burst, updatedMs: nowMs, day, usedToday: 0 };
  const elapsedS = Math.max(0, nowMs - current.updatedMs) / 1000;
  const tokens = policy.eventsPerSecond > 0 ? Math.min(policy.burst, current.tokens + elapsedS * policy.eventsPerSecond) : Number.POSITIVE_INFINITY;
  const usedToday = current.day === day ? current.usedToday : 0;
  const quotaLeft = policy.dailyQuota > 0 ? Math.max(0, policy.dailyQuota - usedToday) : Number.POSITIVE_INFINITY;
  const admitted = Math.max(0, Math.min(requested, Math.floor(tokens), quotaLeft));
  return {
    admitted,
    budget: {
      tokens: Number.isFinite(tokens) ? tokens - admitted : policy.burst,
      updatedMs: nowMs,
      day,
      usedToday: usedToday + admitted,
    },
  };
}

/** Whether a budget carries no information a fresh one would not (safe to forget). */
export function budgetIsFresh(budget: SourceBudget, nowMs: number, policy: RateLimitPolicy): boolean {
  const day = Math.floor(nowMs / DAY_MS);
  const refilled = policy.eventsPerSecond <= 0 || budget.tokens + ((nowMs - budget.updatedMs) / 1000) * policy.eventsPerSecond >= policy.burst;
  return refilled && (policy.dailyQuota <= 0 || budget.day !== day || budget.usedToday === 0);
}
