/**
 * A gateway-wide budget for request bytes in flight (read and not yet
 * answered). A stream that cannot get its payload's bytes waits before reading
 * more, so the transport's flow control holds its client back; nothing fails.
 * Waiters are served in arrival order. A payload larger than the whole budget
 * waits until nothing else is in flight, then goes alone.
 */
export interface MemoryBudget {
  /** Resolves with the function that gives the bytes back (call it once). */
  acquire(bytes: number): Promise<() => void>;
  readonly inUseBytes: number;
  readonly capacityBytes: number;
}

export function createMemoryBudget(capacityBytes: number): MemoryBudget {
  let inUse = 0;
  const waiting: { bytes: number; grant: () => void }[] = [];
  const fits = (bytes: number): boolean => inUse === 0 || inUse + bytes <= capacityBytes;
  const take = (bytes: number): (() => void) => {
    inUse += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      inUse -= bytes;
      while (waiting.length > 0 && fits(waiting[0]!.bytes)) waiting.shift()!.grant();
    };
  };
  return {
    acquire(bytes) {
      if (waiting.length === 0 && fits(bytes)) return Promise.resolve(take(bytes));
      return new Promise((resolve) => waiting.push({ bytes, grant: () => resolve(take(bytes)) }));
    },
    get inUseBytes() {
      return inUse;
    },
    capacityBytes,
  };
}
