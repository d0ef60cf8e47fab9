import type { MemoryBudget } from './memory-budget.js';

/**
 * A stream's share of the memory budget for the request it is receiving,
 * taken when the transport learns the request's size (its gRPC length prefix)
 * and before the request is assembled: without it a flood of large requests
 * is assembled on every stream at once, outside the budget, and only then
 * waits for it. Small requests (a sixteenth of the budget or less: the usual)
 * are not held up.
 *
 * Once the request has arrived its reservation becomes the payload's share at
 * once: were it given back first, every stream could assemble its next large
 * request while this one waits in line, all of them outside the budget.
 */
export interface AssemblyGate {
  /** Whose bytes these are, for the budget's fairness (the stream's payloads use the same holder). */
  readonly holder: object;
  /** A request's reservation is pending: the gateway, not the client, holds it back. */
  readonly waiting: boolean;
  /** A request of `bytes` starts arriving: resolves once they are reserved; undefined when it may be read at once. */
  requestStarting(bytes: number): Promise<void> | undefined;
  /**
   * The request has arrived whole and its payload holds `shareBytes`: swaps the
   * reservation for that share without waiting and returns the function that
   * gives it back; undefined when nothing was reserved (the payload waits for
   * its share like any other).
   */
  requestArrived(shareBytes: number): (() => void) | undefined;
  /** The stream has ended: gives back anything reserved, now or when a pending reservation comes through. */
  close(): void;
}

/**
 * What a large request is expected to hold once it is a payload, per byte on
 * the wire: its bytes, the events the privacy policy rewrites, and their ids
 * in the answer. The exact share replaces the estimate when the request arrives.
 */
const SHARE_PER_REQUEST_BYTE = 2;

export function createAssemblyGate(memory: MemoryBudget): AssemblyGate {
  const holder = {};
  let reserved: (() => void) | undefined;
  let closed = false;
  let waiting = false;
  const giveBack = (): void => {
    reserved?.();
    reserved = undefined;
  };
  return {
    holder,
    get waiting() {
      return waiting;
    },
    requestStarting(bytes) {
      giveBack(); // a request that never became a payload (metadata, or refused): its bytes are gone
      if (closed || bytes <= memory.capacityBytes / 16) return undefined;
      waiting = true;
      return memory.acquire(bytes * SHARE_PER_REQUEST_BYTE, holder).then((release) => {
        waiting = false;
        if (closed) release();
        else reserved = release;
      });
    },
    requestArrived(shareBytes) {
      if (reserved === undefined) return undefined;
      const share = memory.takeNow(shareBytes, holder);
      giveBack();
      return share;
    },
    close() {
      closed = true;
      giveBack();
    },
  };
}
