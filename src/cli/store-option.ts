import type { Command } from 'commander';
import { GATEWAY_SETTINGS } from '../config/gateway-config.js';
import { addSettings, resolveSettings, type Setting } from '../config/settings.js';

const STORE_SETTING: readonly Setting[] = GATEWAY_SETTINGS.filter((s) => s.flag === 'store');

/** `--store URL` with the same default and env variable as `serve`. */
export function addStoreOption(command: Command): Command {
  return addSettings(command, STORE_SETTING);
}

export function resolveStoreUrl(command: Command): string {
  return resolveSettings(command, STORE_SETTING).store as string;
}
