import type { Source } from './identity/source.js';

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

/**
 * One key per instance or service as an operator sees it. A licensed instance
 * is keyed by its license too, so a new license shows up as its own row.
 */
export function sourceKey(source: Source): string {
  switch (source.kind) {
    case 'licensed_instance':
      return `licensed:${source.instanceId}:${source.license.signatureSha256}`;
    case 'unlicensed_instance':
      return `unlicensed:${source.instanceId}`;
    case 'managed_service':
      return `service:${source.serviceId}:${source.serviceEnvironment ?? ''}`;
  }
}
