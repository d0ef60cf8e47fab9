import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Client, credentials, Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import {
  dropWritesOnceEnded,
  http2ServerOptionsOf,
  http2ServersOf,
  http2StreamOf,
  limitReadAhead,
  watchRequestAssembly,
} from '../../src/adapters/grpc/grpc-internals.js';
import { pollUntil } from '../helpers/poll.js';

/**
 * The gateway reaches into grpc-js in one file (grpc-internals.ts), each reach
 * guarded so a changed layout degrades instead of breaking. This test fails
 * when a grpc-js upgrade changes what those reaches find, so the upgrade is
 * looked at rather than silently losing the behaviour.
 */
it('grpc-js internals the gateway relies on are where it expects them', async () => {
  const found = new Promise<{ stream: boolean; patched: boolean; readAhead: boolean; highWaterMark: unknown; compacting: boolean }>((resolve) => {
    const server = new Server();
    const identity = (b: Buffer): Buffer => b;
    server.addService(
      { Probe: { path: '/probe.Probe/Probe', requestStream: true, responseStream: true, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity } },
      {
        Probe: (call: ServerDuplexStream<Buffer, Buffer>) => {
          const stream = http2StreamOf(call as ServerDuplexStream<unknown, unknown>);
          const result = {
            stream: stream !== undefined && stream.writableEnded === false,
            patched: dropWritesOnceEnded(call as ServerDuplexStream<unknown, unknown>),
            readAhead: limitReadAhead(call as ServerDuplexStream<unknown, unknown>),
            highWaterMark: (call as unknown as { readableHighWaterMark: unknown }).readableHighWaterMark,
            compacting: watchRequestAssembly(call as ServerDuplexStream<unknown, unknown>, () => undefined),
          };
          call.end();
          resolve(result);
          setImmediate(() => server.forceShutdown());
        },
      },
    );
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => {
      assert.ifError(error);
      const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
      const call = client.makeBidiStreamRequest('/probe.Probe/Probe', (b: Buffer) => b, (b: Buffer) => b);
      call.on('error', () => {});
      call.on('end', () => client.close());
      call.on('data', () => {});
      call.end();
    });
  });
  assert.deepEqual(await found, { stream: true, patched: true, readAhead: true, highWaterMark: 0, compacting: true });
});

it('grpc-js keeps its HTTP/2 server options and servers where the gateway finds them', async () => {
  const server = new Server();
  try {
    // Options are read when a port is bound, so they must be found before binding.
    assert.equal(typeof http2ServerOptionsOf(server), 'object');
    assert.equal(http2ServersOf(server)?.size, 0);
    await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
    );
    assert.equal(http2ServersOf(server)?.size, 1);
    const [http2Server] = http2ServersOf(server)!.keys();
    assert.equal(typeof http2Server?.on, 'function');
  } finally {
    server.forceShutdown();
  }
});

it('a request that starts arriving is announced with its size, and waits at the transport until the promise settles', async () => {
  const size = 3 * 1024 * 1024;
  let announced: number | undefined;
  let open!: () => void;
  let received: Buffer | undefined;
  const server = new Server();
  const identity = (b: Buffer): Buffer => b;
  const done = new Promise<void>((resolve) => {
    server.addService(
      { Probe: { path: '/probe.Probe/Probe', requestStream: true, responseStream: true, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity } },
      {
        Probe: (call: ServerDuplexStream<Buffer, Buffer>) => {
          limitReadAhead(call as ServerDuplexStream<unknown, unknown>);
          watchRequestAssembly(call as ServerDuplexStream<unknown, unknown>, (bytes) => {
            announced = bytes;
            return new Promise<void>((resolve) => (open = resolve));
          });
          call.on('data', (message: Buffer) => (received = message));
          call.on('end', () => {
            call.end();
            resolve();
          });
        },
      },
    );
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
  );
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  try {
    const call = client.makeBidiStreamRequest('/probe.Probe/Probe', identity, identity);
    call.on('error', () => {});
    call.on('data', () => {});
    const payload = Buffer.alloc(size, 7);
    call.write(payload);
    call.end();
    await pollUntil('the request announced', () => announced, 10_000);
    assert.equal(announced, size);
    // Held at the transport: the client cannot get the whole request through while it waits.
    assert.equal(received, undefined);
    open();
    await done;
    assert.deepEqual(received, payload);
  } finally {
    client.close();
    server.forceShutdown();
  }
});
