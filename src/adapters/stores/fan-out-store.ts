import { DUPLICATE, retryable, STORED, type EventStore, type StoreHealth, type WriteBatch, type WriteOutcome } from '../../core/store.js';

/**
 * Writes every batch to several stores at once (e.g. a local SQLite file and
 * a JetStream bus). An entry is acknowledged only when every store has it
 * durably; if any store could not take it, it is retryable, and the re-send
 * is absorbed as a duplicate by the stores that already had it. It is a
 * duplicate only when every store says so: it is new to at least one of them.
 * Healthy only when every store is.
 */
export function createFanOutStore(stores: readonly EventStore[]): EventStore {
  if (stores.length === 0) throw new Error('a fan-out store needs at least one store');
  let closing: Promise<void> | undefined;
  return {
    description: stores.map((s) => s.description).join(','),
    async write(batch: WriteBatch): Promise<WriteOutcome[]> {
      const results = await Promise.all(stores.map((store) => store.write(batch)));
      return batch.entries.map((_, i) => combine(results.map((outcomes, s) => ({ outcome: outcomes[i]!, store: stores[s]! }))));
    },
    async health(): Promise<StoreHealth> {
      const results = await Promise.all(stores.map((store) => store.health()));
      const failing = results.flatMap((health, i) => (health.ok ? [] : [`${stores[i]!.description}: ${health.reason}`]));
      if (failing.length > 0) return { ok: false, reason: failing.join('; ') };
      return { ok: true, latencyMs: Math.max(...results.map((h) => (h.ok ? h.latencyMs : 0))) };
    },
    close(): Promise<void> {
      return (closing ??= Promise.allSettled(stores.map((store) => store.close())).then((settled) => {
        const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
        if (failed) throw failed.reason;
      }));
    },
  };
}

function combine(outcomes: ReadonlyArray<{ outcome: WriteOutcome; store: EventStore }>): WriteOutcome {
  const failed = outcomes.filter(({ outcome }) => outcome.status === 'retryable');
  if (failed.length > 0) {
    return retryable(failed.map(({ outcome, store }) => `${store.description}: ${(outcome as { reason: string }).reason}`).join('; '));
  }
  return outcomes.every(({ outcome }) => outcome.status === 'duplicate') ? DUPLICATE : STORED;
}
