import { advanceSession, INITIAL_SESSION, type CallContext, type IncomingRequest } from '../core/stream-session.js';
import { recordPayload, type IngestDeps } from './record-payload.js';

export interface StreamLimits {
  /** Payloads of one stream being written at once; reading pauses beyond it. */
  maxInFlightPayloads: number;
}

/**
 * Serves one RecordEvents stream: applies the session rules to each request,
 * records payloads (several may be in the store at once) and answers each with
 * its acknowledged ids, strictly in arrival order. Responses go out as soon as
 * they are ready, independent of reading, so a client that waits for an answer
 * before sending more never deadlocks. Resolves when the client has half-closed
 * and every answer is sent; rejects with the GatewayError that ends the stream,
 * after the answers to earlier payloads have been sent.
 */
export async function serveRecordEvents(
  requests: AsyncIterable<IncomingRequest>,
  call: CallContext,
  deps: IngestDeps,
  limits: StreamLimits,
  respond: (succeededEvents: string[]) => Promise<void>,
): Promise<void> {
  let state = INITIAL_SESSION;
  let answered: Promise<void> = Promise.resolve();
  const inFlight: Promise<void>[] = [];
  try {
    for await (const request of requests) {
      const next = advanceSession(state, request, call);
      state = next.state;
      if (next.action.kind === 'identified' && state.phase === 'open') deps.observer.streamIdentified(state.origin);
      if (next.action.kind !== 'record' || state.phase !== 'open') continue;

      const succeeded = recordPayload(deps, state.origin, next.action.events);
      answered = answered.then(async () => respond(await succeeded));
      answered.catch(() => {}); // awaited below; this only marks it handled
      inFlight.push(answered);
      if (inFlight.length >= limits.maxInFlightPayloads) await inFlight.shift();
    }
  } finally {
    // Earlier payloads are answered even when a later request ends the stream.
    await answered.catch(() => {});
  }
  await answered;
}
