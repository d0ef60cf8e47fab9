import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';

/** Every setting is also an environment variable with this prefix, e.g. TELEMETRY_GATEWAY_LISTEN. */
export const ENV_PREFIX = 'TELEMETRY_GATEWAY_';

export type SettingKind = 'string' | 'integer' | 'boolean' | 'list';

/** One configurable value: a flag, its environment variable, its key in a --config file. */
export interface Setting {
  /** Long flag name without dashes; also the key in a config file. */
  flag: string;
  kind: SettingKind;
  description: string;
  valueName?: string;
  defaultValue?: string | number | boolean | string[];
  choices?: readonly string[];
  /** Kept out of --help defaults and error messages. */
  secret?: boolean;
}

export function envName(flag: string): string {
  return ENV_PREFIX + flag.toUpperCase().replace(/-/g, '_');
}

/** Registers settings as commander options; help shows the env variable and the default. */
export function addSettings(command: Command, settings: readonly Setting[]): Command {
  for (const setting of settings) {
    const flags =
      setting.kind === 'boolean' ? `--${setting.flag}` : `--${setting.flag} <${setting.valueName ?? 'value'}>`;
    const option = new Option(flags, `${setting.description} [env: ${envName(setting.flag)}]`);
    if (setting.choices) option.choices(setting.choices);
    if (setting.kind === 'list') option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
    if (setting.defaultValue !== undefined && !setting.secret) {
      option.default(setting.defaultValue, Array.isArray(setting.defaultValue) ? setting.defaultValue.join(',') : undefined);
    }
    command.addOption(option);
  }
  command.addOption(new Option('--config <file>', 'JSON file of settings keyed by flag name (flags and env win)'));
  return command;
}

export type SettingValues = Record<string, string | number | boolean | string[] | undefined>;

/**
 * Resolves each setting with the precedence flag > environment > config file >
 * default, converting and checking types. Throws an Error naming the offending
 * source and setting (never its value when the setting is secret).
 */
export function resolveSettings(
  command: Command,
  settings: readonly Setting[],
  env: NodeJS.ProcessEnv = process.env,
): SettingValues {
  const cli = command.opts() as SettingValues;
  const configPath = cli.config as string | undefined;
  const file = configPath === undefined ? {} : readConfigFile(configPath);
  const known = new Set(settings.map((s) => s.flag));
  for (const key of Object.keys(file)) {
    if (!known.has(key)) throw new Error(`${configPath}: unknown setting "${key}" (known: ${[...known].join(', ')})`);
  }
  const values: SettingValues = {};
  for (const setting of settings) {
    const key = camelCase(setting.flag);
    const fromCli = command.getOptionValueSource(key) === 'cli';
    const envValue = env[envName(setting.flag)];
    let raw: unknown;
    let where: string;
    if (fromCli) [raw, where] = [cli[key], `--${setting.flag}`];
    else if (envValue !== undefined && envValue !== '') [raw, where] = [envValue, envName(setting.flag)];
    else if (setting.flag in file) [raw, where] = [file[setting.flag], `${configPath}: "${setting.flag}"`];
    else [raw, where] = [setting.defaultValue, `default of --${setting.flag}`];
    values[key] = raw === undefined ? undefined : convert(setting, raw, where);
  }
  return values;
}

function convert(setting: Setting, raw: unknown, where: string): string | number | boolean | string[] {
  const shown = setting.secret ? '(hidden)' : JSON.stringify(raw);
  const fail = (expected: string): never => {
    throw new Error(`${where}: expected ${expected}, got ${shown}`);
  };
  switch (setting.kind) {
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string' && /^(true|1|yes)$/i.test(raw)) return true;
      if (typeof raw === 'string' && /^(false|0|no)$/i.test(raw)) return false;
      return fail('true or false');
    case 'integer': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n) || n < 0) return fail('a non-negative integer');
      return n;
    }
    case 'list':
      if (Array.isArray(raw) && raw.every((v) => typeof v === 'string')) return raw.flatMap(splitList);
      if (typeof raw === 'string') return splitList(raw);
      return fail('a list of strings');
    case 'string': {
      if (typeof raw !== 'string') return fail('a string');
      if (setting.choices && !setting.choices.includes(raw)) return fail(`one of ${setting.choices.join(', ')}`);
      return raw;
    }
  }
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`--config ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the path given to --config`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`--config ${path}: not valid JSON (${(error as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`config file ${path} must hold a JSON object of settings`);
  }
  return parsed as Record<string, unknown>;
}

function camelCase(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
