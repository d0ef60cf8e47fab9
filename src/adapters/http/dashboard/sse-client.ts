import type { ServerResponse } from 'node:http';

export interface SseClientOptions {
  /** Bytes that may wait in the socket's buffer; beyond it events are skipped, not queued. */
  maxBufferedBytes?: number;
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs?: number;
}

/**
 * A server-sent-events response that never buffers without limit: a slow
 * client misses events (it is told how many) instead of growing the
 * gateway's memory.
 */
export function createSseClient(res: ServerResponse, options: SseClientOptions = {}) {
  const maxBuffered = options.maxBufferedBytes ?? 256 * 1024;
  let skipped = 0;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
  });
  res.write(': connected\n\n');
  const heartbeat = setInterval(() => {
    if (res.writableLength < maxBuffered) res.write(': keepalive\n\n');
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();
  res.once('close', () => clearInterval(heartbeat));

  return {
    /** Writes one event; false (and counted) when the client is too far behind. */
    send(event: string, data: unknown): boolean {
      if (res.destroyed || res.writableLength >= maxBuffered) {
        skipped++;
        return false;
      }
      if (skipped > 0) {
        res.write(`event: skipped\ndata: ${skipped}\n\n`);
        skipped = 0;
      }
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      return true;
    },
  };
}
