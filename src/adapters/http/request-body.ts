import type { IncomingMessage } from 'node:http';

/** What reading a request body came to: the bytes, too many of them, or a client that went away. */
export type BodyResult = { kind: 'body'; text: string } | { kind: 'too_large' } | { kind: 'aborted' };

/**
 * Reads a small request body (a form) without ever throwing: a declared or
 * actual size over `maxBytes` stops reading (the caller answers 413 and closes
 * the connection), a client that closes before the end is `aborted`.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) return Promise.resolve({ kind: 'too_large' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: BodyResult): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
      if (result.kind !== 'body') req.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) finish({ kind: 'too_large' });
      else chunks.push(chunk);
    };
    const onEnd = (): void => finish({ kind: 'body', text: Buffer.concat(chunks).toString('utf8') });
    const onGone = (): void => finish({ kind: 'aborted' });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onGone);
  });
}
