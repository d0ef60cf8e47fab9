import { connect, type Socket } from 'node:net';

export interface RawExchange {
  /** Everything the server sent before it closed the connection or the wait ended. */
  text: string;
  /** Status code of the first response, if one arrived. */
  status: number | undefined;
  /** Whether the server closed the connection (rather than the wait running out). */
  closed: boolean;
}

/**
 * Writes raw bytes to host:port (HTTP/1.1 as an attacker would send it, or
 * cut short), then collects the answer until the server closes the connection,
 * `untilText` appears, or `waitMs` passes. `endAfterWrite` half-closes our side.
 */
export function rawHttp(
  address: string,
  chunks: (string | Buffer)[],
  options: { waitMs?: number; endAfterWrite?: boolean; untilText?: string; destroyAfterWrite?: boolean } = {},
): Promise<RawExchange> {
  const [host, port] = splitAddress(address);
  return new Promise((resolve) => {
    const socket: Socket = connect({ host, port });
    let text = '';
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ text, status: match ? Number(match[1]) : undefined, closed });
    };
    const timer = setTimeout(() => finish(false), options.waitMs ?? 5000);
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
      if (options.destroyAfterWrite) socket.end(() => socket.destroy());
      else if (options.endAfterWrite) socket.end();
    });
    socket.on('data', (data: Buffer) => {
      text += data.toString('latin1');
      if (options.untilText !== undefined && text.includes(options.untilText)) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
  });
}

export function splitAddress(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i).replace(/^\[|\]$/g, ''), Number(address.slice(i + 1))];
}
