import { fromBinary } from '@bufbuild/protobuf';
import type { InstanceSummary, RejectedDetail, RejectedFilter } from '../../../core/dashboard-queries.js';
import { maskSecrets } from '../../../core/mask-secrets.js';
import { recordObject } from '../../../core/record.js';
import { sourceIdentity } from '../../../core/identity/source-identity.js';
import type { InstanceRow, RejectedEventDetail } from '../../../dashboard/api-types.js';
import { EventSchema, RecordEventsRequestMetadataSchema } from '../../../gen/telemetrygateway/v1/telemetrygateway_pb.js';

/** An instance or service as the API shows it: identity, license facts, activity. Nothing secret. */
export function toInstanceRow(row: InstanceSummary): InstanceRow {
  const { source, ...rest } = row;
  const license =
    source.kind === 'licensed_instance'
      ? {
          tags: source.license.info.tags,
          userCount: source.license.info.userCount,
          expiresAt: source.license.info.expiresAt,
          expired: source.license.expired || Date.parse(source.license.info.expiresAt) < Date.now(),
          signatureSha256: source.license.signatureSha256,
        }
      : undefined;
  return {
    identity: sourceIdentity(source),
    ...(source.kind === 'managed_service' ? { serviceEnvironment: source.serviceEnvironment ?? null } : {}),
    license: license ?? null,
    ...rest,
  };
}

const MAX_LIMIT = 500;

/** Query parameters of /api/rejected, or why they are wrong. */
export function parseRejectedFilter(params: URLSearchParams): RejectedFilter | string {
  const limit = Number(params.get('limit') ?? 100);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) return `limit must be an integer from 1 to ${MAX_LIMIT}`;
  const filter: RejectedFilter = { limit };
  const before = params.get('before');
  if (before !== null) {
    if (!/^\d{1,15}$/.test(before)) return 'before must be a sequence number';
    filter.beforeSeq = Number(before);
  }
  for (const [param, key] of [['feature', 'feature'], ['action', 'action'], ['publisher', 'publisher'], ['reason', 'reason']] as const) {
    const value = params.get(param)?.trim();
    if (value) filter[key] = value;
  }
  return filter;
}

/** A rejected event with its downstream record rendered (credentials masked) for the record view. */
export function renderRejectedEvent(row: RejectedDetail): RejectedEventDetail {
  const { eventBytes, metadataBytes, source, ...summary } = row;
  let record: unknown;
  try {
    record = maskSecrets(recordObject(fromBinary(EventSchema, eventBytes), fromBinary(RecordEventsRequestMetadataSchema, metadataBytes)));
  } catch (error) {
    record = { undecodable: error instanceof Error ? error.message : String(error) };
  }
  return { ...summary, source: sourceIdentity(source), record };
}
