import type { MemoryBudget } from './memory-budget.js';

/**
 * A stream's share of the memory budget for the request it is receiving,
 * taken when the transport learns the request's size (its gRPC length prefix)
 * and before the request is assembled: without it a flood of large requests
 * is assembled on every stream at once, outside the budget, and only then
 * waits for it. Small requests (a sixteenth of the budget or less: the usual)
 * are not held up.
 */
export interface AssemblyGate {
  /** Whose bytes these are, for the budget's fairness (the stream's payloads use the same holder). */
  readonly holder: object;
  /** A request of `bytes` starts arriving: resolves once they are reserved; undefined when it may be read at once. */
  requestStarting(bytes: number): Promise<void> | undefined;
  /** The request has arrived whole: its reservation is given back (its payload takes its own share next). */
  requestArrived(): void;
  /** The stream has ended: gives back anything reserved, now or when a pending reservation comes through. */
  close(): void;
}

export function createAssemblyGate(memory: MemoryBudget): AssemblyGate {
  const holder = {};
  let reserved: (() => void) | undefined;
  let closed = false;
  const giveBack = (): void => {
    reserved?.();
    reserved = undefined;
  };
  return {
    holder,
    requestStarting(bytes) {
      giveBack(); // a request that never arrived whole (cannot happen in order; kept safe)
      if (closed || bytes <= memory.capacityBytes / 16) return undefined;
      return memory.acquire(bytes, holder).then((release) => {
        if (closed) release();
        else reserved = release;
      });
    },
    requestArrived: giveBack,
    close() {
      closed = true;
      giveBack();
    },
  };
}
