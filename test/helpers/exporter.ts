import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { grpcGatewayConnector } from '../../src/adapters/grpc/export-transport.js';
import { openSqliteQueue } from '../../src/adapters/queues/sqlite-queue.js';
import type { ExporterIdentity } from '../../src/exporter/exporter-identity.js';
import type { ConnectGateway, GatewayTransport } from '../../src/exporter/gateway-transport.js';
import type { EventQueue } from '../../src/exporter/queue.js';
import { createRecorder, type Recorder, type RecorderOptions } from '../../src/exporter/recorder.js';
import { tempDir } from './temp-dir.js';

export interface TestExporter {
  queue: EventQueue;
  queuePath: string;
  recorder: Recorder;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A recorder on a fresh SQLite queue file. */
export function createTestExporter(options: Partial<Omit<RecorderOptions, 'queue'>> = {}): TestExporter {
  const dir = tempDir('tgw-exporter-');
  const queuePath = join(dir.path, 'queue.db');
  const queue = openSqliteQueue(queuePath);
  return {
    queue,
    queuePath,
    recorder: createRecorder({ serverVersion: '5.11.0', ...options, queue }),
    async [Symbol.asyncDispose]() {
      await queue.close();
      dir[Symbol.dispose]();
    },
  };
}

export const testInstance = (instanceId = 'exporter-instance'): ExporterIdentity => ({
  kind: 'unlicensed',
  instanceId,
  externalUrl: 'https://sg.example.com',
});

/** A plaintext connector to a local gateway (deadline: the default 30 s unless given). */
export function plaintextConnector(target: string, identity: ExporterIdentity = testInstance(), timeoutMs?: number): ConnectGateway {
  return grpcGatewayConnector({ target, identity, tls: { kind: 'plaintext' }, timeoutMs });
}

/** Wraps each fresh transport, e.g. to watch payloads or fail calls. */
export function wrapConnector(connect: ConnectGateway, wrap: (transport: GatewayTransport) => GatewayTransport): ConnectGateway {
  return () => wrap(connect());
}

export interface SilentServer {
  /** HOST:PORT */
  address: string;
  /** Connections accepted so far. */
  connections(): number;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A TCP server that accepts connections and never answers (a hung gateway). */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    connections: () => accepted,
    async [Symbol.asyncDispose]() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** Timers alive in this process (ref'd or not): a closed exporter must leave none of its own. */
export function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}
