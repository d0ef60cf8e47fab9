import { Option, type Command } from 'commander';
import type { z } from 'zod';
import { fileValuesFor, readConfigFile } from './config-file.js';
import { parseSettings } from './parse-settings.js';
import { ENV_PREFIX, envName, knownEnvNames, type SectionName } from './sections.js';
import { describeSettings, flagName, type SettingMeta, type SettingsShape } from './setting.js';

export { ENV_PREFIX, envName } from './sections.js';
export type { Setting, SettingValues } from './settings-compat.js';

/**
 * Registers a command's settings with commander, all derived from its
 * schema: the flag, its value name and choices, the env variable and the
 * default shown in help. Commander's own defaults are for help only:
 * `resolveSettings` applies the schema's.
 */
export function addSettings(command: Command, section: SectionName, schema: z.ZodObject<SettingsShape>): Command {
  for (const { flag, meta } of describeSettings(schema)) {
    const flags = meta.kind === 'boolean' ? `--${flag}` : `--${flag} <${meta.valueName ?? 'value'}>`;
    const option = new Option(flags, `${meta.description} [env: ${envName(flag, section)}]`);
    if (meta.choices) option.choices(meta.choices);
    if (meta.kind === 'list') option.argParser((value: string, previous: unknown) => [...(Array.isArray(previous) ? previous : []), value]);
    const shown = helpDefault(meta);
    if (shown !== undefined) option.default(meta.defaultValue ?? null, shown);
    command.addOption(option);
  }
  command.addOption(
    new Option('--config <file>', `YAML or JSON file with a "${section}:" section keyed by flag name (or, like before, flat flag-name keys); flags and env win`),
  );
  return command;
}

/** The default that help shows: the value itself, or what it means when the value would mislead. Never a secret's. */
function helpDefault(meta: SettingMeta): string | undefined {
  if (meta.secret) return undefined;
  if (meta.defaultText !== undefined) return meta.defaultText;
  if (meta.defaultValue === undefined) return undefined;
  if (Array.isArray(meta.defaultValue)) return meta.defaultValue.length === 0 ? 'none' : meta.defaultValue.join(',');
  return JSON.stringify(meta.defaultValue);
}

/** Something an operator should fix, reported once per run by the command (as a log line if it logs JSON). */
export interface SettingsWarning {
  message: string;
  /** The env variable concerned (its name only: values are never reported). */
  env: string;
  /** The name to use instead, for an old name. */
  use?: string;
}

export interface ResolvedSettings<T> {
  values: T;
  warnings: SettingsWarning[];
}

/**
 * Resolves a command's settings with the precedence flag > env > config file >
 * default, parsing each through the schema. Env variables are
 * TELEMETRY_GATEWAY_<SECTION>_<FLAG>; the old unnamespaced name is read when
 * the new one is unset, with a warning. Unknown TELEMETRY_GATEWAY_* names are
 * warned about by name. Throws an Error naming the flag, env variable or file
 * key of a refused value, never a secret's value.
 */
export function resolveSettings<S extends SettingsShape>(
  command: Command,
  section: SectionName,
  schema: z.ZodObject<S>,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedSettings<z.output<z.ZodObject<S>>> {
  const configPath: unknown = command.getOptionValue('config');
  const file = typeof configPath === 'string' ? fileValuesFor(readConfigFile(configPath), section, schema) : undefined;
  const raw: Record<string, unknown> = {};
  const where = new Map<string, string>();
  const warnings: SettingsWarning[] = [];
  for (const { key, flag } of describeSettings(schema)) {
    const name = envName(flag, section);
    const legacy = envName(flag);
    if (command.getOptionValueSource(key) === 'cli') {
      raw[key] = command.getOptionValue(key);
      where.set(key, `--${flag}`);
    } else if (present(env[name])) {
      raw[key] = env[name];
      where.set(key, name);
    } else if (present(env[legacy])) {
      raw[key] = env[legacy];
      where.set(key, legacy);
      warnings.push({ message: `${legacy} is an old name: use ${name} (the old name is read only when the new one is unset)`, env: legacy, use: name });
    } else if (file !== undefined && flag in file.values) {
      raw[key] = file.values[flag];
      where.set(key, file.where(flag));
    }
  }
  const known = knownEnvNames();
  for (const name of Object.keys(env).sort()) {
    if (name.startsWith(ENV_PREFIX) && !known.has(name)) {
      warnings.push({ message: `${name} is not a setting of any command; ignored (a typo?)`, env: name });
    }
  }
  const values = parseSettings(schema, raw, (key) => where.get(key) ?? `the default of --${flagName(key)}`);
  return { values, warnings };
}

function present(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

/** Writes warnings in plain lines on stderr, for commands without a JSON logger. */
export function printWarnings(warnings: readonly SettingsWarning[], write: (line: string) => void = (line) => process.stderr.write(line)): void {
  for (const warning of warnings) write(`telemetry-gateway: warning: ${warning.message}\n`);
}
