import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface Http1TimeoutOptions {
  /**
   * Time a connection has to complete a request's headers: from when it is
   * handed over, and again after each answer (so it also ends idle keep-alive
   * connections).
   */
  headersTimeoutMs: number;
  /** Time a request has, once its headers are in, to deliver its whole body. */
  requestTimeoutMs: number;
}

interface ConnectionState {
  timer: NodeJS.Timeout | undefined;
  /** Requests whose answer has not finished (pipelining can make it more than one). */
  open: number;
}

/**
 * Header and request timeouts for HTTP/1.1 connections handed to an
 * `http.Server` that never listens: Node checks its own headersTimeout and
 * requestTimeout only for servers it started, so without this a client that
 * sends `G` keeps its connection forever. A connection past its deadline is
 * destroyed. Call `watch(socket)` when the socket is handed to the server.
 */
export function createHttp1Timeouts(server: Server, options: Http1TimeoutOptions) {
  const states = new WeakMap<Socket, ConnectionState>();
  const arm = (socket: Socket, state: ConnectionState, ms: number): void => {
    if (state.timer !== undefined) clearTimeout(state.timer);
    state.timer = ms > 0 ? setTimeout(() => socket.destroy(), ms) : undefined;
    state.timer?.unref();
  };
  const disarm = (state: ConnectionState): void => {
    if (state.timer !== undefined) clearTimeout(state.timer);
    state.timer = undefined;
  };

  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    const state = states.get(socket);
    if (state === undefined) return;
    state.open++;
    // Headers are in: the body now has requestTimeoutMs (a GET's has already ended).
    let done = false;
    if (req.complete) disarm(state);
    else {
      arm(socket, state, options.requestTimeoutMs);
      // Only while still answering: once the answer is out, the next request's headers deadline runs.
      req.once('end', () => !done && disarm(state));
    }
    const finished = (): void => {
      if (done) return;
      done = true;
      state.open--;
      if (state.open === 0 && !socket.destroyed) arm(socket, state, options.headersTimeoutMs);
    };
    res.once('finish', finished);
    res.once('close', finished);
  });

  return {
    /** Starts the headers deadline of a connection just handed to the server. */
    watch(socket: Socket): void {
      const state: ConnectionState = { timer: undefined, open: 0 };
      states.set(socket, state);
      arm(socket, state, options.headersTimeoutMs);
      socket.once('close', () => disarm(state));
    },
  };
}
