import { connect as connectHttp2, constants } from 'node:http2';
import { connect as connectTcp } from 'node:net';
import fc from 'fast-check';
import { parseHostPort } from '../../src/config/gateway-config.js';
import { TelemeteryGatewayService } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { concat, mutate } from './plans.js';

/**
 * Unstructured inputs at the gateway's port: bytes on a bare TCP connection
 * (garbage, damaged HTTP/2 prefaces and frames, HTTP/1 junk), and damaged gRPC
 * bodies inside well-formed HTTP/2 streams. Nothing here has an expected
 * answer; the property is that the gateway lives on and keeps serving.
 */

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const RECORD_EVENTS = `/${TelemeteryGatewayService.typeName}/RecordEvents`;

/** An HTTP/2 frame with any type, flags, stream id and payload (the length field may lie). */
const frame = fc
  .record({ type: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 255 })), flags: fc.integer({ min: 0, max: 255 }), stream: fc.oneof(fc.constant(0), fc.constant(1), fc.integer({ min: 0, max: 2 ** 31 - 1 })), payload: fc.uint8Array({ maxLength: 300 }), lie: fc.option(fc.integer({ min: 0, max: 2 ** 24 - 1 }), { freq: 5 }) })
  .map(({ type, flags, stream, payload, lie }) => {
    const header = Buffer.alloc(9);
    header.writeUIntBE(lie ?? payload.length, 0, 3);
    header[3] = type;
    header[4] = flags;
    header.writeUInt32BE(stream, 5);
    return concat(header, payload);
  });

const SETTINGS_EMPTY = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);

/** Bytes for a bare TCP connection. */
export const tcpGarbage: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 2000 }),
  fc.nat({ max: PREFACE.length }).map((n) => PREFACE.subarray(0, n)),
  fc.tuple(fc.array(frame, { maxLength: 8 }), fc.boolean()).map(([frames, settings]) => concat(PREFACE, ...(settings ? [SETTINGS_EMPTY] : []), ...frames)),
  fc.tuple(fc.array(frame, { maxLength: 6 }), fc.record({ kind: fc.constantFrom('flip' as const, 'truncate' as const, 'insert' as const, 'overwrite' as const), at: fc.nat(), value: fc.nat({ max: 255 }), count: fc.integer({ min: 1, max: 8 }) })).map(([frames, m]) => mutate(concat(PREFACE, SETTINGS_EMPTY, ...frames), m)),
  fc.tuple(fc.constantFrom('GET', 'POST', 'PRI', 'CONNECT', '\u0000'), fc.string({ maxLength: 80 }), fc.string({ maxLength: 200 })).map(([method, path, rest]) => Buffer.from(`${method} /${path} HTTP/1.1\r\nHost: x\r\n${rest}\r\n\r\n`)),
);

/** Writes bytes on a fresh TCP connection, then waits for the gateway to close it or for `lingerMs`. */
export function sendTcpGarbage(address: string, bytes: Uint8Array, lingerMs: number): Promise<void> {
  const { host, port } = parseHostPort(address);
  return new Promise((resolve) => {
    const socket = connectTcp({ host, port });
    const timer = setTimeout(() => socket.destroy(), lingerMs);
    socket.on('error', () => {});
    socket.on('data', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.on('connect', () => socket.end(bytes));
  });
}

/** A gRPC body: length-prefixed messages with damaged prefixes, lengths and contents. */
export interface GrpcBodyCase {
  path: string;
  headers: Record<string, string>;
  chunks: Uint8Array[];
  /** Half-close after the chunks, or reset the stream. */
  finish: 'end' | 'reset' | 'leave';
}

const lengthPrefixed = fc
  .record({ compressed: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }), body: fc.oneof(fc.uint8Array({ maxLength: 400 }), fc.constant(new Uint8Array([0x12, 0x00])), fc.constant(new Uint8Array([0x0a, 0x05, 0x12, 0x03, 0x12, 0x01, 0xff]))), lie: fc.option(fc.oneof(fc.nat({ max: 1000 }), fc.constant(0xffffffff), fc.integer({ min: 0, max: 2 ** 32 - 1 })), { freq: 4 }) })
  .map(({ compressed, body, lie }) => {
    const prefix = Buffer.alloc(5);
    prefix[0] = compressed;
    prefix.writeUInt32BE(lie ?? body.length, 1);
    return concat(prefix, body);
  });

export const grpcBodyCase: fc.Arbitrary<GrpcBodyCase> = fc.record({
  path: fc.oneof({ weight: 8, arbitrary: fc.constant(RECORD_EVENTS) }, { weight: 1, arbitrary: fc.constant(`/${TelemeteryGatewayService.typeName}/RecordEvent`) }, { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }).map((s) => `/${s.replace(/[^\x21-\x7e]/g, '')}`) }),
  headers: fc.record({
    'content-type': fc.oneof({ weight: 8, arbitrary: fc.constant('application/grpc') }, { weight: 1, arbitrary: fc.constantFrom('application/grpc+proto', 'text/plain', 'application/json', '') }),
    'grpc-encoding': fc.constantFrom('identity', 'gzip', 'deflate', 'snappy', 'x'),
    'grpc-timeout': fc.constantFrom('1S', '100m', '0n', '99999999H', 'garbage', '5S'),
  }),
  chunks: fc.array(fc.oneof(lengthPrefixed, fc.uint8Array({ maxLength: 64 })), { maxLength: 6 }),
  finish: fc.constantFrom('end' as const, 'end' as const, 'reset' as const, 'leave' as const),
});

/** Sends a damaged gRPC body on its own HTTP/2 connection; resolves with the grpc-status seen (or undefined). */
export function sendGrpcBody(address: string, body: GrpcBodyCase, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const session = connectHttp2(`http://${address}`);
    session.on('error', () => {});
    let grpcStatus: string | undefined;
    const done = (): void => {
      clearTimeout(timer);
      session.destroy();
      resolve(grpcStatus);
    };
    const timer = setTimeout(done, timeoutMs);
    const headers: Record<string, string> = { ':method': 'POST', ':path': body.path, te: 'trailers', ...body.headers };
    if (headers['content-type'] === '') delete headers['content-type'];
    const stream = session.request(headers);
    stream.on('error', () => {});
    stream.on('response', (h) => (grpcStatus = String(h['grpc-status'] ?? grpcStatus ?? '')));
    stream.on('trailers', (h) => (grpcStatus = String(h['grpc-status'] ?? '')));
    stream.on('data', () => {});
    stream.on('close', done);
    for (const chunk of body.chunks) stream.write(chunk);
    if (body.finish === 'end') stream.end();
    else if (body.finish === 'reset') stream.close(constants.NGHTTP2_CANCEL);
    else setTimeout(() => stream.close(constants.NGHTTP2_NO_ERROR), 50).unref();
  });
}
