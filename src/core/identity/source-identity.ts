import type { Source } from './source.js';

/** The fields of a source an operator identifies it by: kind, identifier, URL. */
export interface SourceIdentity {
  kind: Source['kind'];
  /** Instance id, or the managed service's id. */
  id: string;
  externalUrl: string;
}

export function sourceIdentity(source: Source): SourceIdentity {
  return source.kind === 'managed_service'
    ? { kind: source.kind, id: source.serviceId, externalUrl: '' }
    : { kind: source.kind, id: source.instanceId || source.kind, externalUrl: source.externalUrl };
}
