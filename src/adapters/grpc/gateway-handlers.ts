import { once, setMaxListeners } from 'node:events';
import type { ServerDuplexStream, ServerUnaryCall, sendUnaryData, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { IdentityPolicy } from '../../core/identity/identify.js';
import { Code, GatewayError } from '../../core/status.js';
import type { CallContext } from '../../core/stream-session.js';
import type { IncomingUnaryRequest } from '../../gateway/record-event-unary.js';
import { serveRecordEvent } from '../../gateway/record-event-unary.js';
import type { AckList } from '../../core/wire/ack-list.js';
import { createAssemblyGate } from '../../gateway/assembly-gate.js';
import { serveRecordEvents, type RecordEventsOptions, type SizedRequest } from '../../gateway/record-events-stream.js';
import { NOOP_INGEST_TRACER, type IngestTracer } from '../../gateway/ingest-tracing.js';
import { dropWritesOnceEnded, limitReadAhead, watchRequestAssembly } from './grpc-internals.js';
import type { Logger } from '../../logger.js';
import { readMessages } from './read-messages.js';
import { statusCodeOf, toServiceError } from './status.js';

export interface GatewayHandlerOptions extends RecordEventsOptions {
  policy: () => IdentityPolicy;
  logger: Logger;
  /** Spans per call, payload and store write; none by default. */
  tracer?: IngestTracer;
}

/** The grpc-js side of the gateway: metadata and status in, core calls, status out. Nothing else. */
export function createGatewayHandlers(options: GatewayHandlerOptions): UntypedServiceImplementation {
  const { observer, logger, admission } = options;
  const tracer = options.tracer ?? NOOP_INGEST_TRACER;
  // Every open stream listens for the drain: no warning past Node's default of 10 listeners.
  if (options.draining) setMaxListeners(0, options.draining);
  const callContext = (metadata: import('@grpc/grpc-js').Metadata): CallContext => ({
    authorization: firstString(metadata.get('authorization')),
    policy: options.policy(),
    now: () => new Date(),
  });

  const recordEvents = (call: ServerDuplexStream<SizedRequest, AckList>): void => {
    observer.streamStarted('RecordEvents');
    const trace = tracer.startCall('RecordEvents', (name) => firstString(call.metadata.get(name)));
    let cancelled = false;
    call.on('cancelled', () => {
      cancelled = true;
      // Ends the request iteration so the stream's in-flight writes settle and it is released.
      call.destroy();
    });
    dropWritesOnceEnded(call);
    limitReadAhead(call);
    const assembly = createAssemblyGate(options.memory);
    watchRequestAssembly(call, assembly.requestStarting);
    // Not a plain `for await` over the call: that destroys it when the client half-closes,
    // before the remaining responses and the status are written.
    const responses = serveRecordEvents(readMessages<SizedRequest>(call), callContext(call.metadata), { ...options, assembly }, trace);
    pump(responses, call, () => cancelled).then(
      () => {
        observer.streamEnded('RecordEvents', Code.OK);
        trace.end(Code.OK);
        call.end();
      },
      (error: unknown) => {
        const code = cancelled ? Code.CANCELLED : statusCodeOf(error);
        observer.streamEnded('RecordEvents', code);
        trace.end(code);
        if (cancelled) return;
        if (!(error instanceof GatewayError)) logger.error({ err: error }, 'RecordEvents failed');
        else logger.debug({ rpc: 'RecordEvents', peer: call.getPeer(), code, details: error.message }, 'call refused');
        // grpc-js: after emitting an error, neither write nor end the call, or it hangs.
        call.emit('error', toServiceError(error));
      },
    );
  };

  const recordEvent = (call: ServerUnaryCall<IncomingUnaryRequest, null>, callback: sendUnaryData<null>): void => {
    // A unary call holds an unidentified slot while it runs: it is short, and identified inside the core.
    const ticket = admission.admitUnidentified();
    observer.streamStarted('RecordEvent');
    const trace = tracer.startCall('RecordEvent', (name) => firstString(call.metadata.get(name)));
    serveRecordEvent(call.request, callContext(call.metadata), options, trace).finally(() => admission.releaseUnidentified(ticket)).then(
      () => {
        observer.streamEnded('RecordEvent', Code.OK);
        trace.end(Code.OK);
        callback(null, null);
      },
      (error: unknown) => {
        observer.streamEnded('RecordEvent', statusCodeOf(error));
        trace.end(statusCodeOf(error));
        if (!(error instanceof GatewayError)) logger.error({ err: error }, 'RecordEvent failed');
        else logger.debug({ rpc: 'RecordEvent', peer: call.getPeer(), code: error.code, details: error.message }, 'call refused');
        callback(toServiceError(error));
      },
    );
  };

  return { RecordEvents: recordEvents, RecordEvent: recordEvent } as UntypedServiceImplementation;
}

/**
 * Writes each answer to the call, waiting for the call's buffer to drain (or
 * the client to go). Once grpc-js has serialized an answer (its write callback)
 * it holds a framed copy: the answer's own bytes are released.
 */
async function pump(responses: AsyncIterable<AckList>, call: ServerDuplexStream<SizedRequest, AckList>, cancelled: () => boolean): Promise<void> {
  for await (const answer of responses) {
    if (cancelled()) throw new GatewayError(Code.CANCELLED, 'client cancelled');
    if (!call.write(answer, () => answer.release())) await drainOrCancel(call);
  }
}

function firstString(values: (string | Buffer)[]): string | undefined {
  const value = values[0];
  return typeof value === 'string' ? value : undefined;
}

async function drainOrCancel(call: ServerDuplexStream<SizedRequest, AckList>): Promise<void> {
  const ac = new AbortController();
  try {
    await Promise.race([once(call, 'drain', { signal: ac.signal }), once(call, 'cancelled', { signal: ac.signal }).then(() => {
      throw new GatewayError(Code.CANCELLED, 'client cancelled');
    })]);
  } finally {
    ac.abort();
  }
}
