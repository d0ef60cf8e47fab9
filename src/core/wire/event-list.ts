/**
 * The events of one payload as positions in the request's bytes. A payload of
 * a few hundred thousand small events would otherwise be as many Uint8Array
 * views, each a heap object, all alive until the payload is answered; here a
 * view is made only for the event being prepared.
 */
export interface EventList {
  readonly length: number;
  /** The wire bytes of event `i` (a view, not a copy). */
  at(i: number): Uint8Array;
}

/** Events at [spans[2i], spans[2i+1]) of `bytes`. */
export function eventListOf(bytes: Uint8Array, spans: Uint32Array): EventList {
  return {
    length: spans.length / 2,
    at: (i) => bytes.subarray(spans[2 * i]!, spans[2 * i + 1]!),
  };
}

export function eventListFromArray(events: readonly Uint8Array[]): EventList {
  return { length: events.length, at: (i) => events[i]! };
}

export function eventListToArray(list: EventList): Uint8Array[] {
  return Array.from({ length: list.length }, (_, i) => list.at(i));
}
