/** Types of the gateway's /api/... answers (see src/adapters/http/dashboard), and a fetch helper. */

export type Outcome = 'stored' | 'duplicate' | 'rejected' | 'retryable' | 'rateLimited';
export type OutcomeCounts = Record<Outcome, number>;
export type FigureSource = 'store' | 'memory';

export interface Overview {
  generatedAtMs: number;
  startedAtMs: number;
  eventsPerSecond: OutcomeCounts;
  openStreams: number;
  totalsSinceStart: OutcomeCounts;
  lastHour: OutcomeCounts;
  perMinute: (OutcomeCounts & { minuteMs: number })[];
  perMinuteSource: FigureSource;
  topFeatureActions: { feature: string; action: string; events: number }[];
  store: { description: string; ok: boolean; probeLatencyMs?: number; reason?: string; writeLatencyMs: { p50: number; max: number } | null };
}

/** GET /api/session: whether sign-in is on, and the sign-out form's CSRF token (null when signed in by bearer header). */
export interface SessionInfo {
  signInRequired: boolean;
  csrfToken: string | null;
}

export interface SourceIdentity {
  kind: 'licensed_instance' | 'unlicensed_instance' | 'managed_service';
  id: string;
  externalUrl: string;
}

export interface InstanceRow {
  identity: SourceIdentity;
  serviceEnvironment?: string | null;
  license: { tags: string[]; userCount: number; expiresAt: string; expired: boolean; signatureSha256: string } | null;
  serverVersions: string[];
  firstSeenMs: number;
  lastSeenMs: number;
  eventsSince: number;
  rejectedSince: number;
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

/** GETs JSON from the gateway; a 401 means the session is gone, so reload to the sign-in form. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, { credentials: 'same-origin', signal: signal ?? null, headers: { accept: 'application/json' } });
  if (response.status === 401) {
    location.reload();
    throw new Error('signed out');
  }
  if (!response.ok) throw new Error(`${path}: ${response.status} ${(await response.text()).slice(0, 200)}`);
  return (await response.json()) as T;
}
