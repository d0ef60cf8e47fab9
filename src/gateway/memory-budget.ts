/**
 * A gateway-wide budget for request bytes in flight (read and not yet
 * answered). A stream that cannot get its payload's bytes waits before reading
 * more, so the transport's flow control holds its client back; nothing fails.
 * A payload larger than the whole budget waits until nothing else is in
 * flight, then goes alone.
 *
 * Fair between streams, not first come first served: when bytes come back,
 * the waiter whose stream holds the least goes first, a small payload before
 * a large one, then arrival order. A client pushing huge payloads on many
 * streams would otherwise keep the queue full, and an instance sending a
 * small payload would wait behind all of them.
 */
export interface MemoryBudget {
  /**
   * Resolves with the function that gives the bytes back (call it once).
   * `holder` says whose bytes they are (one stream); fairness is between holders.
   */
  acquire(bytes: number, holder?: object): Promise<() => void>;
  /**
   * Counts `bytes` at once, even past the capacity: for bytes that already
   * exist (a request assembled under a reservation, replaced by its payload's
   * exact share). Nothing else is granted until the budget is back under.
   */
  takeNow(bytes: number, holder?: object): () => void;
  readonly inUseBytes: number;
  readonly capacityBytes: number;
}

interface Waiter {
  bytes: number;
  holder: object | undefined;
  order: number;
  grant: () => void;
}

export function createMemoryBudget(capacityBytes: number): MemoryBudget {
  let inUse = 0;
  let arrivals = 0;
  const held = new WeakMap<object, number>();
  const waiting: Waiter[] = [];
  const heldBy = (holder: object | undefined): number => (holder === undefined ? 0 : (held.get(holder) ?? 0));
  const fits = (bytes: number): boolean => inUse === 0 || inUse + bytes <= capacityBytes;

  /** Requests up to this size go before larger ones from streams holding as little: they are quick to serve. */
  const small = capacityBytes / 16;
  const rank = (w: Waiter): [number, number, number] => [heldBy(w.holder), w.bytes <= small ? 0 : 1, w.order];
  /** The waiter to serve next: least held by its stream, then small before large, then earliest. */
  const next = (): number => {
    let best = 0;
    let bestRank = rank(waiting[0]!);
    for (let i = 1; i < waiting.length; i++) {
      const r = rank(waiting[i]!);
      if (r[0] < bestRank[0] || (r[0] === bestRank[0] && (r[1] < bestRank[1] || (r[1] === bestRank[1] && r[2] < bestRank[2])))) {
        best = i;
        bestRank = r;
      }
    }
    return best;
  };
  const take = (bytes: number, holder: object | undefined): (() => void) => {
    inUse += bytes;
    if (holder !== undefined) held.set(holder, heldBy(holder) + bytes);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      inUse -= bytes;
      if (holder !== undefined) held.set(holder, heldBy(holder) - bytes);
      // The chosen waiter must fit; a smaller one behind it does not jump it (it would starve big payloads).
      while (waiting.length > 0) {
        const i = next();
        if (!fits(waiting[i]!.bytes)) break;
        waiting.splice(i, 1)[0]!.grant();
      }
    };
  };
  return {
    acquire(bytes, holder) {
      if (waiting.length === 0 && fits(bytes)) return Promise.resolve(take(bytes, holder));
      return new Promise((resolve) => waiting.push({ bytes, holder, order: arrivals++, grant: () => resolve(take(bytes, holder)) }));
    },
    takeNow: take,
    get inUseBytes() {
      return inUse;
    },
    capacityBytes,
  };
}
