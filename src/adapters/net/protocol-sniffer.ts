import type { Socket } from 'node:net';

/** The client connection preface every HTTP/2 connection starts with (RFC 9113 3.4). */
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export type Protocol = 'http2' | 'http1';

/** Longest a connection may take to show its protocol (default); then it is dropped. */
export const DEFAULT_SNIFF_TIMEOUT_MS = 10_000;

/**
 * Reads just enough of a new connection to tell HTTP/2 (gRPC) from anything
 * else, then puts the bytes back so the chosen server reads them from the start.
 */
export function sniffProtocol(socket: Socket, route: (protocol: Protocol, socket: Socket) => void, timeoutMs = DEFAULT_SNIFF_TIMEOUT_MS): void {
  if (socket.destroyed) return; // refused by a connection limit
  let seen = Buffer.alloc(0);
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  timer.unref();

  const decide = (protocol: Protocol): void => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('error', onError);
    socket.pause();
    socket.unshift(seen);
    route(protocol, socket);
  };
  const onData = (chunk: Buffer): void => {
    seen = Buffer.concat([seen, chunk]);
    const compared = Math.min(seen.length, HTTP2_PREFACE.length);
    if (!seen.subarray(0, compared).equals(HTTP2_PREFACE.subarray(0, compared))) decide('http1');
    else if (compared === HTTP2_PREFACE.length) decide('http2');
  };
  const onError = (): void => {
    clearTimeout(timer);
    socket.destroy();
  };
  socket.on('data', onData);
  socket.on('error', onError);
}
