import { Command } from 'commander';
import { readConfigFile, sectionsFittingFlat } from '../config/config-file.js';
import { parseSettings } from '../config/parse-settings.js';
import { CONFIG_SECTIONS, SECTION_NAMES, type SectionName } from '../config/sections.js';
import { describeSettings, flagName, showValue, type SettingsShape } from '../config/setting.js';
import type { z } from 'zod';

export function configCommand(): Command {
  const config = new Command('config').description('check configuration files');
  config.addCommand(
    new Command('validate')
      .description('check a --config file (YAML or JSON): exit 0 and print what it sets, or non-zero naming the bad section.key; secrets are never printed')
      .requiredOption('--config <file>', 'the file to check')
      .action((options: { config: string }) => {
        const file = readConfigFile(options.config);
        const lines: string[] = [];
        if (file.layout === 'sections') {
          const present = SECTION_NAMES.filter((section) => file.sections[section] !== undefined);
          lines.push(`${file.path}: valid (sections: ${present.length === 0 ? 'none' : present.join(', ')})`);
          for (const section of present) lines.push(...summarize(section, file.sections[section] ?? {}, (flag) => `${file.path}: "${section}.${flag}"`));
        } else {
          const fits = sectionsFittingFlat(file.values);
          if (fits.length === 0) {
            const unknown = Object.keys(file.values).find((key) => !SECTION_NAMES.some((s) => describeSettings(CONFIG_SECTIONS[s]).some((d) => d.flag === key)));
            throw new Error(`${file.path}: unknown setting "${unknown ?? Object.keys(file.values)[0] ?? ''}" (a flat file holds the flags of one command; or use sections: ${SECTION_NAMES.join(', ')})`);
          }
          for (const section of fits) summarize(section, file.values, (flag) => `${file.path}: "${flag}"`);
          lines.push(`${file.path}: valid (flat, the format before sections; fits: ${fits.join(', ')})`);
          lines.push(...summarize(fits[0]!, file.values, (flag) => `${file.path}: "${flag}"`).map((line) => line.replace(`${fits[0]}.`, '')));
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
  );
  return config;
}

/** Checks one section's values through its schema (throwing as a run would) and lists them, secrets hidden. */
function summarize(section: SectionName, values: Record<string, unknown>, where: (flag: string) => string): string[] {
  const schema: z.ZodObject<SettingsShape> = CONFIG_SECTIONS[section];
  const byKey: Record<string, unknown> = {};
  const settings = describeSettings(schema);
  for (const { key, flag } of settings) if (flag in values) byKey[key] = values[flag];
  parseSettings(schema, byKey, (key) => where(flagName(key)));
  return settings.filter(({ flag }) => flag in values).map(({ flag, meta }) => `  ${section}.${flag} = ${showValue(meta, values[flag])}`);
}
