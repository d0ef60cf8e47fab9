import type { DashboardQueries } from '../../../core/dashboard-queries.js';
import type { EventStore, StoreEntry, StreamOrigin, WriteOutcome } from '../../../core/store.js';
import { createDashboardService } from '../../../dashboard/dashboard-service.js';
import { createLiveStats } from '../../../dashboard/live-stats.js';
import { createTailHub } from '../../../dashboard/tail-hub.js';
import { openPostgresDashboardQueries } from '../../stores/postgres/postgres-dashboard-queries.js';
import { openSqliteDashboardQueries } from '../../stores/sqlite/sqlite-dashboard-queries.js';
import { parseStoreUrl, splitStoreUrls } from '../../stores/store-url.js';
import type { SecretGuard } from '../secret-guard.js';
import { createDashboardHandler, type DashboardHandler } from './dashboard-handler.js';

export interface DashboardOptions {
  store: EventStore;
  /**
   * The store URL the gateway opened, when the dashboard may read it: a single
   * sqlite: or postgres:// URL gets store-backed aggregates (PostgreSQL's
   * shared by every replica on the schema); anything else (NATS, fan-out,
   * memory) the in-memory figures since start.
   */
  storeUrl: string | undefined;
  /** Checks of the diagnostics secret, shared with the other HTTP endpoints. */
  guard: SecretGuard;
  /** How long a dashboard sign-in lasts. */
  sessionTtlMs: number;
}

export interface Dashboard {
  /** Add to the ingest observers: feeds the live figures and the tail. */
  observer: ReturnType<typeof createLiveStats>['observer'];
  handler: DashboardHandler;
  close(): Promise<void>;
}

/** Assembles the dashboard: live counters, tail hub, store queries, HTTP handler. */
export function startDashboard(options: DashboardOptions): Dashboard {
  const live = createLiveStats();
  const tail = createTailHub();
  const queries = openQueries(options.storeUrl);
  const service = createDashboardService({ store: options.store, live, queries });
  return {
    observer: {
      ...live.observer,
      payloadRecorded(origin: StreamOrigin, entries: readonly StoreEntry[], outcomes: readonly WriteOutcome[], writeMs: number): void {
        live.observer.payloadRecorded(origin, entries, outcomes, writeMs);
        tail.payloadRecorded(origin, entries, outcomes);
      },
    },
    handler: createDashboardHandler({ service, tail, guard: options.guard, sessionTtlMs: options.sessionTtlMs }),
    close: async () => {
      await queries?.close();
    },
  };
}

function openQueries(storeUrl: string | undefined): DashboardQueries | undefined {
  if (storeUrl === undefined) return undefined;
  const urls = splitStoreUrls(storeUrl);
  const parsed = urls.length === 1 ? parseStoreUrl(urls[0]!) : undefined;
  if (parsed?.scheme === 'sqlite') return openSqliteDashboardQueries(parsed.path);
  if (parsed?.scheme === 'postgres') return openPostgresDashboardQueries(parsed.url);
  return undefined;
}
