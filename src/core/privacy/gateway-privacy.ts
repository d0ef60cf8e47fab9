import type { Event } from '../../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import type { Source } from '../identity/source.js';
import { indexAllowlist, type Allowlist, type AllowlistIndex } from './allowlist.js';
import { NOTHING_REDACTED, redactEvent, type RedactionSummary } from './redact-event.js';

/**
 * The gateway's defence in depth: an instance whose exporter is old,
 * misconfigured or hostile still cannot make the vendor store private data
 * that the allowlist does not name.
 */
export interface GatewayPrivacyPolicy {
  /** Apply the allowlist to events from instances (managed services are the vendor's own). */
  enforce: boolean;
  allowlist: AllowlistIndex;
  /**
   * Instance ids and external URLs whose events are kept whole, marketing
   * tracking included: the vendor's own public-service instances.
   */
  trustedSources: ReadonlySet<string>;
}

export function gatewayPrivacyPolicy(options: { enforce: boolean; allowlist: Allowlist; trustedSources: readonly string[] }): GatewayPrivacyPolicy {
  return { enforce: options.enforce, allowlist: indexAllowlist(options.allowlist), trustedSources: new Set(options.trustedSources) };
}

export const PRIVACY_NOT_ENFORCED: GatewayPrivacyPolicy = gatewayPrivacyPolicy({ enforce: false, allowlist: [], trustedSources: [] });

/** Redacts an event from `source` in place as the policy says; reports what went. */
export function enforcePrivacy(event: Event, source: Source, policy: GatewayPrivacyPolicy): RedactionSummary {
  if (!policy.enforce || source.kind === 'managed_service') return NOTHING_REDACTED;
  if (policy.trustedSources.has(source.instanceId) || policy.trustedSources.has(source.externalUrl)) return NOTHING_REDACTED;
  // Fast path: the common event carries neither field, and its wire bytes stay as they came.
  if (event.marketingTracking === undefined && event.parameters?.privateMetadata === undefined) return NOTHING_REDACTED;
  return redactEvent(event, policy.allowlist);
}
