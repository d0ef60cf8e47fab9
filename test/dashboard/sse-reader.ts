import { request, type IncomingMessage } from 'node:http';

export interface SseEvent {
  event: string;
  data: string;
}

/** Connects to a server-sent-events URL and collects the events as they arrive (for assertions). */
export async function readSse(url: string, headers: Record<string, string> = {}) {
  const events: SseEvent[] = [];
  let raw = '';
  const req = request(url, { headers: { accept: 'text/event-stream', ...headers } });
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', reject);
    req.end();
  });
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode}`);
  res.setEncoding('utf8');
  let pending = '';
  res.on('data', (chunk: string) => {
    raw += chunk;
    pending += chunk;
    let end: number;
    while ((end = pending.indexOf('\n\n')) >= 0) {
      const block = pending.slice(0, end);
      pending = pending.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== undefined && data !== undefined) events.push({ event, data });
    }
  });
  res.on('error', () => {});
  return {
    events,
    text: () => raw,
    async [Symbol.asyncDispose]() {
      req.destroy();
    },
  };
}
