import type { Code } from '../core/status.js';
import type { Source } from '../core/identity/source.js';
import type { StoreEntry, WriteOutcome } from '../core/store.js';

/**
 * The tracing port of the ingest path: a span per call, per payload and per
 * store write, never per event. The gateway knows only this interface; the
 * OpenTelemetry implementation is an adapter (src/adapters/tracing), and when
 * tracing is off every method is a no-op on a shared constant, so the hot path
 * pays a call and nothing else.
 */
export interface IngestTracer {
  /**
   * Starts the span of one RecordEvents stream or RecordEvent call. `header`
   * reads the call's metadata, where a client may have put its trace context
   * (W3C `traceparent`/`tracestate`): the call's span is then its child.
   */
  startCall(rpc: 'RecordEvents' | 'RecordEvent', header: (name: string) => string | undefined): CallTrace;
}

/** The span of one call. */
export interface CallTrace {
  /** The call's source is known: its kind (never its id) becomes an attribute. */
  identified(source: Source): void;
  /** Starts the span of one payload of `events` events, a child of the call's. */
  startPayload(events: number): PayloadTrace;
  /** Ends the call's span with the status it ends with. */
  end(code: Code): void;
}

/** The span of one payload. */
export interface PayloadTrace {
  /** Events over the source's rate limit or quota: not written. */
  rateLimited(events: number): void;
  /** Starts the span of one store write, a child of the payload's. `storeDescription` is reduced to the store's kind. */
  startWrite(entries: number, storeDescription: string): WriteTrace;
  /** Ends the payload's span; `acknowledged` ids were answered. */
  end(acknowledged: number): void;
}

/** The span of one store write; outcome counts go to it and to its payload's span. */
export interface WriteTrace {
  end(entries: readonly StoreEntry[], outcomes: readonly WriteOutcome[]): void;
}

const NOOP_WRITE: WriteTrace = { end() {} };
export const NOOP_PAYLOAD_TRACE: PayloadTrace = { rateLimited() {}, startWrite: () => NOOP_WRITE, end() {} };
export const NOOP_CALL_TRACE: CallTrace = { identified() {}, startPayload: () => NOOP_PAYLOAD_TRACE, end() {} };
/** Tracing off: no spans, no metadata read; every method returns a shared constant. */
export const NOOP_INGEST_TRACER: IngestTracer = { startCall: () => NOOP_CALL_TRACE };
