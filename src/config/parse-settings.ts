import type { z } from 'zod';
import { SETTING_META, showValue, type SettingsShape } from './setting.js';

/**
 * Parses raw values (strings from flags and env, anything from a file) keyed
 * by camelCase setting name through a command's schema. Missing values take
 * the schema's defaults. The first problem is thrown in an Error naming where
 * the value came from (`where(key)`: a flag, an env variable, a file key) and
 * never showing a secret's value.
 */
export function parseSettings<S extends SettingsShape>(
  schema: z.ZodObject<S>,
  raw: Readonly<Record<string, unknown>>,
  where: (key: string) => string,
): z.output<z.ZodObject<S>> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const key = String(issue?.path[0] ?? '');
  throw new Error(describeIssue(schema.shape[key], issue, raw[key], where(key)));
}

/** One line for a value a setting refused: "--max-streams: expected an integer of at least 1, got 0". */
export function describeIssue(field: z.ZodType | undefined, issue: z.core.$ZodIssue | undefined, value: unknown, where: string): string {
  const meta = field === undefined ? undefined : SETTING_META.get(field);
  if (meta === undefined) return `${where}: ${issue?.message ?? 'invalid'}`;
  // Checks (an address, a duration, an entry) explain themselves; their messages never quote a secret, which have none.
  if (issue?.code === 'custom' && !meta.secret) return `${where}: ${issue.message}`;
  return `${where}: expected ${meta.expected}, got ${showValue(meta, value)}`;
}
