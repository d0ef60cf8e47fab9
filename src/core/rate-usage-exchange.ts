import type { OthersUsage } from './shared-rate-limit.js';

/** Events one source had admitted on this replica since the last report (0: it was asked, none admitted). */
export interface UsageReport {
  sourceKey: string;
  admitted: number;
}

/**
 * The shared store of per-source usage behind cluster-wide limits
 * (shared-rate-limit.ts): one call adds this replica's counts for the day and
 * answers what the other replicas have reported for the same sources.
 */
export interface RateUsageExchange {
  /** Rejects when the store cannot be reached; the reports are then not counted (send them again). */
  exchange(day: number, reports: readonly UsageReport[]): Promise<Map<string, OthersUsage>>;
  close(): Promise<void>;
}
