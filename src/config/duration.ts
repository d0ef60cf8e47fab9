const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `250ms`, `30s`, `5m`, `1h`, `1d` or a combination like `1h30m`; throws naming the setting. */
export function parseDurationMs(text: string, what: string): number {
  const trimmed = text.trim();
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (trimmed === '' || parts.map((p) => p[0]).join('') !== trimmed) {
    throw new Error(`${what}: invalid duration "${text}" (expected e.g. 30s, 5m, 1h, 1h30m)`);
  }
  return Math.round(parts.reduce((total, [, n, unit]) => total + Number(n) * UNITS_MS[unit!]!, 0));
}
