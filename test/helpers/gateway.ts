import { join } from 'node:path';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { v7 as uuidv7 } from 'uuid';
import { createGatewayClient, type GatewayClient, type GatewayClientOptions } from '../../src/adapters/grpc/gateway-client.js';
import { openSqliteStore } from '../../src/adapters/stores/sqlite/sqlite-store.js';
import { startGateway, type Gateway, type GatewayOverrides } from '../../src/app.js';
import { defaultGatewayConfig, type GatewayConfig } from '../../src/config/gateway-config.js';
import type { EventReader, EventStore } from '../../src/core/store.js';
import {
  EventSchema,
  RecordEventsRequestMetadataSchema,
  type Event,
  type RecordEventsRequestMetadata,
} from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { tempDir } from './temp-dir.js';
import { testLogger } from './test-log.js';

export interface TestGateway {
  gateway: Gateway;
  /** Reads the same SQLite file the gateway writes (closed with the gateway). */
  reader: EventReader;
  /** That SQLite file, to read it after the gateway has closed. */
  dbPath: string;
  client(options?: GatewayClientOptions): GatewayClient;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A gateway on 127.0.0.1:<free port> writing to a fresh SQLite file, plus
 * clients for it. `wrapStore` composes faults around the real store.
 */
export async function startTestGateway(
  config: Partial<GatewayConfig> = {},
  overrides: GatewayOverrides & { wrapStore?: (store: EventStore) => EventStore } = {},
): Promise<TestGateway> {
  const dir = tempDir();
  const dbPath = join(dir.path, 'telemetry.db');
  const sqlite = openSqliteStore(dbPath);
  const store = overrides.wrapStore ? overrides.wrapStore(sqlite) : sqlite;
  const gateway = await startGateway(defaultGatewayConfig({ listen: '127.0.0.1:0', shutdownTimeoutMs: 5000, ...config }), {
    logger: testLogger(),
    ...overrides,
    store,
  });
  const clients: GatewayClient[] = [];
  return {
    gateway,
    reader: sqlite,
    dbPath,
    client(options = {}) {
      const client = createGatewayClient(gateway.address, { insecure: true, ...options });
      clients.push(client);
      return client;
    },
    async [Symbol.asyncDispose]() {
      for (const client of clients) client.close();
      await gateway.close();
      dir[Symbol.dispose]();
    },
  };
}

type Identifier = NonNullable<MessageInitShape<typeof RecordEventsRequestMetadataSchema>['identifier']>['identifier'];

export function metadataFor(identifier: Identifier, requestId = `test-${uuidv7()}`): RecordEventsRequestMetadata {
  return create(RecordEventsRequestMetadataSchema, { requestId, identifier: identifier ? { identifier } : undefined });
}

export const unlicensed = (instanceId = 'test-instance'): RecordEventsRequestMetadata =>
  metadataFor({ case: 'unlicensedInstance', value: { instanceId, externalUrl: 'https://sg.example.com' } });

export const licensed = (licenseKey: string, instanceId = 'licensed-instance'): RecordEventsRequestMetadata =>
  metadataFor({ case: 'licensedInstance', value: { licenseKey, instanceId, externalUrl: 'https://sg.example.com' } });

export const managedService = (serviceId = 'cody-gateway'): RecordEventsRequestMetadata =>
  metadataFor({ case: 'managedService', value: { serviceId, serviceEnvironment: 'prod' } });

/** A small valid event; override any field. */
export function testEvent(init: MessageInitShape<typeof EventSchema> = {}): Event {
  const defaults: MessageInitShape<typeof EventSchema> = {
    id: uuidv7(),
    timestamp: timestampFromMs(Date.now()),
    feature: 'search',
    action: 'submitted',
    source: { server: { version: '5.11.0' } },
    parameters: { version: 0, metadata: { results: 3 } },
  };
  return create(EventSchema, { ...defaults, ...init } as MessageInitShape<typeof EventSchema>);
}
