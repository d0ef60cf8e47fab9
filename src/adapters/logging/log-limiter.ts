/**
 * Keeps a flood of similar log lines down to a few per window and per key,
 * counting what it held back so the next line (or a summary) can say so.
 */
export interface LogLimiter {
  /** Whether to log this occurrence; `suppressed` is how many were held back since the last logged one. */
  take(key: string): { log: boolean; suppressed: number };
}

export function createLogLimiter(options: { perWindow: number; windowMs: number; now?: () => number }): LogLimiter {
  const now = options.now ?? Date.now;
  const keys = new Map<string, { windowStart: number; logged: number; suppressed: number }>();
  return {
    take(key) {
      const t = now();
      let state = keys.get(key);
      if (state === undefined) {
        // Bounded: keys are (rpc, code) pairs and source kinds; a runaway key set is cleared rather than kept.
        if (keys.size >= 1000) keys.clear();
        state = { windowStart: t, logged: 0, suppressed: 0 };
        keys.set(key, state);
      }
      if (t - state.windowStart >= options.windowMs) {
        state.windowStart = t;
        state.logged = 0;
      }
      if (state.logged < options.perWindow) {
        state.logged++;
        const suppressed = state.suppressed;
        state.suppressed = 0;
        return { log: true, suppressed };
      }
      state.suppressed++;
      return { log: false, suppressed: state.suppressed };
    },
  };
}
