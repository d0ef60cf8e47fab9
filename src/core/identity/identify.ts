import type { RecordEventsRequestMetadata } from '../../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { Code, GatewayError } from '../status.js';
import { isLicenseExpired, verifyLicenseKey } from './license-key.js';
import { checkBearerToken, EVENTS_WRITE_SCOPE, type ServiceToken } from './service-tokens.js';
import type { Source } from './source.js';
import type { VendorPublicKey } from './vendor-keys.js';

/** What the operator configured about who may send events. */
export interface IdentityPolicy {
  vendorKeys: readonly VendorPublicKey[];
  /** Refuse licensed instances whose license has expired (the deployed gateway does not). */
  rejectExpiredLicenses: boolean;
  /** Hex SHA-256 digests of revoked license signatures. */
  revokedLicenseSignatures: ReadonlySet<string>;
  unlicensed: 'allow' | 'deny';
  serviceTokens: readonly ServiceToken[];
}

export const DEFAULT_IDENTITY_POLICY: IdentityPolicy = {
  vendorKeys: [],
  rejectExpiredLicenses: false,
  revokedLicenseSignatures: new Set(),
  unlicensed: 'allow',
  serviceTokens: [],
};

/**
 * Identifies the sender from the stream's metadata and `authorization` header
 * (BEHAVIOR.md 1.1-1.2), or throws the GatewayError the stream ends with.
 */
export function identify(
  metadata: RecordEventsRequestMetadata,
  authorization: string | undefined,
  policy: IdentityPolicy,
  now: Date,
): Source {
  const identifier = metadata.identifier?.identifier;
  switch (identifier?.case) {
    case 'licensedInstance': {
      const { licenseKey, instanceId, externalUrl } = identifier.value;
      const verified = verifyLicenseKey(licenseKey, policy.vendorKeys);
      if (!verified.ok) throw new GatewayError(Code.INVALID_ARGUMENT, `invalid license_key: ${verified.reason}`);
      const { info, signatureSha256 } = verified.key;
      if (policy.revokedLicenseSignatures.has(signatureSha256)) {
        throw new GatewayError(Code.INVALID_ARGUMENT, 'invalid license_key: license has been revoked');
      }
      const expired = isLicenseExpired(info, now);
      if (expired && policy.rejectExpiredLicenses) {
        throw new GatewayError(Code.INVALID_ARGUMENT, 'invalid license_key: license has expired');
      }
      return {
        kind: 'licensed_instance',
        instanceId,
        externalUrl,
        license: { info, signatureSha256, vendorKeyFingerprint: verified.vendorKeyFingerprint, expired },
      };
    }
    case 'unlicensedInstance': {
      const { instanceId, externalUrl } = identifier.value;
      if (instanceId === '') {
        throw new GatewayError(Code.INVALID_ARGUMENT, 'instance_id is required for unlicensed instance');
      }
      if (policy.unlicensed === 'deny') {
        throw new GatewayError(Code.PERMISSION_DENIED, 'unlicensed instances are not accepted by this gateway');
      }
      return { kind: 'unlicensed_instance', instanceId, externalUrl };
    }
    case 'managedService': {
      const { serviceId, serviceEnvironment } = identifier.value;
      if (serviceId === '') throw new GatewayError(Code.INVALID_ARGUMENT, 'service_id is required for managed services');
      const check = checkBearerToken(authorization, policy.serviceTokens, EVENTS_WRITE_SCOPE);
      if (!check.ok) {
        if (check.why === 'missing' || check.why === 'malformed') {
          throw new GatewayError(Code.UNAUTHENTICATED, 'authorization: Bearer token required for managed services');
        }
        throw new GatewayError(Code.PERMISSION_DENIED, 'permission denied');
      }
      return { kind: 'managed_service', serviceId, serviceEnvironment, tokenName: check.token.name };
    }
    default:
      throw new GatewayError(Code.UNIMPLEMENTED, 'unsupported identifier type');
  }
}
