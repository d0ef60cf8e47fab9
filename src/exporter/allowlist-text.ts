import { checkAllowlistEntry, type AllowlistEntry } from '../core/privacy/allowlist.js';

/**
 * One allowlist entry, `feature::action::key1[::key2...]` (action may be `*`),
 * forgiving spaces around each part (`search::submitted:: repo`) and naming the
 * usual mistake (single colons) instead of reporting a bad feature name.
 */
export function parseAllowlistLine(text: string, where = `allowlist entry "${text}"`): AllowlistEntry {
  const trimmed = text.trim();
  if (!trimmed.includes('::') && trimmed.includes(':')) {
    throw new Error(`${where}: parts are separated by "::" (two colons), e.g. search::submitted::repo`);
  }
  const [feature = '', action = '', ...keys] = trimmed.split('::').map((part) => part.trim());
  return checkAllowlistEntry({ feature, action, keys }, where);
}

/**
 * The allowlist file both ends read (the exporter's --allowlist-file and the
 * gateway's --privacy-allowlist-file): one entry per line, in the flag's form;
 * blank lines and lines starting with # are ignored; entries may also be
 * comma-separated on a line.
 */
export function parseAllowlistText(text: string, source = 'allowlist'): AllowlistEntry[] {
  const entries: AllowlistEntry[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const content = line.replace(/^\uFEFF/, '').trim();
    if (content === '' || content.startsWith('#')) return;
    for (const part of content.split(',')) {
      if (part.trim() === '') continue;
      entries.push(parseAllowlistLine(part, `${source}:${index + 1}: allowlist entry "${part.trim()}"`));
    }
  });
  return entries;
}

/** The canonical text form of an entry (what the gateway's --privacy-allowlist takes). */
export function formatAllowlistEntry(entry: AllowlistEntry): string {
  return [entry.feature, entry.action, ...entry.keys].join('::');
}
