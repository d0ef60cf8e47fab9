import { sourceKey } from '../core/identity/source.js';
import { Code, GatewayError } from '../core/status.js';
import { advanceSession, INITIAL_SESSION, type CallContext, type IncomingRequest } from '../core/stream-session.js';
import type { AckList } from '../core/wire/ack-list.js';
import type { AssemblyGate } from './assembly-gate.js';
import type { MemoryBudget } from './memory-budget.js';
import { NOOP_CALL_TRACE, type CallTrace } from './ingest-tracing.js';
import { recordPayload, type IngestDeps } from './record-payload.js';
import type { StreamAdmission } from './stream-admission.js';

export interface StreamLimits {
  /** Payloads of one stream being written at once; reading pauses beyond it. */
  maxInFlightPayloads: number;
  /** A stream that sends nothing for this long is ended (0: never), freeing its slot. */
  idleTimeoutMs: number;
  /** A stream must identify itself (send its metadata) within this long (0: no limit). */
  identifyTimeoutMs: number;
}

export interface RecordEventsOptions extends IngestDeps {
  limits: StreamLimits;
  /** Slots for unidentified and identified streams; the handler moves its stream from one to the other. */
  admission: StreamAdmission;
  /** Request bytes in flight, gateway-wide; reading pauses while it is spent. */
  memory: MemoryBudget;
  /** The budget taken for a large request before it is assembled (the transport calls it); see assembly-gate.ts. */
  assembly?: AssemblyGate;
  /** Aborted when the gateway starts shutting down: open streams stop reading and end UNAVAILABLE. */
  draining?: AbortSignal;
}

/** One incoming request with its size on the wire (what the memory budget counts). */
export interface SizedRequest {
  request: IncomingRequest;
  bytes: number;
}

/**
 * What a payload holds per event until its answer is written, beyond its wire
 * bytes: its id in the encoded answer (ack-list.ts, ~38 bytes) and its span.
 * Counted against the memory budget, so a payload of many tiny events weighs
 * what it really costs.
 */
const HELD_PER_EVENT_BYTES = 96;

/**
 * Request bytes a stream may have read and not yet answered before it reads
 * the next request. grpc-js assembles a request whole as soon as it is asked
 * for one, outside any budget: without this a stream of 15 MB payloads holds
 * one being written, one waiting for the memory budget and one being
 * assembled. Past it the stream waits for its answers first; payloads of the
 * usual size (the exporter's are at most 1 MiB) never reach it before
 * maxInFlightPayloads does.
 */
const READ_AHEAD_BYTES = 8 * 1024 * 1024;

const streamIdle = (ms: number): GatewayError =>
  new GatewayError(Code.DEADLINE_EXCEEDED, `stream idle for more than ${formatMs(ms)}; open a new stream to send more`);
const notIdentified = (ms: number): GatewayError =>
  new GatewayError(Code.DEADLINE_EXCEEDED, `no metadata within ${formatMs(ms)} of opening the stream`);
const EVICTED = (): GatewayError =>
  new GatewayError(Code.RESOURCE_EXHAUSTED, 'too many streams waiting to identify; this one waited longest without sending metadata');
const formatMs = (ms: number): string => (ms < 10_000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`);

/** How a stream ends when the gateway drains: the client retries what was not acknowledged elsewhere. */
const SHUTTING_DOWN = (): GatewayError => new GatewayError(Code.UNAVAILABLE, 'gateway is shutting down');

/**
 * Serves one RecordEvents stream, shaped like a connect-es bidi handler: the
 * requests in, the acknowledgements out, nothing of gRPC. Applies the session
 * rules to each request, records payloads (several may be in the store at
 * once) and yields each payload's acknowledged ids strictly in arrival order,
 * as soon as they are ready, while reading goes on, so a client that waits for
 * an answer before sending more never deadlocks.
 *
 * The stream holds an unidentified admission slot until its metadata arrives
 * (within identifyTimeoutMs), then an identified one for its source. Reading
 * pauses while maxInFlightPayloads payloads are unanswered or the gateway's
 * memory budget is spent: the transport's flow control then holds the client.
 *
 * Ends when the client has half-closed and every answer is yielded; throws the
 * GatewayError that ends the stream, after the answers to earlier payloads.
 * When `draining` aborts, reading stops: payloads already read are finished
 * and answered, then the stream ends UNAVAILABLE. `trace` is the call's span:
 * each payload gets a child span (the caller ends the call's).
 */
export async function* serveRecordEvents(
  requests: AsyncIterable<SizedRequest>,
  call: CallContext,
  options: RecordEventsOptions,
  trace: CallTrace = NOOP_CALL_TRACE,
): AsyncGenerator<AckList> {
  const { limits, admission, memory, draining, assembly } = options;
  const ticket = admission.admitUnidentified();
  /** The source whose identified slot the stream holds, once it has one. */
  const held: { source?: string } = {};
  /** Whose bytes the stream's payloads are, for the budget's fairness: the same holder as its assembly reservations. */
  const budgetHolder = assembly?.holder ?? held;
  /** Payloads read and not yet answered on the wire, in arrival order, each with its share of the memory budget. */
  const answers: { ids: Promise<AckList>; release: () => void; bytes: number }[] = [];
  /** Request bytes of the payloads in `answers`. */
  let unansweredBytes = 0;
  let reading = true;
  let readError: unknown;
  let wake: (() => void) | undefined;
  let unanswered: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };

  let closed = false;
  const read = async (): Promise<void> => {
    let state = INITIAL_SESSION;
    // Until the metadata arrives the stream holds a slot of the small unidentified budget.
    // Ended unless identified in time, or when a newer stream evicts it from that budget.
    const identifyDeadline = new AbortController();
    let whyEnded = notIdentified(limits.identifyTimeoutMs);
    const identifyTimer = limits.identifyTimeoutMs > 0 ? setTimeout(() => identifyDeadline.abort(), limits.identifyTimeoutMs) : undefined;
    const onEvicted = (): void => {
      whyEnded = EVICTED();
      identifyDeadline.abort();
    };
    ticket.evicted.addEventListener('abort', onEvicted, { once: true });
    let identifying = true;
    const deadline = { signal: identifyDeadline.signal, error: () => whyEnded, applies: () => identifying };
    try {
      const idle = { ms: limits.idleTimeoutMs, excused: () => assembly?.waiting === true };
      for await (const { request, bytes } of readUntil(requests, draining, idle, deadline)) {
        const next = advanceSession(state, request, call);
        state = next.state;
        if (next.action.kind === 'identified' && state.phase === 'open') {
          clearTimeout(identifyTimer);
          ticket.evicted.removeEventListener('abort', onEvicted);
          identifying = false;
          const source = sourceKey(state.origin.source);
          admission.identify(ticket, source);
          held.source = source;
          options.observer.streamIdentified(state.origin);
          trace.identified(state.origin.source);
        }
        if (next.action.kind !== 'record' || state.phase !== 'open') continue;

        const share = bytes + next.action.events.length * HELD_PER_EVENT_BYTES;
        const releaseShare = assembly?.requestArrived(share) ?? (await memory.acquire(share, budgetHolder));
        const { events } = next.action;
        const release = (): void => {
          events.release();
          releaseShare();
        };
        if (closed) {
          release();
          return;
        }
        const ids = recordPayload(options, state.origin, events, trace);
        ids.catch(() => {}); // yielded (and so awaited) below; this only marks it handled
        answers.push({ ids, release, bytes });
        unansweredBytes += bytes;
        notify();
        while ((answers.length >= limits.maxInFlightPayloads || unansweredBytes >= READ_AHEAD_BYTES) && !closed) {
          await new Promise<void>((resolve) => (unanswered = resolve));
        }
        if (closed) return;
      }
    } finally {
      assembly?.close();
      clearTimeout(identifyTimer);
      ticket.evicted.removeEventListener('abort', onEvicted);
    }
  };
  const reader = read().then(
    () => {
      reading = false;
      notify();
    },
    (error: unknown) => {
      reading = false;
      readError = error;
      notify();
    },
  );

  try {
    for (;;) {
      const answer = answers[0];
      if (answer !== undefined) {
        const ids = await answer.ids;
        answers.shift();
        unansweredBytes -= answer.bytes;
        unanswered?.();
        unanswered = undefined;
        // The budget is given back once the answer is written, not when it is ready: until then the
        // ids (and the response grpc-js encodes from them) are held too, for a client slow to read.
        try {
          yield ids;
        } finally {
          answer.release();
        }
        continue;
      }
      if (!reading) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    await reader;
    // Earlier payloads are answered even when a later request ends the stream.
    if (readError !== undefined) throw readError;
    if (draining?.aborted) throw SHUTTING_DOWN();
  } finally {
    // The consumer may stop early (client gone): stop reading too.
    closed = true;
    unanswered?.();
    for (const answer of answers) void answer.ids.finally(answer.release).catch(() => {});
    if (held.source !== undefined) admission.releaseIdentified(held.source);
    else admission.releaseUnidentified(ticket);
  }
}

/**
 * Yields from `source` until `draining` aborts (ending quietly), until no
 * request arrives within `idle.ms`, or until `deadline` aborts (both
 * throwing), without waiting for a pending read to finish. One timer per
 * stream, re-armed per request, and re-armed instead of firing while
 * `idle.excused()`: the gateway itself holds the next request back (waiting
 * for the memory budget), so the client is not idle.
 */
async function* readUntil<T>(
  source: AsyncIterable<T>,
  draining: AbortSignal | undefined,
  idle: { ms: number; excused: () => boolean },
  deadline: { signal: AbortSignal; error: () => GatewayError; applies: () => boolean },
): AsyncGenerator<T> {
  if (draining?.aborted) return;
  const iterator = source[Symbol.asyncIterator]();
  let interrupt: (result: IteratorResult<T> | GatewayError) => void = () => {};
  const onDrain = (): void => interrupt({ done: true, value: undefined });
  const onDeadline = (): void => {
    if (deadline.applies()) interrupt(deadline.error());
  };
  draining?.addEventListener('abort', onDrain, { once: true });
  deadline.signal.addEventListener('abort', onDeadline, { once: true });
  let timer: NodeJS.Timeout | undefined;
  try {
    for (;;) {
      if (deadline.signal.aborted && deadline.applies()) throw deadline.error();
      const interrupted = new Promise<IteratorResult<T> | GatewayError>((resolve) => (interrupt = resolve));
      const armIdle = (): void => {
        timer = setTimeout(() => (idle.excused() ? armIdle() : interrupt(streamIdle(idle.ms))), idle.ms);
      };
      if (idle.ms > 0) armIdle();
      const next = await Promise.race([iterator.next(), interrupted]);
      clearTimeout(timer);
      if (next instanceof GatewayError) throw next;
      if (next.done) return;
      yield next.value;
      if (draining?.aborted) return;
    }
  } finally {
    clearTimeout(timer);
    // Not awaited: a read may be pending; the transport ends it when the call goes.
    void iterator.return?.();
    // One listener per stream on a gateway-wide signal: release it when the stream ends.
    draining?.removeEventListener('abort', onDrain);
    deadline.signal.removeEventListener('abort', onDeadline);
  }
}
