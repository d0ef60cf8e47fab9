import { admitEvents, type RateLimitPolicy, type SourceBudget } from './token-bucket.js';

/**
 * Per-source limits shared by the replicas of a cluster, approximately: each
 * replica keeps its own token bucket and daily count (admission stays a local,
 * synchronous decision), and every second or so exchanges its counts with a
 * shared store (`RateUsageExchange`). From what the others report it takes a
 * slice of the policy:
 *
 * - rate and burst: divided evenly among the replicas the source is currently
 *   sending through (those that saw it in the last few seconds);
 * - daily quota: of what the cluster has left today, an even share per active
 *   replica until the next exchange, which shares out what is left again.
 *
 * Counts are up to one exchange old, so the cluster can overshoot a little
 * (roughly a second's worth at the rate, while a replica has not yet seen the
 * others). A source under a daily quota that a replica has no current share
 * for (first seen there today, or idle there for a few exchanges) is held,
 * admitted nothing, until the next exchange says what the cluster has left:
 * otherwise each replica it moves to could admit a whole quota, or what was
 * left when it last sent there, before hearing of the others. A replica whose exchanges
 * fail falls back to the whole rate and quota, still subtracting what the
 * others had used today when it last heard.
 */
export interface ClusterShare {
  /** Replicas sending this source lately, this one included (at least 1). */
  activeReplicas: number;
  /** Events the other replicas had admitted for it on `day`. */
  othersUsedToday: number;
  /** UTC day number the counts are of. */
  day: number;
  /** This replica may admit up to this many events of the source on `day` (its own count included). */
  ownCeiling: number;
  /** When the exchange answered (ms). */
  syncedAtMs: number;
}

/** What the shared store says about one source: the other replicas' part. */
export interface OthersUsage {
  /** Other replicas that saw the source lately. */
  activeReplicas: number;
  /** Events they admitted for it today. */
  usedToday: number;
}

const DAY_MS = 86_400_000;

export function utcDay(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** The share an exchange gives this replica, given what it had admitted itself today when the answer came. */
export function shareFromExchange(policy: RateLimitPolicy, others: OthersUsage, ownUsedToday: number, day: number, nowMs: number): ClusterShare {
  const activeReplicas = 1 + Math.max(0, others.activeReplicas);
  const left = Math.max(0, policy.dailyQuota - others.usedToday - ownUsedToday);
  return {
    activeReplicas,
    othersUsedToday: others.usedToday,
    day,
    ownCeiling: ownUsedToday + Math.ceil(left / activeReplicas),
    syncedAtMs: nowMs,
  };
}

/**
 * How many of `requested` events to admit now, and the budget after: the
 * token bucket at this replica's slice of the rate, capped by its slice of
 * the daily quota. A share older than `staleAfterMs` (exchanges failing) no
 * longer splits the rate, and caps the quota only by the others' last known use.
 * `holdUnshared`: no current share (the caller judges), and the exchange is
 * working: admit nothing under a daily quota until it answers.
 */
export function admitShared(
  budget: SourceBudget | undefined,
  requested: number,
  nowMs: number,
  policy: RateLimitPolicy,
  share: ClusterShare | undefined,
  staleAfterMs: number,
  holdUnshared = false,
): { admitted: number; budget: SourceBudget } {
  const day = utcDay(nowMs);
  const fresh = share !== undefined && nowMs - share.syncedAtMs <= staleAfterMs;
  const replicas = fresh ? share.activeReplicas : 1;
  const local: RateLimitPolicy = {
    eventsPerSecond: policy.eventsPerSecond / replicas,
    burst: Math.max(1, policy.burst / replicas),
    dailyQuota: policy.dailyQuota,
  };
  let cap = requested;
  if (policy.dailyQuota > 0 && holdUnshared) {
    cap = 0;
  } else if (policy.dailyQuota > 0 && share !== undefined && share.day === day) {
    const ownUsed = budget !== undefined && budget.day === day ? budget.usedToday : 0;
    const ceiling = fresh ? share.ownCeiling : policy.dailyQuota - share.othersUsedToday;
    cap = Math.max(0, Math.min(requested, ceiling - ownUsed));
  }
  return admitEvents(budget, cap, nowMs, local);
}
