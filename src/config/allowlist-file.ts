import { readFileSync } from 'node:fs';
import type { AllowlistEntry } from '../core/privacy/allowlist.js';
import { parseAllowlistText } from '../exporter/allowlist-text.js';
import { readErrorCode } from './read-error.js';

/**
 * Reads the allowlist file both ends share: the exporter's --allowlist-file and
 * the gateway's --privacy-allowlist-file. One `feature::action::key1[::key2...]`
 * entry per line, # comments and blank lines ignored (see parseAllowlistText).
 */
export function readAllowlistFile(path: string | undefined, flag = '--allowlist-file'): AllowlistEntry[] {
  if (path === undefined) return [];
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${flag} ${path}: cannot read it (${readErrorCode(error)})`);
  }
  return parseAllowlistText(text, path);
}
