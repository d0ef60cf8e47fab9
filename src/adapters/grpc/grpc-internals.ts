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
 * Node hands each HTTP/2 DATA frame over as a view into the buffer of the whole
 * socket read (64 KiB, shared with other streams' frames), and grpc-js keeps
 * those views until a request is complete. A request assembled over many reads
 * so holds two to three times its size (measured with 15 MB requests on eight
 * streams). Copying a frame that is a small part of its buffer makes what a
 * request in assembly holds its own size; frames that fill their buffer are
 * passed as they are. Returns false when the call's layout was not recognised.
 */
export function compactDataFrames(call: AnyCall): boolean {
  type Layer = { handleDataFrame?: (data: Buffer) => void; decoder?: unknown; nextCall?: Layer };
  let layer = (call as unknown as { call?: Layer }).call;
  for (let depth = 0; layer !== undefined && depth < 8; depth++, layer = layer.nextCall) {
    if (typeof layer.handleDataFrame === 'function' && layer.decoder !== undefined) {
      const handle = layer.handleDataFrame.bind(layer);
      layer.handleDataFrame = (data) => handle(data.buffer.byteLength >= 2 * data.length ? Buffer.from(data) : data);
      return true;
    }
  }
  return false;
}

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
