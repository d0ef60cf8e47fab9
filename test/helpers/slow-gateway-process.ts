// A gateway process whose store takes SLOW_STORE_MS per write: for measuring
// what the gateway holds in memory while clients push faster than it stores.
import { join } from 'node:path';
import { openSqliteStore } from '../../src/adapters/stores/sqlite/sqlite-store.js';
import { startGateway } from '../../src/app.js';
import { defaultGatewayConfig } from '../../src/config/gateway-config.js';
import { withFaults } from './fault-store.js';
import { tempDir } from './temp-dir.js';

const delayMs = Number(process.env.SLOW_STORE_MS ?? 100);
const dir = tempDir('tgw-slow-');
const store = withFaults(openSqliteStore(join(dir.path, 'telemetry.db')), { gate: () => new Promise((r) => setTimeout(r, delayMs)) });
const gateway = await startGateway(defaultGatewayConfig({ listen: '127.0.0.1:0', shutdownTimeoutMs: 1000 }), { store });
process.stdout.write(`serving on ${gateway.address}\n`);
process.once('SIGTERM', () => {
  void gateway.close().then(() => {
    dir[Symbol.dispose]();
    process.exit(0);
  });
});
