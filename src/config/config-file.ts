import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parse } from 'yaml';
import { describeIssue } from './parse-settings.js';
import { readErrorCode } from './read-error.js';
import { CONFIG_SECTIONS, SECTION_NAMES, isSectionName, type SectionName } from './sections.js';
import { describeSettings, flagName, type SettingsShape } from './setting.js';

/**
 * A --config file: YAML or JSON (JSON is YAML too), either
 *
 *   - sections per command, keyed by flag name:
 *       serve: { listen: "0.0.0.0:10080", store: "postgres://..." }
 *       export: { gateway: "https://...", batch-size: 5000 }
 *   - or flat, keyed by the flag names of the command being run (the format
 *     before sections; still read).
 *
 * Unknown sections and keys are refused with their name and the file's path;
 * values are checked by the schema that checks flags and env variables.
 */
export type ConfigFile =
  | { path: string; layout: 'sections'; sections: Partial<Record<SectionName, Record<string, unknown>>> }
  | { path: string; layout: 'flat'; values: Record<string, unknown> };

/** Reads and parses the file; the error names --config and the path. */
export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`--config ${path}: cannot read it (${readErrorCode(error)}); check the path given to --config`);
  }
  let parsed: unknown;
  try {
    parsed = /\.json$/i.test(path) ? JSON.parse(text) : parse(text);
  } catch (error) {
    const kind = /\.json$/i.test(path) ? 'JSON' : 'YAML';
    throw new Error(`--config ${path}: not valid ${kind} (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  if (parsed === null || parsed === undefined) return { path, layout: 'sections', sections: {} };
  if (!isRecord(parsed)) throw new Error(`--config ${path}: expected a mapping of settings (sections like serve: or export:, or flag names)`);
  // No setting takes a mapping: a mapping at the top level is a section (maybe a misspelt one).
  const sectioned = Object.entries(parsed).some(([key, value]) => isSectionName(key) || isRecord(value));
  if (!sectioned) return { path, layout: 'flat', values: parsed };
  checkSections(path, parsed);
  const sections: Partial<Record<SectionName, Record<string, unknown>>> = {};
  for (const section of SECTION_NAMES) {
    const values = parsed[section];
    if (isRecord(values)) sections[section] = values;
  }
  return { path, layout: 'sections', sections };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A zod schema of the whole file, sections of flag-named keys, each optional and checked by its setting. */
function fileSchema(): z.ZodType {
  const sections: Record<string, z.ZodType> = {};
  for (const section of SECTION_NAMES) sections[section] = sectionSchema(CONFIG_SECTIONS[section]).optional();
  return z.strictObject(sections);
}

function sectionSchema(schema: z.ZodObject<SettingsShape>): z.ZodObject {
  const fields: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(schema.shape)) fields[flagName(key)] = field.optional();
  return z.strictObject(fields);
}

/** Throws for the first unknown section or key, or refused value, naming it section.key. */
function checkSections(path: string, data: Record<string, unknown>): void {
  const result = fileSchema().safeParse(data);
  if (result.success) return;
  const issue = result.error.issues[0]!;
  const at = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const name = [...at, issue.keys[0] ?? ''].join('.');
    const section = at[0];
    const known = section !== undefined && isSectionName(section) ? describeSettings(CONFIG_SECTIONS[section]).map((s) => s.flag) : SECTION_NAMES;
    throw new Error(`${path}: unknown setting "${name}" (known${section === undefined ? ' sections' : ` in ${section}`}: ${known.join(', ')})`);
  }
  const [section, flag] = at;
  if (section === undefined || !isSectionName(section) || flag === undefined) {
    throw new Error(`${path}: "${at.join('.')}": expected a mapping of settings keyed by flag name`);
  }
  const field = fieldOf(CONFIG_SECTIONS[section], flag);
  const sectionValues = data[section];
  throw new Error(describeIssue(field, issue, isRecord(sectionValues) ? sectionValues[flag] : undefined, `${path}: "${section}.${flag}"`));
}

function fieldOf(schema: z.ZodObject<SettingsShape>, flag: string): z.ZodType | undefined {
  return Object.entries(schema.shape).find(([key]) => flagName(key) === flag)?.[1];
}

/**
 * The raw values a file gives one command, keyed by flag name, and how to name
 * each in a message. A flat file must hold only that command's flags.
 */
export function fileValuesFor(
  file: ConfigFile,
  section: SectionName,
  schema: z.ZodObject<SettingsShape>,
): { values: Record<string, unknown>; where: (flag: string) => string } {
  if (file.layout === 'sections') {
    return { values: file.sections[section] ?? {}, where: (flag) => `${file.path}: "${section}.${flag}"` };
  }
  const known = describeSettings(schema).map((s) => s.flag);
  for (const key of Object.keys(file.values)) {
    if (!known.includes(key)) throw new Error(`${file.path}: unknown setting "${key}" (known: ${known.join(', ')})`);
  }
  return { values: file.values, where: (flag) => `${file.path}: "${flag}"` };
}

/** The sections a flat file's keys fit (for `config validate`). */
export function sectionsFittingFlat(values: Record<string, unknown>): SectionName[] {
  return SECTION_NAMES.filter((section) => {
    const known = describeSettings(CONFIG_SECTIONS[section]).map((s) => s.flag);
    return Object.keys(values).every((key) => known.includes(key));
  });
}
