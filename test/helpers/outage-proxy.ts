import { connect, createServer, type Server, type Socket } from 'node:net';

export interface OutageProxy {
  /** 127.0.0.1:<port> to dial instead of the target; the port stays the same across outages. */
  readonly address: string;
  /** Cuts every connection and refuses new ones, like a server that went away. */
  cut(): Promise<void>;
  /** Accepts connections again on the same port. */
  restore(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A loopback TCP proxy a test can take down and bring back, to make a service unreachable for one client only. */
export async function startOutageProxy(targetHost: string, targetPort: number): Promise<OutageProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(targetPort, targetHost);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  const cut = async (): Promise<void> => {
    for (const socket of sockets) socket.destroy();
    const closing = server;
    server = undefined;
    await new Promise<void>((resolve) => (closing ? closing.close(() => resolve()) : resolve()));
  };
  await listen();
  return { address: `127.0.0.1:${port}`, cut, restore: listen, [Symbol.asyncDispose]: cut };
}
