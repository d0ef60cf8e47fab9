import { createConnection, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  /** 127.0.0.1:<port> to dial instead of the target. */
  readonly address: string;
  /** Every byte clients sent through the proxy, in arrival order per connection. */
  clientBytes(): Buffer;
  /** Cuts every open connection (both sides reset). */
  cutAll(): void;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A loopback TCP proxy that records what clients send and can cut connections. */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const chunks: Buffer[] = [];
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host, port });
    open.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
    client.pipe(upstream).pipe(client);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = async (): Promise<void> => {
    for (const socket of open) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    clientBytes: () => Buffer.concat(chunks),
    cutAll() {
      for (const socket of open) socket.resetAndDestroy();
      open.clear();
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
