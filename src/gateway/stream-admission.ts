import { Code, GatewayError } from '../core/status.js';

/** Caps concurrent calls gateway-wide, so a flood of streams cannot exhaust memory or file handles. */
export interface StreamAdmission {
  /** Takes a slot or throws RESOURCE_EXHAUSTED; pair every success with one release(). */
  admit(): void;
  release(): void;
  readonly active: number;
}

export function createStreamAdmission(maxStreams: number): StreamAdmission {
  let active = 0;
  return {
    admit() {
      if (active >= maxStreams) {
        throw new GatewayError(Code.RESOURCE_EXHAUSTED, `too many concurrent streams (limit ${maxStreams}); retry later`);
      }
      active++;
    },
    release() {
      active = Math.max(0, active - 1);
    },
    get active() {
      return active;
    },
  };
}
