import { createHash } from 'node:crypto';
import type { RecordEventsRequestMetadata } from '../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { identify, type IdentityPolicy } from './identity/identify.js';
import { publisherSource } from './identity/source.js';
import { Code, GatewayError } from './status.js';
import type { EventList } from './wire/event-list.js';
import type { StreamOrigin } from './store.js';

/** One RecordEventsRequest as the transport decoded it. */
export type IncomingRequest =
  | { payload: 'metadata'; metadata: RecordEventsRequestMetadata; metadataBytes: Uint8Array }
  /** Each event's wire bytes, not yet decoded. */
  | { payload: 'events'; events: EventList }
  | { payload: 'none' }
  /** Bytes that do not decode as a RecordEventsRequest; `reason` never quotes them. */
  | { payload: 'malformed'; reason: string };

/** What the session knows about the call, fixed when it starts. */
export interface CallContext {
  authorization: string | undefined;
  policy: IdentityPolicy;
  now: () => Date;
}

export type SessionState = { phase: 'awaiting-metadata' } | { phase: 'open'; origin: StreamOrigin };

export type SessionAction = { kind: 'none' } | { kind: 'identified' } | { kind: 'record'; events: EventList };

export const INITIAL_SESSION: SessionState = { phase: 'awaiting-metadata' };

/**
 * The RecordEvents stream rules (BEHAVIOR.md 1.1): metadata first and exactly
 * once, then events payloads; a request with no payload is ignored, one that
 * does not decode ends the stream. Throws the GatewayError that ends the stream.
 */
export function advanceSession(
  state: SessionState,
  request: IncomingRequest,
  call: CallContext,
): { state: SessionState; action: SessionAction } {
  switch (request.payload) {
    case 'none':
      return { state, action: { kind: 'none' } };
    case 'malformed':
      throw new GatewayError(Code.INVALID_ARGUMENT, `malformed request: ${request.reason}`);
    case 'metadata': {
      if (state.phase === 'open') throw new GatewayError(Code.INVALID_ARGUMENT, 'received metadata more than once');
      const origin = originOf(request.metadata, request.metadataBytes, call);
      return { state: { phase: 'open', origin }, action: { kind: 'identified' } };
    }
    case 'events':
      if (state.phase !== 'open') {
        throw new GatewayError(Code.INVALID_ARGUMENT, 'got events when metadata not yet received');
      }
      return { state, action: { kind: 'record', events: request.events } };
  }
}

/** Identifies the sender of a metadata message and keys the message for storage. */
export function originOf(
  metadata: RecordEventsRequestMetadata,
  metadataBytes: Uint8Array,
  call: CallContext,
): StreamOrigin {
  const source = identify(metadata, call.authorization, call.policy, call.now());
  return {
    source,
    publisher: publisherSource(source),
    metadataBytes,
    metadataDigest: createHash('sha256').update(metadataBytes).digest('hex'),
  };
}
