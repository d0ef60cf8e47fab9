import type { SourceIdentity } from '../core/identity/source-identity.js';

/** What a live-tail client asked to see; every given field must match. */
export interface TailFilter {
  feature?: string;
  action?: string;
  /** Source kind: licensed_instance, unlicensed_instance or managed_service. */
  source?: string;
  /** Case-insensitive substring of the instance or service id, or of the external URL. */
  instance?: string;
}

export function parseTailFilter(params: URLSearchParams): TailFilter {
  const filter: TailFilter = {};
  for (const key of ['feature', 'action', 'source', 'instance'] as const) {
    const value = params.get(key)?.trim();
    if (value) filter[key] = value;
  }
  return filter;
}

export function matchesTailFilter(filter: TailFilter, feature: string, action: string, source: SourceIdentity): boolean {
  if (filter.feature !== undefined && filter.feature !== feature) return false;
  if (filter.action !== undefined && filter.action !== action) return false;
  if (filter.source !== undefined && filter.source !== source.kind) return false;
  if (filter.instance !== undefined) {
    const needle = filter.instance.toLowerCase();
    if (!source.id.toLowerCase().includes(needle) && !source.externalUrl.toLowerCase().includes(needle)) return false;
  }
  return true;
}
