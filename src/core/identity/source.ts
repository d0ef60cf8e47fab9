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

/** The `publisher.source` attribute of the downstream record (BEHAVIOR.md 2.4). */
export function publisherSource(source: Source): string {
  return source.kind === 'managed_service' ? source.serviceId : source.kind;
}

/** A short, non-secret label for logs and metrics. */
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
