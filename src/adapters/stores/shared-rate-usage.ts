import type { RateUsageExchange } from '../../core/rate-usage-exchange.js';
import { openPostgresRateUsage } from './postgres/postgres-rate-usage.js';
import { parseStoreUrl, splitStoreUrls } from './store-url.js';

/**
 * Where the replicas behind one store can share per-source limits: a single
 * postgres:// store. Undefined for any other (SQLite has one writer; NATS and
 * fan-out keep limits per replica).
 */
export function openSharedRateUsage(storeUrl: string): RateUsageExchange | undefined {
  const urls = splitStoreUrls(storeUrl);
  const parsed = urls.length === 1 ? parseStoreUrl(urls[0]!) : undefined;
  return parsed?.scheme === 'postgres' ? openPostgresRateUsage(parsed.url) : undefined;
}
