import { create, type JsonObject } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { checkEventName } from '../core/event-validation.js';
import { EventSchema, type Event } from '../gen/telemetrygateway/v1/telemetrygateway_pb.js';

/** What a caller says about one event; the recorder fills in the rest. */
export interface RecordParams {
  /** Public numeric metadata (exported as is). */
  metadata?: Record<string, number>;
  /** Private metadata: leaves the instance only for allowlisted keys with string values. */
  privateMetadata?: JsonObject;
  /** Parameters version of the event's shape (defaults to 0). */
  version?: number;
  billing?: { product: string; category: string };
  user?: { userId?: number | bigint; anonymousUserId?: string; samsExternalId?: string };
  client?: { name: string; version?: string };
  featureFlags?: Record<string, string>;
  interaction?: { traceId?: string; interactionId?: string; countryCode?: string };
  /** Always removed unless the recorder runs in public-service mode. */
  marketingTracking?: {
    url?: string;
    firstSourceUrl?: string;
    cohortId?: string;
    referrer?: string;
    lastSourceUrl?: string;
    deviceSessionId?: string;
    sessionReferrer?: string;
    sessionFirstUrl?: string;
  };
  /** Defaults to now. */
  timestamp?: Date;
}

export interface EventContext {
  id: string;
  nowMs: number;
  serverVersion: string;
  /** Old instances send integer metadata in the int64 legacy_metadata map instead. */
  legacyMetadata: boolean;
}

/** Why record() refused an event: an invalid one, or one larger than the recorder's limit. */
export type RecordErrorCode = 'INVALID_EVENT' | 'EVENT_TOO_LARGE';

/** A mistake at the call site: the event was not recorded. */
export class RecordError extends Error {
  override readonly name = 'RecordError';
  constructor(
    message: string,
    readonly code: RecordErrorCode = 'INVALID_EVENT',
  ) {
    super(message);
  }
}

/** Builds the Event for record(); throws RecordError naming what is wrong. */
export function buildEvent(feature: string, action: string, params: RecordParams, context: EventContext): Event {
  const problem = checkEventName('feature', feature) ?? checkEventName('action', action);
  if (problem !== undefined) throw new RecordError(`cannot record ${feature}/${action}: ${problem}`);
  const metadata = params.metadata ?? {};
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new RecordError(`cannot record ${feature}/${action}: metadata "${key}" must be a finite number`);
    }
  }
  const timestampMs = params.timestamp?.getTime() ?? context.nowMs;
  if (!Number.isFinite(timestampMs)) throw new RecordError(`cannot record ${feature}/${action}: invalid timestamp`);

  const [legacy, current] = context.legacyMetadata ? splitLegacy(metadata) : [{}, metadata];
  return create(EventSchema, {
    id: context.id,
    timestamp: timestampFromMs(timestampMs),
    feature,
    action,
    source: { server: { version: context.serverVersion }, client: params.client },
    parameters: {
      version: params.version ?? 0,
      metadata: current,
      legacyMetadata: legacy,
      privateMetadata: params.privateMetadata,
      billingMetadata: params.billing,
    },
    user: params.user && {
      userId: params.user.userId === undefined ? undefined : BigInt(params.user.userId),
      anonymousUserId: params.user.anonymousUserId,
      samsExternalId: params.user.samsExternalId,
    },
    featureFlags: params.featureFlags && { flags: params.featureFlags },
    marketingTracking: params.marketingTracking,
    interaction: params.interaction && {
      traceId: params.interaction.traceId,
      interactionId: params.interaction.interactionId,
      geolocation: params.interaction.countryCode === undefined ? undefined : { countryCode: params.interaction.countryCode },
    },
  });
}

/** Integers go to int64 legacy_metadata (what old instances send); fractions stay in metadata. */
function splitLegacy(metadata: Record<string, number>): [Record<string, bigint>, Record<string, number>] {
  const legacy: Record<string, bigint> = {};
  const current: Record<string, number> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (Number.isSafeInteger(value)) legacy[key] = BigInt(value);
    else current[key] = value;
  }
  return [legacy, current];
}
