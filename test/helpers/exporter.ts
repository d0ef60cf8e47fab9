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

/** A plaintext connector to a local gateway. */
export function plaintextConnector(target: string, identity: ExporterIdentity = testInstance()): ConnectGateway {
  return grpcGatewayConnector({ target, identity, tls: { kind: 'plaintext' } });
}

/** Wraps each fresh transport, e.g. to watch payloads or fail calls. */
export function wrapConnector(connect: ConnectGateway, wrap: (transport: GatewayTransport) => GatewayTransport): ConnectGateway {
  return () => wrap(connect());
}
