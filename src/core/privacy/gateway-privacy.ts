import type { Event } from '../../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import type { Source } from '../identity/source.js';
import { indexAllowlist, type Allowlist, type AllowlistIndex } from './allowlist.js';
import { NOTHING_REDACTED, redactEvent, type RedactionSummary } from './redact-event.js';

/**
 * Who is trusted (kept whole, marketing tracking included): the vendor's own
 * public-service instances, named by what the gateway verified about them.
 * An instance id or external URL is whatever the sender typed, so it never is.
 */
export interface TrustedSources {
  /** Hex SHA-256 digests of license signatures (lower case), as `license inspect` prints signatureSha256. */
  licenseSignatures: ReadonlySet<string>;
  /** Tags in a license's signed info. */
  licenseTags: ReadonlySet<string>;
  /** Managed-service token names from --service-tokens (not the self-declared service_id). */
  serviceTokenNames: ReadonlySet<string>;
}

/**
 * The gateway's defence in depth: an instance whose exporter is old,
 * misconfigured or hostile still cannot make the vendor store private data
 * that the allowlist does not name.
 */
export interface GatewayPrivacyPolicy {
  /** Apply the allowlist to events from instances (managed services are the vendor's own). */
  enforce: boolean;
  allowlist: AllowlistIndex;
  trusted: TrustedSources;
}

export type TrustedSourceEntry =
  | { kind: 'license'; signatureSha256: string }
  | { kind: 'tag'; tag: string }
  | { kind: 'service'; tokenName: string };

const HEX_DIGEST = /^[0-9a-f]{64}$/i;

/**
 * Parses one --trusted-sources entry: `license:<signatureSha256>` (or the bare
 * 64-hex digest), `tag:<license tag>`, or `service:<token name>`. Throws, with
 * what to write instead, for a URL or an instance id: both are self-declared.
 */
export function parseTrustedSource(entry: string): TrustedSourceEntry {
  const value = entry.trim();
  const colon = value.indexOf(':');
  const prefix = colon > 0 ? value.slice(0, colon).toLowerCase() : '';
  const rest = colon > 0 ? value.slice(colon + 1).trim() : '';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || /^(https?|www\.)/i.test(value)) {
    throw new Error(
      `--trusted-sources "${value}" is a URL: an instance's external URL is self-declared and grants no trust. ` +
        'Name the license instead (license:<signatureSha256> from `license inspect`, or tag:<license tag>) or service:<token name>',
    );
  }
  if (HEX_DIGEST.test(value)) return { kind: 'license', signatureSha256: value.toLowerCase() };
  if (prefix === 'license' && HEX_DIGEST.test(rest)) return { kind: 'license', signatureSha256: rest.toLowerCase() };
  if (prefix === 'tag' && rest !== '') return { kind: 'tag', tag: rest };
  if (prefix === 'service' && rest !== '') return { kind: 'service', tokenName: rest };
  throw new Error(
    `--trusted-sources "${value}": expected license:<64-hex signatureSha256>, tag:<license tag> or service:<token name>; ` +
      'instance ids are self-declared and grant no trust',
  );
}

export function gatewayPrivacyPolicy(options: { enforce: boolean; allowlist: Allowlist; trustedSources: readonly string[] }): GatewayPrivacyPolicy {
  const entries = options.trustedSources.map(parseTrustedSource);
  const pick = <K extends TrustedSourceEntry['kind']>(kind: K, value: (e: Extract<TrustedSourceEntry, { kind: K }>) => string): Set<string> =>
    new Set(entries.filter((e): e is Extract<TrustedSourceEntry, { kind: K }> => e.kind === kind).map(value));
  return {
    enforce: options.enforce,
    allowlist: indexAllowlist(options.allowlist),
    trusted: {
      licenseSignatures: pick('license', (e) => e.signatureSha256),
      licenseTags: pick('tag', (e) => e.tag),
      serviceTokenNames: pick('service', (e) => e.tokenName),
    },
  };
}

/** Whether the source is trusted by what the gateway verified: its license (digest or a signed tag) or its token. */
function isTrustedSource(source: Source, trusted: TrustedSources): boolean {
  switch (source.kind) {
    case 'licensed_instance':
      return (
        trusted.licenseSignatures.has(source.license.signatureSha256.toLowerCase()) ||
        source.license.info.tags.some((tag) => trusted.licenseTags.has(tag))
      );
    case 'managed_service':
      return trusted.serviceTokenNames.has(source.tokenName);
    case 'unlicensed_instance':
      return false;
  }
}

/**
 * Whether events from `source` are stored whole: enforcement off, a managed
 * service (the vendor's own), or a trusted source. Pure; decides per stream.
 */
export function isExemptFromPrivacy(source: Source, policy: GatewayPrivacyPolicy): boolean {
  return !policy.enforce || source.kind === 'managed_service' || isTrustedSource(source, policy.trusted);
}

/** Redacts an event from `source` in place as the policy says; reports what went. */
export function enforcePrivacy(event: Event, source: Source, policy: GatewayPrivacyPolicy): RedactionSummary {
  if (isExemptFromPrivacy(source, policy)) return NOTHING_REDACTED;
  // Fast path: the common event carries neither field, and its wire bytes stay as they came.
  if (event.marketingTracking === undefined && event.parameters?.privateMetadata === undefined) return NOTHING_REDACTED;
  return redactEvent(event, policy.allowlist);
}
