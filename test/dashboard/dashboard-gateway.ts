import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGatewayClient, sendEventStream, type GatewayClient } from '../../src/adapters/grpc/gateway-client.js';
import { startGateway, type Gateway } from '../../src/app.js';
import { defaultGatewayConfig, type GatewayConfig } from '../../src/config/gateway-config.js';
import { EVENTS_WRITE_SCOPE, sha256 } from '../../src/core/identity/service-tokens.js';
import type { Event, RecordEventsRequestMetadata } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { licensed, managedService, unlicensed } from '../helpers/gateway.js';
import { TESTDATA } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';

const LICENSE = join(TESTDATA, 'license');
export const SERVICE_TOKEN = 'tgw_dashboard-test-token';
/** A valid license key (tags, users, expiry in the future) and an expired one, both from the vendor test keys. */
export const LICENSE_KEY = readFileSync(join(LICENSE, 'valid-ssh-rsa.key'), 'utf8').trim();
export const EXPIRED_LICENSE_KEY = readFileSync(join(LICENSE, 'valid-rsa-sha2-512-expired.key'), 'utf8').trim();

export interface DashboardGateway {
  gateway: Gateway;
  /** http://127.0.0.1:PORT */
  baseUrl: string;
  /** Streams events as an instance (one payload each); resolves with the acknowledged ids. */
  send(metadata: RecordEventsRequestMetadata, ...payloads: Event[][]): Promise<string[]>;
  /** Unary RecordEvent as the managed service "cody-gateway". */
  sendAsService(event: Event): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export const asUnlicensed = unlicensed;
export const asLicensed = (instanceId: string, key = LICENSE_KEY) => licensed(key, instanceId);
export const asService = () => managedService('cody-gateway');

/**
 * A gateway as `serve` runs it: the store opened from its URL (SQLite on the
 * writer thread, so the dashboard reads the file from its own thread), vendor
 * keys and a service token configured, the dashboard on.
 */
export async function startDashboardGateway(config: Partial<GatewayConfig> = {}): Promise<DashboardGateway> {
  const dir = tempDir('tgw-dashboard-');
  const tokens = join(dir.path, 'tokens.json');
  writeFileSync(tokens, JSON.stringify([{ name: 'cody', sha256: sha256(SERVICE_TOKEN).toString('hex'), scopes: [EVENTS_WRITE_SCOPE] }]));
  const gateway = await startGateway(
    defaultGatewayConfig({
      listen: '127.0.0.1:0',
      store: `sqlite:${join(dir.path, 'telemetry.db')}`,
      licensePublicKeyFiles: [join(LICENSE, 'vendor_rsa.pub'), join(LICENSE, 'vendor_ed25519.pub')],
      serviceTokensFile: tokens,
      shutdownTimeoutMs: 5000,
      ...config,
    }),
  );
  const clients: GatewayClient[] = [];
  const client = (authorization?: string): GatewayClient => {
    const c = createGatewayClient(gateway.address, { insecure: true, ...(authorization ? { authorization } : {}) });
    clients.push(c);
    return c;
  };
  return {
    gateway,
    baseUrl: `http://${gateway.address}`,
    async send(metadata, ...payloads) {
      return (await sendEventStream(client(), metadata, payloads)).flat();
    },
    sendAsService: (event) => client(`Bearer ${SERVICE_TOKEN}`).recordEvent(asService(), event),
    async [Symbol.asyncDispose]() {
      for (const c of clients) c.close();
      await gateway.close();
      dir[Symbol.dispose]();
    },
  };
}
