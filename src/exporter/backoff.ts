export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

/**
 * Delay before retry number `attempt` (1-based) after a failed run: exponential,
 * capped, with "equal jitter" (half fixed, half random) so a fleet of instances
 * that failed together does not retry together, yet none retries at once.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
