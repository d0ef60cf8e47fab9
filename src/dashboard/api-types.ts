/**
 * The JSON the dashboard's /api/... endpoints answer, declared once. The
 * server builds each answer as one of these types (the compiler checks it);
 * the browser pages import them type-only (web/src/api.ts), so the two cannot
 * drift apart.
 *
 * This file imports nothing: web/ type-checks it with browser settings, where
 * Node's modules and globals do not exist.
 */

/** What happened to events, as the overview splits them. */
export type Outcome = 'stored' | 'duplicate' | 'rejected' | 'retryable' | 'rateLimited';
export type OutcomeCounts = Record<Outcome, number>;

/** Where a figure came from: the store (every replica, survives restarts) or this process's counters. */
export type FigureSource = 'store' | 'memory';

/** GET /api/overview */
export interface Overview {
  generatedAtMs: number;
  startedAtMs: number;
  eventsPerSecond: OutcomeCounts;
  openStreams: number;
  totalsSinceStart: OutcomeCounts;
  lastHour: OutcomeCounts;
  perMinute: (OutcomeCounts & { minuteMs: number })[];
  /** Closed minutes' stored/rejected counts: from the store, or this gateway's counters. */
  perMinuteSource: FigureSource;
  topFeatureActions: { feature: string; action: string; events: number }[];
  store: {
    description: string;
    ok: boolean;
    probeLatencyMs?: number;
    reason?: string;
    writeLatencyMs: { p50: number; max: number } | null;
  };
}

/** GET /api/session: whether sign-in is on, and the sign-out form's CSRF token (null when signed in by bearer header). */
export interface SessionInfo {
  signInRequired: boolean;
  csrfToken: string | null;
}

/** The fields of a source an operator identifies it by. */
export interface SourceIdentity {
  kind: 'licensed_instance' | 'unlicensed_instance' | 'managed_service';
  /** Instance id, or the managed service's id. */
  id: string;
  externalUrl: string;
}

/** An instance or service: identity, license facts, activity. Nothing secret. */
export interface InstanceRow {
  identity: SourceIdentity;
  /** Managed services only. */
  serviceEnvironment?: string | null;
  license: { tags: string[]; userCount: number; expiresAt: string; expired: boolean; signatureSha256: string } | null;
  serverVersions: string[];
  firstSeenMs: number;
  lastSeenMs: number;
  eventsSince: number;
  rejectedSince: number;
}

/** GET /api/instances */
export interface InstancesResponse {
  source: FigureSource;
  instances: InstanceRow[];
}

export interface RejectedRow {
  seq: number;
  id: string;
  feature: string;
  action: string;
  reason: string;
  publisher: string;
  source: SourceIdentity;
  receivedAtMs: number;
}

/** GET /api/rejected?limit=&before=&feature=&action=&publisher=&reason= */
export interface RejectedResponse {
  source: FigureSource;
  rejected: RejectedRow[];
}

/** GET /api/rejected/:seq: the row with its downstream record (credentials masked), or why it could not be decoded. */
export interface RejectedEventDetail extends RejectedRow {
  record: unknown;
}

/** One `record` message of GET /api/tail (server-sent events): the downstream record, credentials masked. */
export interface TailItem {
  id: string;
  feature: string;
  action: string;
  outcome: Exclude<Outcome, 'rateLimited'>;
  reason?: string;
  source: SourceIdentity;
  publisher: string;
  receivedAtMs: number;
  record: unknown;
}

/** Any /api answer other than 200 (400, 401, 404, 503). */
export interface ApiError {
  error: string;
}
