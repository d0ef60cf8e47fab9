import { connect as connectHttp2 } from 'node:http2';
import { connect as connectTcp } from 'node:net';
import fc from 'fast-check';
import { parseHostPort } from '../../src/config/gateway-config.js';
import { concat, mutate } from './plans.js';

/**
 * Inputs for the HTTP side of the gateway's port: raw HTTP/1.1 requests
 * (request lines, headers, bodies, framing, cut short or pipelined, then byte
 * mutations) and HTTP/2 requests to the dashboard and diagnostics paths. The
 * property: every request is answered (never 500) or its connection closed
 * within a deadline, and the gateway keeps serving.
 */

const PATHS = [
  '/', '/login', '/logout', '/-/version', '/-/healthz', '/metrics', '/api/overview', '/api/session', '/api/instances',
  '/api/rejected', '/api/rejected?limit=0', '/api/rejected?limit=500&before=99&feature=a&reason=%ZZ', '/api/rejected/1',
  '/api/rejected/999999999999999', '/api/tail', '/api/tail?feature=search&source=licensed_instance&instance=%00',
  '/assets/app.js', '/assets/style.css', '/assets/../../etc/passwd', '/assets/%2e%2e/x', '/nope', '*', '//', '/%', '/?%',
  'http://[', 'http://a:99999999/', 'http://[::1', 'http://127.0.0.1/api/overview', 'https://x@y/', '/api/rejected/1e3',
];
const target = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...PATHS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((s) => `/${s}`) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);
const method = fc.oneof({ weight: 8, arbitrary: fc.constantFrom('GET', 'POST', 'HEAD') }, { weight: 1, arbitrary: fc.constantFrom('PUT', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', 'PRI', 'get', 'G E T', '') });
const version = fc.oneof({ weight: 10, arbitrary: fc.constant('HTTP/1.1') }, { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 x', 'HTTP/9', '') });

const headerValue = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.nat({ max: 100_000 }).map((n) => 'a'.repeat(n)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);
const header = fc.oneof(
  fc.tuple(fc.constant('Host'), fc.oneof({ weight: 6, arbitrary: fc.constant('127.0.0.1') }, { weight: 1, arbitrary: fc.constantFrom('localhost:1', 'evil.example', '[::1]', '', '[', 'a:b:c') })),
  fc.tuple(fc.constant('Content-Length'), fc.oneof(fc.nat({ max: 10_000 }).map(String), fc.constantFrom('-1', '99999999999999999999', '1, 2', 'x', ''))),
  fc.tuple(fc.constant('Transfer-Encoding'), fc.constantFrom('chunked', 'gzip, chunked', 'identity', 'x')),
  fc.tuple(fc.constant('Cookie'), fc.oneof(fc.string({ maxLength: 60 }).map((s) => `tgw_dashboard=${s}`), fc.constantFrom('tgw_login_csrf=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'tgw_dashboard=; tgw_dashboard=x', ';;;=', ''))),
  fc.tuple(fc.constant('Authorization'), fc.oneof(fc.string({ maxLength: 40 }).map((s) => `Bearer ${s}`), fc.constantFrom('Bearer fuzz-secret', 'Basic abc', 'Bearer', ''), fc.nat({ max: 70_000 }).map((n) => `Bearer ${'x'.repeat(n)}`))),
  fc.tuple(fc.constantFrom('Content-Type', 'Origin', 'Sec-Fetch-Site', 'Connection', 'Expect', 'Upgrade', 'Accept'), fc.oneof(fc.constantFrom('application/x-www-form-urlencoded', 'cross-site', 'close', 'keep-alive', '100-continue', 'h2c', 'websocket', 'text/event-stream'), headerValue)),
  fc.tuple(fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 20 }), headerValue),
);
const body = fc.oneof(
  fc.constant(''),
  fc.record({ secret: fc.constantFrom('fuzz-secret', 'wrong', ''), csrf: fc.string({ maxLength: 40 }) }).map((f) => new URLSearchParams(f).toString()),
  fc.string({ maxLength: 300 }),
  fc.nat({ max: 9000 }).map((n) => `secret=${'x'.repeat(n)}`),
  fc.uint8Array({ maxLength: 500 }).map((b) => Buffer.from(b).toString('latin1')),
);

export interface Http1Case {
  bytes: Uint8Array;
  /** Write the bytes in pieces of about this size (slow clients, split headers). */
  pieceBytes: number;
  /** After writing: wait for the answer, half-close, or cut the connection at once. */
  finish: 'wait' | 'end' | 'destroy';
}

/** One request, structured then maybe mutated at the byte level; possibly chunked, pipelined or cut short. */
const request = fc
  .record({ method, target, version, headers: fc.array(header, { maxLength: 8 }), body, chunked: fc.boolean(), bodyCut: fc.option(fc.nat({ max: 400 }), { freq: 4 }) })
  .map(({ method, target, version, headers, body, chunked, bodyCut }) => {
    const lines = [`${method} ${target} ${version}`, ...headers.map(([name, value]) => `${name}: ${value}`)];
    const hasHost = headers.some(([name]) => name.toLowerCase() === 'host');
    if (!hasHost) lines.push('Host: 127.0.0.1');
    let payload = body;
    if (chunked) {
      lines.push('Transfer-Encoding: chunked');
      payload = body === '' ? '0\r\n\r\n' : `${Buffer.byteLength(body, 'latin1').toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    } else if (!headers.some(([name]) => name.toLowerCase() === 'content-length') && body !== '') {
      lines.push(`Content-Length: ${Buffer.byteLength(body, 'latin1')}`);
    }
    const text = `${lines.join('\r\n')}\r\n\r\n${payload}`;
    return Buffer.from(bodyCut === null ? text : text.slice(0, Math.max(1, text.length - bodyCut)), 'latin1');
  });

export const http1Case: fc.Arbitrary<Http1Case> = fc.record({
  bytes: fc.oneof(
    { weight: 6, arbitrary: request },
    { weight: 2, arbitrary: fc.tuple(request, fc.record({ kind: fc.constantFrom('flip' as const, 'truncate' as const, 'insert' as const, 'overwrite' as const), at: fc.nat(), value: fc.constantFrom(0, 10, 13, 32, 58, 0x7f, 0xff, 0x25), count: fc.integer({ min: 1, max: 6 }) })).map(([bytes, m]) => mutate(bytes, m)) },
    { weight: 1, arbitrary: fc.array(request, { minLength: 2, maxLength: 4 }).map((requests) => concat(...requests)) },
  ),
  pieceBytes: fc.oneof({ weight: 8, arbitrary: fc.constant(1 << 20) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 64 }) }),
  finish: fc.oneof({ weight: 6, arbitrary: fc.constant('wait' as const) }, { weight: 1, arbitrary: fc.constant('end' as const) }, { weight: 1, arbitrary: fc.constant('destroy' as const) }),
});

/**
 * Sends one HTTP/1 case on a fresh connection. Returns why the gateway
 * misbehaved, or undefined: a 500 (an unexpected failure), or neither an answer
 * nor a closed connection within `deadlineMs` (a hang). A case we cut short
 * ourselves has nothing to check.
 */
export function runHttp1Case(address: string, c: Http1Case, deadlineMs: number, localAddress?: string): Promise<string | undefined> {
  const { host, port } = parseHostPort(address);
  return new Promise((resolve) => {
    const socket = connectTcp({ host, port, ...(localAddress ? { localAddress } : {}) });
    let answer = '';
    let settled = false;
    const done = (failure: string | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(failure);
    };
    const timer = setTimeout(() => done(c.finish === 'destroy' ? undefined : `no answer and no close within ${deadlineMs} ms (got ${JSON.stringify(answer.slice(0, 80))})`), deadlineMs);
    socket.on('error', () => {});
    socket.on('data', (data: Buffer) => {
      answer += data.toString('latin1');
      if (/^HTTP\/1\.[01] 500 /m.test(answer)) done(`500 answer: ${answer.slice(0, 200)}`);
      // The first status line is enough (an event stream or a pipelined batch may go on).
      else if (/^HTTP\/1\.[01] \d{3} [^\r\n]*\r\n/.test(answer) && answer.includes('\r\n\r\n')) done(undefined);
    });
    socket.on('close', () => done(undefined));
    socket.on('connect', async () => {
      for (let at = 0; at < c.bytes.length && !socket.destroyed; at += c.pieceBytes) {
        socket.write(c.bytes.subarray(at, at + c.pieceBytes));
        if (c.pieceBytes < c.bytes.length) await new Promise((r) => setImmediate(r));
      }
      if (c.finish === 'end') socket.end();
      if (c.finish === 'destroy') done(undefined);
    });
  });
}

export interface Http2Case {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Uint8Array;
  finish: 'end' | 'reset' | 'close-session';
}

export const http2Case: fc.Arbitrary<Http2Case> = fc.record({
  method: method.filter((m) => /^[A-Za-z]+$/.test(m)),
  path: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...PATHS.filter((p) => p.startsWith('/'))) }, { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((s) => `/${s.replace(/[^\x21-\x7e]/g, '')}`) }),
  headers: fc.dictionary(
    fc.constantFrom('content-type', 'authorization', 'cookie', 'accept', 'te', 'grpc-timeout', 'x-fuzz', 'content-length'),
    fc.oneof(fc.constantFrom('application/grpc', 'text/event-stream', 'application/x-www-form-urlencoded', 'trailers', 'Bearer fuzz-secret', 'tgw_dashboard=x', '5S', '12'), fc.string({ unit: 'binary-ascii', maxLength: 30 }).map((s) => s.replace(/[^\x20-\x7e]/g, ''))),
    { maxKeys: 5 },
  ),
  body: fc.oneof(fc.constant(new Uint8Array()), fc.uint8Array({ maxLength: 400 }), fc.constant(Buffer.from('secret=fuzz-secret&csrf=x'))),
  finish: fc.oneof({ weight: 6, arbitrary: fc.constant('end' as const) }, { weight: 1, arbitrary: fc.constant('reset' as const) }, { weight: 1, arbitrary: fc.constant('close-session' as const) }),
});

/**
 * Sends one HTTP/2 request (the gRPC server answers everything on HTTP/2,
 * dashboard paths included) on a fresh session. Fails on a hang only: any
 * response, reset or session error is an answer.
 */
export function runHttp2Case(address: string, c: Http2Case, deadlineMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const session = connectHttp2(`http://${address}`);
    let settled = false;
    const done = (failure: string | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve(failure);
    };
    const timer = setTimeout(() => done(`HTTP/2 ${c.method} ${c.path}: no answer within ${deadlineMs} ms`), deadlineMs);
    session.on('error', () => done(undefined));
    session.on('close', () => done(undefined));
    try {
      const stream = session.request({ ':method': c.method, ':path': c.path, ...c.headers }, { endStream: false });
      stream.on('error', () => done(undefined));
      stream.on('response', () => {
        stream.resume();
        if (c.path.startsWith('/api/tail')) done(undefined);
      });
      stream.on('close', () => done(undefined));
      if (c.finish === 'close-session') {
        stream.write(c.body);
        session.close();
        return;
      }
      if (c.finish === 'reset') {
        stream.write(c.body, () => !stream.destroyed && stream.close(8));
        return;
      }
      stream.end(c.body);
    } catch {
      done(undefined); // the client refused the headers itself: nothing reached the gateway
    }
  });
}
