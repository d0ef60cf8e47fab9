import { constants, type Http2Server, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { Server } from '@grpc/grpc-js';
import { http2ServersOf } from './grpc-internals.js';

export interface Http2SessionGuardOptions {
  /** A connection whose client has not sent its SETTINGS frame this long after the preface is closed. */
  settingsTimeoutMs: number;
  /** How often sessions are checked for a request nghttp2 dropped without telling anyone. */
  checkIntervalMs?: number;
  /** Told about a stream handler of grpc-js that threw (the stream is reset instead of the process ending). */
  onHandlerError?: (error: unknown) => void;
}

/**
 * Closes HTTP/2 connections that would otherwise hang their client:
 *
 * - no SETTINGS from the client within `settingsTimeoutMs` (a peer that sent
 *   the preface and nothing else holds a connection for nothing);
 * - a request whose header block nghttp2 could not decode (a single field over
 *   64 KiB): it answers with a GOAWAY (COMPRESSION_ERROR) naming that stream as
 *   processed, Node neither reports it nor closes the socket, and the client
 *   waits for an answer until its deadline. Seen as a stream id nghttp2 processed
 *   that never reached the server as a stream, on a connection with no call
 *   open, two checks in a row; closing
 *   the connection gives the client a status (UNAVAILABLE) at once.
 *
 * It also keeps a throwing grpc-js stream handler from ending the process:
 * grpc-js answers a request with a non-gRPC content type by calling
 * `stream.respond()` on a stream the client may already have reset (HEADERS
 * and RST_STREAM in one packet), which throws ERR_HTTP2_INVALID_STREAM inside
 * an event handler. Each 'stream' listener grpc-js registered is wrapped: a
 * throw resets that stream and is reported, nothing else.
 *
 * grpc-js keeps its HTTP/2 servers private; they are found in its
 * `http2Servers` map, and their absence (a grpc-js upgrade) fails loudly.
 */
export function guardHttp2Sessions(grpcServer: Server, options: Http2SessionGuardOptions): { close(): void } {
  const servers = http2ServersOf(grpcServer);
  if (servers === undefined) throw new Error('grpc-js no longer keeps http2Servers: cannot guard HTTP/2 sessions');
  const watched = new Map<ServerHttp2Session, { highestStreamId: number; open: number; suspect: boolean }>();
  let timer: NodeJS.Timeout | undefined;

  const check = (): void => {
    for (const [session, state] of watched) {
      if (session.destroyed || session.closed) {
        watched.delete(session);
        continue;
      }
      const processed = session.state.lastProcStreamID ?? 0;
      // Only on a connection with nothing else open: one whose over-limit request Node reset (ENHANCE_YOUR_CALM,
      // the client has its status) keeps serving its other calls.
      const lost = processed > state.highestStreamId && state.open === 0;
      if (lost && state.suspect) session.destroy();
      state.suspect = lost;
    }
    if (watched.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  const onSession = (session: ServerHttp2Session): void => {
    const state = { highestStreamId: 0, open: 0, suspect: false };
    watched.set(session, state);
    const settings = setTimeout(() => session.destroy(), options.settingsTimeoutMs);
    settings.unref();
    session.once('remoteSettings', () => clearTimeout(settings));
    session.on('stream', (stream) => {
      if (stream.id !== undefined && stream.id > state.highestStreamId) state.highestStreamId = stream.id;
      state.open++;
      stream.once('close', () => state.open--);
    });
    session.once('close', () => {
      clearTimeout(settings);
      watched.delete(session);
    });
    if (timer === undefined) {
      timer = setInterval(check, options.checkIntervalMs ?? 1000);
      timer.unref();
    }
  };

  const attached = new Set<Http2Server>();
  const attach = (): void => {
    for (const server of servers.keys()) {
      if (attached.has(server)) continue;
      attached.add(server);
      server.prependListener('session', onSession);
      for (const listener of server.listeners('stream') as ((...args: unknown[]) => void)[]) {
        server.off('stream', listener);
        server.on('stream', function guardedStreamHandler(this: Http2Server, stream: ServerHttp2Stream, ...rest: unknown[]) {
          try {
            listener.call(this, stream, ...rest);
          } catch (error) {
            if (!stream.destroyed) stream.close(constants.NGHTTP2_INTERNAL_ERROR);
            options.onHandlerError?.(error);
          }
        });
      }
    }
  };
  attach();
  if (attached.size === 0) throw new Error('grpc-js has no HTTP/2 server yet: create the connection injector first');
  return {
    close() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      for (const server of attached) server.off('session', onSession);
      watched.clear();
    },
  };
}
