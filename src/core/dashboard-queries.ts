import type { Source } from './identity/source.js';
import type { RejectedEventRow } from './store.js';

/**
 * The dashboard's read port: aggregates a store can answer with indexed SQL.
 * Stores without it still get a dashboard, from the gateway's in-memory counters.
 */
export interface DashboardQueries {
  /**
   * Other processes (replicas) write this store too: the open minutes are read
   * from it as well, not from this process's counters, so every replica shows
   * the same figures. Without it, a single writer's counters are as good and fresher.
   */
  readonly sharedByReplicas?: boolean;
  /**
   * Per-minute figures for the minutes starting in [fromMs, toMs): stored and
   * rejected counts and the feature/action pairs stored. Only minutes with
   * anything in them are returned.
   */
  minuteSummaries(fromMs: number, toMs: number): Promise<MinuteSummary[]>;
  /** Every stream identity the store has seen, with counts since `sinceMs`. */
  instances(sinceMs: number): Promise<InstanceSummary[]>;
  /** Rejected events, newest first. */
  rejected(filter: RejectedFilter): Promise<RejectedSummary[]>;
  /** One rejected event with its wire bytes, for the record view. */
  rejectedEvent(seq: number): Promise<RejectedDetail | undefined>;
  close(): Promise<void>;
}

export interface MinuteSummary {
  /** Start of the minute, ms since the epoch. */
  minuteMs: number;
  stored: number;
  rejected: number;
  pairs: FeatureActionCount[];
}

export interface FeatureActionCount {
  feature: string;
  action: string;
  events: number;
}

export interface InstanceSummary {
  source: Source;
  serverVersions: string[];
  firstSeenMs: number;
  lastSeenMs: number;
  eventsSince: number;
  rejectedSince: number;
}

export interface RejectedFilter {
  /** Exact matches when given. */
  feature?: string;
  action?: string;
  /** `publisher.source`: the source kind or a managed service's id. */
  publisher?: string;
  /** Case-insensitive substring of the reason. */
  reason?: string;
  /** Only rows older than this sequence number (paging backwards). */
  beforeSeq?: number;
  limit: number;
}

/** A rejected row as the store lists it, without the bytes, and with who sent it. */
export type RejectedSummary = Omit<RejectedEventRow, 'eventBytes' | 'metadataBytes'> & { source: Source };

export interface RejectedDetail extends RejectedSummary {
  eventBytes: Uint8Array;
  metadataBytes: Uint8Array;
}
