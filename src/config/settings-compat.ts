import type { z } from 'zod';
import { describeSettings, type SettingKind, type SettingsShape } from './setting.js';

/** A setting in a flat record: the shape the settings lists had before the schema (kept for tests and embedders). */
export interface Setting {
  flag: string;
  kind: SettingKind;
  description: string;
  valueName?: string;
  defaultValue?: string | number | boolean | string[];
  choices?: readonly string[];
  secret?: boolean;
}

/** Values keyed by camelCase setting name, before they are parsed by the schema. */
export type SettingValues = Record<string, string | number | boolean | string[] | undefined>;

export function describeLegacySettings(schema: z.ZodObject<SettingsShape>): readonly Setting[] {
  return describeSettings(schema).map(({ flag, meta }) => ({
    flag,
    kind: meta.kind,
    description: meta.description,
    ...(meta.valueName !== undefined && { valueName: meta.valueName }),
    ...(meta.defaultValue !== undefined && { defaultValue: meta.defaultValue }),
    ...(meta.choices !== undefined && { choices: meta.choices }),
    ...(meta.secret === true && { secret: true }),
  }));
}
