import type { Command } from 'commander';
import { SERVE_SCHEMA } from '../config/gateway-config.js';
import { addSettings, printWarnings, resolveSettings } from '../config/settings.js';

/** `events` reads the store `serve` writes: its --store, TELEMETRY_GATEWAY_SERVE_STORE, the file's `serve:` section. */
const STORE_SCHEMA = SERVE_SCHEMA.pick({ store: true });

/** `--store URL` with the same default and env variable as `serve`. */
export function addStoreOption(command: Command): Command {
  return addSettings(command, 'serve', STORE_SCHEMA);
}

export function resolveStoreUrl(command: Command): string {
  const settings = resolveSettings(command, 'serve', STORE_SCHEMA);
  printWarnings(settings.warnings);
  return settings.values.store;
}
