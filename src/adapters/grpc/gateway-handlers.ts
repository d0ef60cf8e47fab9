import { once } from 'node:events';
import type { ServerDuplexStream, ServerUnaryCall, sendUnaryData, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { IdentityPolicy } from '../../core/identity/identify.js';
import { Code, GatewayError } from '../../core/status.js';
import type { CallContext, IncomingRequest } from '../../core/stream-session.js';
import type { IncomingUnaryRequest } from '../../gateway/record-event.js';
import { serveRecordEvent } from '../../gateway/record-event.js';
import { serveRecordEvents, type StreamLimits } from '../../gateway/record-events.js';
import type { IngestDeps } from '../../gateway/record-payload.js';
import type { StreamAdmission } from '../../gateway/stream-admission.js';
import type { Logger } from '../../logger.js';
import { readMessages } from './read-messages.js';
import { statusCodeOf, toServiceError } from './status.js';

export interface GatewayHandlerOptions extends IngestDeps {
  policy: () => IdentityPolicy;
  limits: StreamLimits;
  streams: StreamAdmission;
  logger: Logger;
  /** Aborted when the gateway starts shutting down: open streams stop reading and end UNAVAILABLE. */
  draining?: AbortSignal;
}

/** The grpc-js side of the gateway: metadata and status in, core calls, status out. Nothing else. */
export function createGatewayHandlers(options: GatewayHandlerOptions): UntypedServiceImplementation {
  const { observer, logger } = options;
  const callContext = (metadata: import('@grpc/grpc-js').Metadata): CallContext => ({
    authorization: firstString(metadata.get('authorization')),
    policy: options.policy(),
    now: () => new Date(),
  });

  const recordEvents = (call: ServerDuplexStream<IncomingRequest, string[]>): void => {
    try {
      options.streams.admit();
    } catch (error) {
      call.emit('error', toServiceError(error));
      return;
    }
    observer.streamStarted('RecordEvents');
    let cancelled = false;
    call.on('cancelled', () => {
      cancelled = true;
      // Ends the request iteration so the stream's in-flight writes settle and it is released.
      call.destroy();
    });
    // Not a plain `for await` over the call: that destroys it when the client half-closes,
    // before the remaining responses and the status are written.
    const requests = readMessages<IncomingRequest>(call);
    skipWritesOnceEnded(call);
    serveRecordEvents(requests, callContext(call.metadata), options, options.limits, async (ids) => {
      if (cancelled) throw new GatewayError(Code.CANCELLED, 'client cancelled');
      if (!call.write(ids)) await drainOrCancel(call);
    }, options.draining).finally(() => options.streams.release()).then(
      () => {
        observer.streamEnded('RecordEvents', Code.OK);
        call.end();
      },
      (error: unknown) => {
        const code = cancelled ? Code.CANCELLED : statusCodeOf(error);
        observer.streamEnded('RecordEvents', code);
        if (cancelled) return;
        if (!(error instanceof GatewayError)) logger.error({ err: error }, 'RecordEvents failed');
        else logger.debug({ rpc: 'RecordEvents', peer: call.getPeer(), code, details: error.message }, 'call refused');
        // grpc-js: after emitting an error, neither write nor end the call, or it hangs.
        call.emit('error', toServiceError(error));
      },
    );
  };

  const recordEvent = (call: ServerUnaryCall<IncomingUnaryRequest, null>, callback: sendUnaryData<null>): void => {
    try {
      options.streams.admit();
    } catch (error) {
      callback(toServiceError(error));
      return;
    }
    observer.streamStarted('RecordEvent');
    serveRecordEvent(call.request, callContext(call.metadata), options).finally(() => options.streams.release()).then(
      () => {
        observer.streamEnded('RecordEvent', Code.OK);
        callback(null, null);
      },
      (error: unknown) => {
        observer.streamEnded('RecordEvent', statusCodeOf(error));
        if (!(error instanceof GatewayError)) logger.error({ err: error }, 'RecordEvent failed');
        else logger.debug({ rpc: 'RecordEvent', peer: call.getPeer(), code: error.code, details: error.message }, 'call refused');
        callback(toServiceError(error));
      },
    );
  };

  return { RecordEvents: recordEvents, RecordEvent: recordEvent } as UntypedServiceImplementation;
}

/**
 * grpc-js ends a call on its own for an over-size request, and only tells the
 * handler once the status is out. A response written (or still buffered in the
 * call) meanwhile reaches the HTTP/2 stream after its end, and grpc-js then
 * replaces its status with a reset: the client gets no status at all. Drop such
 * late writes instead; the call is over either way.
 */
function skipWritesOnceEnded(call: ServerDuplexStream<IncomingRequest, string[]>): void {
  const writable = call as unknown as { _write: (chunk: unknown, encoding: BufferEncoding, done: (error?: Error | null) => void) => void };
  const write = writable._write.bind(call);
  writable._write = (chunk, encoding, done) => (endedByGrpc(call) ? done() : write(chunk, encoding, done));
}

/**
 * Whether grpc-js has already ended the call's HTTP/2 stream on its own (it
 * does for an over-size request) without telling the handler yet. Reaches into
 * grpc-js internals (the call's interceptor chain down to its http2 stream),
 * guarded so a changed layout reads as "not ended".
 */
function endedByGrpc(call: ServerDuplexStream<IncomingRequest, string[]>): boolean {
  type Layer = { stream?: { writableEnded?: unknown }; nextCall?: Layer };
  // The base call holds the stream; interceptors, if any, wrap it as nextCall.
  let layer = (call as unknown as { call?: Layer }).call;
  for (let depth = 0; layer !== undefined && depth < 8; depth++, layer = layer.nextCall) {
    if (layer.stream !== undefined) return layer.stream.writableEnded === true;
  }
  return false;
}

function firstString(values: (string | Buffer)[]): string | undefined {
  const value = values[0];
  return typeof value === 'string' ? value : undefined;
}

async function drainOrCancel(call: ServerDuplexStream<IncomingRequest, string[]>): Promise<void> {
  const ac = new AbortController();
  try {
    await Promise.race([once(call, 'drain', { signal: ac.signal }), once(call, 'cancelled', { signal: ac.signal }).then(() => {
      throw new GatewayError(Code.CANCELLED, 'client cancelled');
    })]);
  } finally {
    ac.abort();
  }
}
