import { retryable, type EventStore, type StoreEntry, type WriteBatch, type WriteOutcome } from '../../src/core/store.js';

export interface FaultOptions {
  /** Entries for which this returns true are answered retryable without reaching the store. */
  failEntry?: (entry: StoreEntry) => boolean;
  /** Held before each write reaches the store (to keep payloads in flight). */
  gate?: () => Promise<void>;
}

/** Wraps a real store, failing chosen entries and/or holding writes: compose by wrapping. */
export function withFaults(store: EventStore, options: FaultOptions): EventStore {
  return {
    description: `faulty(${store.description})`,
    async write(batch: WriteBatch): Promise<WriteOutcome[]> {
      await options.gate?.();
      const fail = options.failEntry ?? (() => false);
      const passed = batch.entries.filter((entry) => !fail(entry));
      const outcomes = await store.write({ ...batch, entries: passed });
      let next = 0;
      return batch.entries.map((entry) => (fail(entry) ? retryable('injected fault') : outcomes[next++]!));
    },
    health: () => store.health(),
    close: () => store.close(),
  };
}
