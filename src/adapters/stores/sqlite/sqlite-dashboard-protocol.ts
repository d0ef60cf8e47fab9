import type { RejectedFilter } from '../../../core/dashboard-queries.js';

/** Messages between the gateway and the dashboard's SQLite reader thread (one reply per request id). */
export type DashboardRequest =
  | { id: number; method: 'minuteSummaries'; fromMs: number; toMs: number }
  | { id: number; method: 'instances'; sinceMs: number }
  | { id: number; method: 'rejected'; filter: RejectedFilter }
  | { id: number; method: 'rejectedEvent'; seq: number };

export type DashboardReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
