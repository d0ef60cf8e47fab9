import type { z } from 'zod';
import { EXPORT_SCHEMA, RECORD_SCHEMA } from './exporter-config.js';
import { SERVE_SCHEMA } from './gateway-config.js';
import { SINK_SCHEMA } from './sink-config.js';
import { describeSettings, type SettingsShape } from './setting.js';

/**
 * The commands that take settings, each a section of a config file and a
 * namespace of env variables: `serve.listen` in a file is
 * TELEMETRY_GATEWAY_SERVE_LISTEN in the environment. `events` reads the store
 * `serve` writes, and `queue` the queue `export` sends, so they read those
 * sections.
 */
export const CONFIG_SECTIONS = {
  serve: SERVE_SCHEMA,
  sink: SINK_SCHEMA,
  record: RECORD_SCHEMA,
  export: EXPORT_SCHEMA,
} as const satisfies Record<string, z.ZodObject<SettingsShape>>;

export type SectionName = keyof typeof CONFIG_SECTIONS;

export const SECTION_NAMES: readonly SectionName[] = ['serve', 'sink', 'record', 'export'];

export function isSectionName(name: string): name is SectionName {
  return SECTION_NAMES.some((section) => section === name);
}

/** Every env variable starts with this. */
export const ENV_PREFIX = 'TELEMETRY_GATEWAY_';

/**
 * The env variable of a setting: TELEMETRY_GATEWAY_<SECTION>_<FLAG>; without a
 * section, the name every command once shared (still read, with a warning).
 */
export function envName(flag: string, section?: SectionName): string {
  return ENV_PREFIX + (section === undefined ? '' : `${section.toUpperCase()}_`) + flag.toUpperCase().replace(/-/g, '_');
}

/** Every TELEMETRY_GATEWAY_* name some command reads, namespaced or old: anything else is a typo. */
export function knownEnvNames(): Set<string> {
  const names = new Set<string>();
  for (const section of SECTION_NAMES) {
    for (const { flag } of describeSettings(CONFIG_SECTIONS[section])) {
      names.add(envName(flag, section));
      names.add(envName(flag));
    }
  }
  return names;
}
