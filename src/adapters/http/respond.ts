import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

export interface SendOptions {
  contentType?: string;
  /** Extra headers (cache-control, set-cookie, retry-after...). */
  headers?: OutgoingHttpHeaders;
  /** Close the connection after this answer (the request may not have been read to its end). */
  close?: boolean;
}

/** A complete small answer; HEAD gets the headers only. */
export function send(res: ServerResponse, status: number, body: string, options: SendOptions = {}): void {
  res.writeHead(status, {
    'content-type': options.contentType ?? 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...(options.close ? { connection: 'close' } : {}),
    ...options.headers,
  });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}
