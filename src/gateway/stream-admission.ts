import { Code, GatewayError } from '../core/status.js';

/**
 * Admission of calls in two stages. A call first takes a slot of a small
 * budget for unidentified streams, so streams that never say who they are
 * cannot take the places of real instances; once its metadata identifies it,
 * it moves to the identified budget (gateway-wide) and to its source's own cap.
 *
 * When the unidentified budget is full, the newcomer is not refused: the
 * stream that has waited longest without identifying is evicted instead. A
 * real instance identifies within milliseconds of opening, so a flood of
 * silent streams only evicts itself.
 */
export interface StreamAdmission {
  /**
   * Takes an unidentified slot, evicting the longest-waiting unidentified call
   * if none is free: its `evicted` signal aborts, and it should end. Pair with
   * releaseUnidentified(ticket) or identify(ticket, source).
   */
  admitUnidentified(): AdmissionTicket;
  /**
   * Moves a call from the unidentified budget to the identified one, counted
   * against `source` too. Throws RESOURCE_EXHAUSTED when either is full; the
   * call still holds its unidentified slot then.
   */
  identify(ticket: AdmissionTicket, source: string): void;
  releaseUnidentified(ticket: AdmissionTicket): void;
  releaseIdentified(source: string): void;
  readonly active: { unidentified: number; identified: number };
}

export interface AdmissionLimits {
  /** Identified calls open at once, all sources together. */
  maxStreams: number;
  /** Calls open at once that have not identified yet (beyond it, the longest waiting is evicted). */
  maxUnidentifiedStreams: number;
  /** Identified calls open at once per source (instance, license, or service). */
  maxStreamsPerSource: number;
}

export interface AdmissionTicket {
  /** Aborts when the call is evicted from the unidentified budget by a newer one. */
  readonly evicted: AbortSignal;
}

export function createStreamAdmission(limits: AdmissionLimits): StreamAdmission {
  // Insertion order is arrival order: the first entry has waited longest.
  const waiting = new Map<AdmissionTicket, AbortController>();
  let identified = 0;
  const perSource = new Map<string, number>();
  return {
    admitUnidentified() {
      if (waiting.size >= limits.maxUnidentifiedStreams) {
        const [oldest, controller] = waiting.entries().next().value!;
        waiting.delete(oldest);
        controller.abort();
      }
      const controller = new AbortController();
      const ticket: AdmissionTicket = { evicted: controller.signal };
      waiting.set(ticket, controller);
      return ticket;
    },
    identify(ticket, source) {
      if (identified >= limits.maxStreams) {
        throw new GatewayError(Code.RESOURCE_EXHAUSTED, `too many concurrent streams (limit ${limits.maxStreams}); retry later`);
      }
      const mine = perSource.get(source) ?? 0;
      if (mine >= limits.maxStreamsPerSource) {
        throw new GatewayError(Code.RESOURCE_EXHAUSTED, `too many concurrent streams from this source (limit ${limits.maxStreamsPerSource}); retry later`);
      }
      waiting.delete(ticket);
      identified++;
      perSource.set(source, mine + 1);
    },
    releaseUnidentified(ticket) {
      waiting.delete(ticket);
    },
    releaseIdentified(source) {
      identified = Math.max(0, identified - 1);
      const mine = (perSource.get(source) ?? 1) - 1;
      if (mine > 0) perSource.set(source, mine);
      else perSource.delete(source);
    },
    get active() {
      return { unidentified: waiting.size, identified };
    },
  };
}
