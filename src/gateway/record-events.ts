import { Code, GatewayError } from '../core/status.js';
import { advanceSession, INITIAL_SESSION, type CallContext, type IncomingRequest } from '../core/stream-session.js';
import { recordPayload, type IngestDeps } from './record-payload.js';

export interface StreamLimits {
  /** Payloads of one stream being written at once; reading pauses beyond it. */
  maxInFlightPayloads: number;
  /** A stream that sends nothing for this long is ended (0: never), freeing its slot. */
  idleTimeoutMs: number;
}

const streamIdle = (ms: number): GatewayError =>
  new GatewayError(Code.DEADLINE_EXCEEDED, `stream idle for more than ${ms < 10_000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`}; open a new stream to send more`);

/** How a stream ends when the gateway drains: the client retries what was not acknowledged elsewhere. */
export const SHUTTING_DOWN = (): GatewayError => new GatewayError(Code.UNAVAILABLE, 'gateway is shutting down');

/**
 * Serves one RecordEvents stream: applies the session rules to each request,
 * records payloads (several may be in the store at once) and answers each with
 * its acknowledged ids, strictly in arrival order. Responses go out as soon as
 * they are ready, independent of reading, so a client that waits for an answer
 * before sending more never deadlocks. Resolves when the client has half-closed
 * and every answer is sent; rejects with the GatewayError that ends the stream,
 * after the answers to earlier payloads have been sent.
 *
 * When `draining` aborts (shutdown), reading stops: payloads already read are
 * finished and answered, then the stream ends UNAVAILABLE so the client sends
 * the rest to another replica or after the restart.
 */
export async function serveRecordEvents(
  requests: AsyncIterable<IncomingRequest>,
  call: CallContext,
  deps: IngestDeps,
  limits: StreamLimits,
  respond: (succeededEvents: string[]) => Promise<void>,
  draining?: AbortSignal,
): Promise<void> {
  let state = INITIAL_SESSION;
  let answered: Promise<void> = Promise.resolve();
  const inFlight: Promise<void>[] = [];
  try {
    for await (const request of readUntil(requests, draining, limits.idleTimeoutMs)) {
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
  if (draining?.aborted) throw SHUTTING_DOWN();
}

/**
 * Yields from `source` until `draining` aborts (ending quietly), or until no
 * request arrives within `idleTimeoutMs` (throwing), without waiting for a
 * pending read to finish.
 */
async function* readUntil<T>(source: AsyncIterable<T>, draining: AbortSignal | undefined, idleTimeoutMs: number): AsyncGenerator<T> {
  if (draining?.aborted) return;
  const iterator = source[Symbol.asyncIterator]();
  let onAbort = (): void => {};
  const aborted = new Promise<IteratorResult<T>>((resolve) => {
    onAbort = () => resolve({ done: true, value: undefined });
  });
  draining?.addEventListener('abort', onAbort, { once: true });
  let idleTimer: NodeJS.Timeout | undefined;
  try {
    for (;;) {
      const racers = [iterator.next(), aborted];
      if (idleTimeoutMs > 0) {
        racers.push(new Promise<never>((_, reject) => (idleTimer = setTimeout(() => reject(streamIdle(idleTimeoutMs)), idleTimeoutMs))));
      }
      const next = await Promise.race(racers);
      clearTimeout(idleTimer);
      if (next.done) return;
      yield next.value;
      if (draining?.aborted) return;
    }
  } finally {
    clearTimeout(idleTimer);
    // One listener per stream on a gateway-wide signal: release it when the stream ends.
    draining?.removeEventListener('abort', onAbort);
  }
}
