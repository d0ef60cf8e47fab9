import { z } from 'zod';
import { parseDurationMs } from './duration.js';

/**
 * One setting is a zod schema with metadata registered beside it. A command's
 * settings are a zod object of them keyed by camelCase name; everything else
 * is derived from that object: the flag (`maxMessageBytes` ->
 * `--max-message-bytes`), the env variables, the config-file key, the help
 * text with its default, and the TypeScript type of the resolved values
 * (`z.output<typeof SERVE_SETTINGS>`).
 *
 * Each schema accepts what a source gives: a string from a flag or an env
 * variable, or a string, number, boolean or array from a config file.
 */
export type SettingKind = 'string' | 'integer' | 'boolean' | 'list' | 'duration';

export interface SettingMeta {
  kind: SettingKind;
  description: string;
  /** Shown in help: `--flag <valueName>`. */
  valueName?: string;
  choices?: readonly string[];
  /** Never shown: not in help defaults, error messages, `config validate` or logs. */
  secret?: boolean;
  /** The default given (a duration in text, e.g. "5m"); undefined: unset unless a source sets it. */
  defaultValue?: string | number | boolean | string[];
  /** What help shows for the default when the value alone would mislead ("0" meaning "derived"). */
  defaultText?: string;
  /** What a valid value looks like, for error messages: "expected a non-negative integer". */
  expected: string;
}

/** Where every setting's metadata lives; read with `settingMeta(schema)`. */
export const SETTING_META = z.registry<SettingMeta>();

interface Common {
  description: string;
  valueName?: string;
  secret?: boolean;
  defaultText?: string;
}

/** A further check of a well-typed value; throws an Error whose message says what is wrong. */
type Check<T> = (value: T) => void;

function checked<T>(schema: z.ZodType<T>, check: Check<T> | undefined): z.ZodType<T> {
  if (check === undefined) return schema;
  return schema.superRefine((value, ctx) => {
    try {
      check(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
    }
  });
}

const stringSchema = z.string();

/** A string setting with a default. */
export function text(o: Common & { default: string; check?: Check<string> }): z.ZodType<string, unknown> {
  return checked(stringSchema, o.check).default(o.default).register(SETTING_META, meta(o, 'string', 'a string', o.default));
}

/** A string setting that is unset unless a source sets it. */
export function optionalText(o: Common & { check?: Check<string> }): z.ZodType<string | undefined, unknown> {
  return checked(stringSchema, o.check).optional().register(SETTING_META, meta(o, 'string', 'a string', undefined));
}

/** One of a closed set of strings. */
export function oneOf<const T extends readonly [string, ...string[]]>(
  choices: T,
  o: Common & { default: T[number] },
): z.ZodType<T[number], unknown> {
  return z
    .enum(choices)
    .default(o.default)
    .register(SETTING_META, { ...meta(o, 'string', `one of ${choices.join(', ')}`, o.default), choices });
}

const integerText = /^\s*\d+\s*$/;

/** A non-negative integer (at least `min`); env and flags give it in decimal digits. */
export function integer(o: Common & { default: number; min?: number; check?: Check<number> }): z.ZodType<number, unknown> {
  const min = o.min ?? 0;
  const schema = z.preprocess(
    (raw) => (typeof raw === 'string' && integerText.test(raw) ? Number(raw) : raw),
    z.number().int().min(min).max(Number.MAX_SAFE_INTEGER),
  );
  const expected = min === 0 ? 'a non-negative integer' : `an integer of at least ${min}`;
  return checked(schema, o.check).default(o.default).register(SETTING_META, meta(o, 'integer', expected, o.default));
}

const TRUE_TEXT = /^(true|1|yes)$/i;
const FALSE_TEXT = /^(false|0|no)$/i;

/** A flag without a value (`--insecure`); env and files may say true/false, 1/0, yes/no. */
export function boolean(o: Common & { default: boolean }): z.ZodType<boolean, unknown> {
  const schema = z.preprocess(
    (raw) => (typeof raw === 'string' && TRUE_TEXT.test(raw) ? true : typeof raw === 'string' && FALSE_TEXT.test(raw) ? false : raw),
    z.boolean(),
  );
  return schema.default(o.default).register(SETTING_META, meta(o, 'boolean', 'true or false', o.default));
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** Strings; a flag is repeatable, and every value (flag, env, file entry) may be comma-separated. */
export function list(o: Common & { check?: Check<string> }): z.ZodType<string[], unknown> {
  const schema = z.preprocess(
    (raw) => (typeof raw === 'string' ? splitList(raw) : Array.isArray(raw) && raw.every((v) => typeof v === 'string') ? raw.flatMap(splitList) : raw),
    z.array(z.string()),
  );
  const check = o.check;
  const each: Check<string[]> | undefined = check === undefined ? undefined : (values) => values.forEach(check);
  return checked(schema, each).default([]).register(SETTING_META, meta(o, 'list', 'a list of strings', []));
}

/** A duration given in text (`30s`, `5m`, `1h30m`), resolved to milliseconds. */
export function duration(o: Common & { default: string; minMs?: number; maxMs?: number }): z.ZodType<number, unknown> {
  const schema = z.string().transform((value, ctx) => {
    try {
      const ms = parseDurationMs(value, 'duration');
      if (o.minMs !== undefined && ms < o.minMs) throw new Error(`"${value}" is below ${describeMs(o.minMs)}`);
      if (o.maxMs !== undefined && ms > o.maxMs) throw new Error(`"${value}" is above ${describeMs(o.maxMs)}`);
      return ms;
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message.replace(/^duration: /, '') : String(error) });
      return z.NEVER;
    }
  });
  const range = o.minMs === undefined && o.maxMs === undefined ? '' : ` from ${describeMs(o.minMs ?? 0)}${o.maxMs === undefined ? '' : ` to ${describeMs(o.maxMs)}`}`;
  return schema.prefault(o.default).register(SETTING_META, meta(o, 'duration', `a duration like 30s, 5m or 1h30m${range}`, o.default));
}

function describeMs(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms > 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

function meta(o: Common, kind: SettingKind, expected: string, defaultValue: SettingMeta['defaultValue']): SettingMeta {
  return {
    kind,
    description: o.description,
    expected,
    ...(o.valueName !== undefined && { valueName: o.valueName }),
    ...(o.secret === true && { secret: true }),
    ...(o.defaultText !== undefined && { defaultText: o.defaultText }),
    ...(defaultValue !== undefined && { defaultValue }),
  };
}

/** A command's settings: a zod object whose fields were made by the constructors above. */
export type SettingsShape = Record<string, z.ZodType>;


export interface DescribedSetting {
  /** camelCase key of the resolved values. */
  key: string;
  /** Flag name without dashes; also the key in a config file. */
  flag: string;
  meta: SettingMeta;
}

/** The settings of a schema in declaration order, with their metadata. */
export function describeSettings(schema: z.ZodObject<SettingsShape>): DescribedSetting[] {
  return Object.entries(schema.shape).map(([key, field]) => {
    const found = SETTING_META.get(field);
    if (found === undefined) throw new Error(`setting ${key} was not made by a setting constructor (no metadata)`);
    return { key, flag: flagName(key), meta: found };
  });
}

/** `maxMessageBytes` -> `max-message-bytes`. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** What help and `config validate` show for a value. */
export function showValue(meta: SettingMeta, value: unknown): string {
  if (meta.secret) return '(hidden)';
  return JSON.stringify(value) ?? String(value);
}
