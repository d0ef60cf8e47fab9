import type { Readable } from 'node:stream';

/**
 * The messages of a grpc-js call, one at a time, pulling only as fast as they
 * are consumed (HTTP/2 flow control pushes back on the client).
 *
 * Not `call.iterator()`: a read pending in Node's stream iterator turns the
 * error we emit to send a status into a destroy of the call, so the status is
 * never sent. This reader only listens; the handler owns the call's lifecycle.
 */
export async function* readMessages<T>(stream: Readable): AsyncGenerator<T> {
  for (;;) {
    const message: T | null = stream.read();
    if (message !== null) {
      yield message;
      continue;
    }
    if (stream.readableEnded || stream.destroyed) return;
    await new Promise<void>((resolve) => {
      const settle = (): void => {
        stream.off('readable', settle).off('end', settle).off('close', settle);
        resolve();
      };
      stream.on('readable', settle).on('end', settle).on('close', settle);
    });
  }
}
