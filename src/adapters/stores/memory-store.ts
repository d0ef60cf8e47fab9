import {
  DUPLICATE,
  retryable,
  STORED,
  type EventReader,
  type EventStore,
  type ListOptions,
  type RejectedEventRow,
  type StoredEventRow,
  type StoreHealth,
  type WriteBatch,
  type WriteOutcome,
} from '../../core/store.js';

export type MemoryStore = EventStore & EventReader;

/**
 * A store that forgets everything on exit: for unit tests of the core and for
 * trying the gateway out. Never the only test of a real adapter.
 */
export function createMemoryStore(): MemoryStore {
  const events: StoredEventRow[] = [];
  const rejected: RejectedEventRow[] = [];
  const ids = new Set<string>();
  let seq = 0;
  let closed = false;

  const page = <T extends { seq: number }>(rows: T[], options: ListOptions): T[] =>
    rows.filter((row) => row.seq > (options.afterSeq ?? 0)).slice(0, options.limit);

  return {
    description: 'memory:',
    async write(batch: WriteBatch): Promise<WriteOutcome[]> {
      if (closed) return batch.entries.map(() => retryable('store is closed'));
      const { publisher } = batch.origin;
      const metadataBytes = new Uint8Array(batch.origin.metadataBytes);
      const receivedAtMs = Date.now();
      // Copies (a Buffer's slice() would not be one), as any store keeps its own: an entry's bytes are a view into its request.
      return batch.entries.map((entry) => {
        if (entry.kind === 'rejected') {
          const { id, feature, action, reason } = entry;
          rejected.push({ seq: ++seq, id, feature, action, reason, publisher, eventBytes: new Uint8Array(entry.bytes), metadataBytes, receivedAtMs });
          return STORED;
        }
        if (ids.has(entry.id)) return DUPLICATE;
        ids.add(entry.id);
        events.push({ seq: ++seq, id: entry.id, eventBytes: new Uint8Array(entry.bytes), metadataBytes, publisher, receivedAtMs });
        return STORED;
      });
    },
    async health(): Promise<StoreHealth> {
      return closed ? { ok: false, reason: 'store is closed' } : { ok: true, latencyMs: 0 };
    },
    async listEvents(options) {
      return page(events, options);
    },
    async countEvents() {
      return events.length;
    },
    async listRejected(options) {
      return page(rejected, options);
    },
    async countRejected() {
      return rejected.length;
    },
    async close() {
      closed = true;
    },
  };
}
