/**
 * What the instance exports (BEHAVIOR.md 5.5): everything, one product area
 * (features starting with a prefix), or nothing (air-gapped: nothing is even queued).
 */
export type ExportMode = { kind: 'all' } | { kind: 'feature-prefix'; prefix: string } | { kind: 'disabled' };

/** Parses `all`, `disabled` or `prefix:FEATURE_PREFIX`. */
export function parseExportMode(text: string): ExportMode {
  if (text === 'all') return { kind: 'all' };
  if (text === 'disabled') return { kind: 'disabled' };
  if (text.startsWith('prefix:') && text.length > 'prefix:'.length) return { kind: 'feature-prefix', prefix: text.slice('prefix:'.length) };
  throw new Error(`invalid export mode "${text}": expected all, disabled or prefix:FEATURE_PREFIX`);
}

export function exportsFeature(mode: ExportMode, feature: string): boolean {
  switch (mode.kind) {
    case 'all':
      return true;
    case 'disabled':
      return false;
    case 'feature-prefix':
      return feature.startsWith(mode.prefix);
  }
}
