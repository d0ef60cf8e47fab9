import type { Http2Server, ServerOptions as Http2ServerOptions } from 'node:http2';
import type { Server, ServerDuplexStream } from '@grpc/grpc-js';

/**
 * Every place the gateway reaches into grpc-js internals, in one file. Each
 * reach is guarded: if a grpc-js upgrade changes the layout, the guard reports
 * it (test/gateway/grpc-internals.test.ts fails) and the gateway falls back to
 * plain behaviour instead of breaking. grpc-js is pinned to a tilde range.
 */

type AnyCall = ServerDuplexStream<unknown, unknown>;

/**
 * grpc-js ends a call on its own for an over-size request, and only tells the
 * handler once the status is out. A response written (or still buffered in the
 * call) meanwhile reaches the HTTP/2 stream after its end, and grpc-js then
 * replaces its status with a reset: the client gets no status at all. Drop such
 * late writes instead; the call is over either way. Returns false when the
 * call's layout was not recognised (nothing patched).
 */
export function dropWritesOnceEnded(call: AnyCall): boolean {
  const writable = call as unknown as { _write?: (chunk: unknown, encoding: BufferEncoding, done: (error?: Error | null) => void) => void };
  if (typeof writable._write !== 'function' || http2StreamOf(call) === undefined) return false;
  const write = writable._write.bind(call);
  writable._write = (chunk, encoding, done) => (http2StreamOf(call)?.writableEnded === true ? done() : write(chunk, encoding, done));
  return true;
}

/**
 * The call's HTTP/2 stream, reached through its interceptor chain (the base
 * call holds the stream; interceptors, if any, wrap it as nextCall).
 */
export function http2StreamOf(call: AnyCall): { writableEnded?: unknown } | undefined {
  type Layer = { stream?: { writableEnded?: unknown }; nextCall?: Layer };
  let layer = (call as unknown as { call?: Layer }).call;
  for (let depth = 0; layer !== undefined && depth < 8; depth++, layer = layer.nextCall) {
    if (layer.stream !== undefined && typeof layer.stream === 'object') return layer.stream;
  }
  return undefined;
}

/**
 * grpc-js buffers up to 16 decoded requests per call (Node's object-mode
 * default) before it pauses the HTTP/2 stream. With requests of up to 16 MiB
 * that is 256 MiB a stream that no budget sees. With no read-ahead (0) the
 * next request is taken off the connection only when the handler asks for it,
 * which it does once the request before has its share of the memory budget;
 * HTTP/2 flow control holds the rest at the client. Returns false when the
 * readable state was not found.
 */
export function limitReadAhead(call: AnyCall, messages = 0): boolean {
  const state = (call as unknown as { _readableState?: { highWaterMark?: unknown; objectMode?: unknown } })._readableState;
  if (state === undefined || typeof state.highWaterMark !== 'number' || state.objectMode !== true) return false;
  state.highWaterMark = messages;
  return true;
}

/**
 * Watches a call's requests being assembled, for the memory budget:
 *
 * - Node hands each HTTP/2 DATA frame over as a view into the buffer of the
 *   whole socket read (64 KiB, shared with other streams' frames), and grpc-js
 *   keeps those views until a request is complete: a request assembled over
 *   many reads held two to three times its size (15 MB requests on eight
 *   streams). A frame that is a small part of its buffer is copied, so a
 *   request in assembly holds its own size.
 * - grpc-js learns a request's size from its 5-byte prefix and then reads it
 *   whole, outside any budget. `beforeRequest(size)` is called when a request
 *   starts arriving; when it returns a promise, the HTTP/2 stream is paused
 *   (flow control holds the client) until it settles.
 *
 * Returns false when the call's layout was not recognised (nothing watched).
 */
export function watchRequestAssembly(call: AnyCall, beforeRequest: (size: number) => Promise<void> | undefined): boolean {
  type Decoder = { readState?: unknown; readPartialMessage?: unknown; readMessageSize?: unknown };
  type Stream = { pause?: () => void; resume?: () => void; destroyed?: boolean };
  type Layer = { handleDataFrame?: (data: Buffer) => void; decoder?: Decoder; stream?: Stream; nextCall?: Layer };
  let layer = (call as unknown as { call?: Layer }).call;
  for (let depth = 0; layer !== undefined && depth < 8; depth++, layer = layer.nextCall) {
    const { decoder, stream } = layer;
    if (typeof layer.handleDataFrame !== 'function' || typeof decoder !== 'object' || typeof stream?.pause !== 'function' || typeof stream.resume !== 'function') continue;
    if (!('readPartialMessage' in decoder) || typeof decoder.readMessageSize !== 'number') return false;
    const handle = layer.handleDataFrame.bind(layer);
    /** The parts array of the request being assembled: grpc-js starts a new one per request. */
    let current: unknown;
    layer.handleDataFrame = (data) => {
      handle(data.buffer.byteLength >= 2 * data.length ? Buffer.from(data) : data);
      if (decoder.readState !== READING_MESSAGE || decoder.readPartialMessage === current) return;
      current = decoder.readPartialMessage;
      const ready = beforeRequest(decoder.readMessageSize as number);
      if (ready === undefined) return;
      stream.pause!();
      void ready.then(() => {
        if (stream.destroyed !== true) stream.resume!();
      });
    };
    return true;
  }
  return false;
}

/** grpc-js StreamDecoder's state while it collects a request's bytes (ReadState.READING_MESSAGE). */
const READING_MESSAGE = 2;

/**
 * The HTTP/2 server options grpc-js keeps for the servers it creates
 * (`commonServerOptions`, read when a port is bound). grpc-js has no option for
 * SETTINGS_MAX_HEADER_LIST_SIZE; grpc-server.ts adds it here. Undefined when a
 * grpc-js upgrade moved them.
 */
export function http2ServerOptionsOf(server: Server): Http2ServerOptions | undefined {
  const common = (server as unknown as { commonServerOptions?: unknown }).commonServerOptions;
  return common !== null && typeof common === 'object' ? (common as Http2ServerOptions) : undefined;
}

/**
 * The HTTP/2 servers grpc-js created for its bound ports (the keys of its
 * private `http2Servers` map), which http2-session-guard.ts watches for
 * connections. Undefined when a grpc-js upgrade moved them.
 */
export function http2ServersOf(server: Server): Map<Http2Server, unknown> | undefined {
  const servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  return servers instanceof Map ? (servers as Map<Http2Server, unknown>) : undefined;
}
