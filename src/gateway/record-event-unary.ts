import { originOf, type CallContext } from '../core/stream-session.js';
import type { RecordEventsRequestMetadata } from '../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { prepareEvent } from '../core/pipeline.js';
import { Code, GatewayError } from '../core/status.js';
import type { WriteOutcome } from '../core/store.js';
import { NOOP_CALL_TRACE, type CallTrace } from './ingest-tracing.js';
import { writeEntries, type IngestDeps } from './record-payload.js';

export type IncomingUnaryRequest =
  | { metadata: RecordEventsRequestMetadata | undefined; metadataBytes: Uint8Array; eventBytes: Uint8Array | undefined; malformed?: undefined }
  /** Bytes that do not decode as a RecordEventRequest; the reason never quotes them. */
  | { malformed: string };

/**
 * Serves the unary RecordEvent (BEHAVIOR.md 3): managed services only, and any
 * failure to record, an invalid event included, is INTERNAL so the caller retries
 * or reports it.
 */
export async function serveRecordEvent(
  request: IncomingUnaryRequest,
  call: CallContext,
  deps: IngestDeps,
  trace: CallTrace = NOOP_CALL_TRACE,
): Promise<void> {
  if (request.malformed !== undefined) throw new GatewayError(Code.INVALID_ARGUMENT, `malformed request: ${request.malformed}`);
  if (request.eventBytes === undefined) throw new GatewayError(Code.INVALID_ARGUMENT, 'event is required');
  const metadata = request.metadata;
  if (metadata?.identifier?.identifier.case !== 'managedService') {
    throw new GatewayError(Code.UNIMPLEMENTED, 'unsupported identifier type');
  }
  const origin = originOf(metadata, request.metadataBytes, call);
  deps.observer.streamIdentified(origin);
  trace.identified(origin.source);

  // Managed services are the vendor's own: the privacy policy does not apply to them.
  const { entry } = prepareEvent(request.eventBytes, origin, { redact: false, allowlist: deps.privacy.allowlist });
  // The one event is the call's payload: its span and its store write's, as a stream's payloads have.
  const payload = trace.startPayload(1);
  let outcome: WriteOutcome | undefined;
  try {
    [outcome] = await writeEntries(deps, origin, [entry], payload);
  } finally {
    payload.end(outcome?.status === 'stored' || outcome?.status === 'duplicate' ? 1 : 0);
  }

  if (outcome === undefined || outcome.status === 'retryable') {
    const reason = outcome?.status === 'retryable' ? outcome.reason : 'no outcome from store';
    throw new GatewayError(Code.INTERNAL, `failed to publish event: ${reason}`);
  }
  if (entry.kind === 'rejected') throw new GatewayError(Code.INTERNAL, `failed to publish event: ${entry.reason}`);
}
