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
  /**
   * Lets go of the request's bytes once the payload is answered. The request
   * can stay reachable after that (a suspended async function keeps its last
   * values until it resumes, here until the stream's next request arrives),
   * and for a large payload that is megabytes the memory budget no longer counts.
   */
  release(): void;
}

const NO_SPANS = new Uint32Array(0);

/**
 * Events at [spans[2i], spans[2i+1]) of `bytes`. Views are cut from a plain
 * Uint8Array over the request's bytes: a Buffer's subarray runs Buffer's
 * constructor for every view, and each event is viewed several times on its
 * way to the store.
 */
export function eventListOf(bytes: Uint8Array, spans: Uint32Array): EventList {
  let held = { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), spans };
  return {
    length: spans.length / 2,
    at: (i) => held.bytes.subarray(held.spans[2 * i]!, held.spans[2 * i + 1]!),
    release: () => (held = { bytes: new Uint8Array(0), spans: NO_SPANS }),
  };
}

export function eventListFromArray(events: readonly Uint8Array[]): EventList {
  return { length: events.length, at: (i) => events[i]!, release: () => {} };
}

export function eventListToArray(list: EventList): Uint8Array[] {
  return Array.from({ length: list.length }, (_, i) => list.at(i));
}
