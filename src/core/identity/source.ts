import type { LicenseInfo } from './license-key.js';

/**
 * Who sent a stream, once identified. Holds nothing secret: the license key is
 * reduced to its info and a signature digest, the token to its configured name.
 */
export type Source =
  | {
      kind: 'licensed_instance';
      instanceId: string;
      externalUrl: string;
      license: { info: LicenseInfo; signatureSha256: string; vendorKeyFingerprint: string; expired: boolean };
    }
  | { kind: 'unlicensed_instance'; instanceId: string; externalUrl: string }
  | { kind: 'managed_service'; serviceId: string; serviceEnvironment: string | undefined; tokenName: string };

/** Instances have their invalid events acknowledged (they would retry forever); services do not. */
export function acknowledgesInvalidEvents(source: Source): boolean {
  return source.kind !== 'managed_service';
}

/**
 * The one key a source is grouped by, in memory: the dashboard's instance rows,
 * the per-source stream cap and the per-source rate limit. A licensed instance
 * is keyed by its license too, so a new license shows up as its own row; a
 * managed service by its environment too. Never persisted nor shown.
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

/**
 * The `publisher.source` attribute of the downstream record (BEHAVIOR.md 2.4).
 * Not `sourceKey`: this string is the protocol's, persisted (stores' publisher
 * column, the record) and a metrics label, so it keeps its own coarser format.
 */
export function publisherSource(source: Source): string {
  return source.kind === 'managed_service' ? source.serviceId : source.kind;
}

/**
 * A short, non-secret label for log lines (an operator reads it; its format is
 * what existing logs show). Not a key: group by `sourceKey`.
 */
export function describeSource(source: Source): string {
  switch (source.kind) {
    case 'licensed_instance':
      return `licensed:${source.instanceId || source.license.signatureSha256.slice(0, 12)}`;
    case 'unlicensed_instance':
      return `unlicensed:${source.instanceId}`;
    case 'managed_service':
      return `service:${source.serviceId}`;
  }
}
