import { create, toBinary } from '@bufbuild/protobuf';
import { v7 as uuidv7 } from 'uuid';
import { RecordEventsRequestMetadataSchema } from '../gen/telemetrygateway/v1/telemetrygateway_pb.js';

/** Who the exporter says it is (BEHAVIOR.md 1). The secret parts never reach logs. */
export type ExporterIdentity =
  | { kind: 'licensed'; licenseKey: string; instanceId: string; externalUrl: string }
  | { kind: 'unlicensed'; instanceId: string; externalUrl: string }
  | { kind: 'managed_service'; serviceId: string; serviceEnvironment?: string; token: string };

/** The metadata message of one stream or call, with a fresh request id. */
export function identityMetadataBytes(identity: ExporterIdentity): Uint8Array {
  const requestId = uuidv7();
  const identifier =
    identity.kind === 'licensed'
      ? { case: 'licensedInstance' as const, value: { licenseKey: identity.licenseKey, instanceId: identity.instanceId, externalUrl: identity.externalUrl } }
      : identity.kind === 'unlicensed'
        ? { case: 'unlicensedInstance' as const, value: { instanceId: identity.instanceId, externalUrl: identity.externalUrl } }
        : { case: 'managedService' as const, value: { serviceId: identity.serviceId, serviceEnvironment: identity.serviceEnvironment } };
  return toBinary(RecordEventsRequestMetadataSchema, create(RecordEventsRequestMetadataSchema, { requestId, identifier: { identifier } }));
}

/** For logs: what kind of sender, never the key or token. */
export function describeIdentity(identity: ExporterIdentity): string {
  switch (identity.kind) {
    case 'licensed':
      return `licensed instance ${identity.instanceId || '(no instance id)'}`;
    case 'unlicensed':
      return `unlicensed instance ${identity.instanceId}`;
    case 'managed_service':
      return `managed service ${identity.serviceId}`;
  }
}
