import type { Database } from 'better-sqlite3';

/**
 * Exact deduplication for the SQLite store without a random write into a big
 * B-tree for every event.
 *
 * An event's key is (event time in ms, id): a re-sent event carries its
 * original timestamp, so it can only be a duplicate of an event of the same
 * millisecond. Keys of recent rows live in memory (a compact hash table of a
 * 53-bit hash -> row seq); in bulk, and sorted, they move into `event_keys`, a
 * table ordered by event time, where new keys land near its end instead of all
 * over it. A UNIQUE index on random ids did the opposite: every commit dirtied
 * pages across the whole index, and WAL writes whole pages, so the cost per
 * event grew with the store.
 *
 * Exact: a hash match is only a candidate, confirmed against the row's stored
 * id and time. Restart-safe: `store_meta.keys_through_seq` says which rows are
 * in `event_keys`; the rows after it are read back into memory at open.
 */
export interface EventKeys {
  /** Whether (eventMs, id) is stored, in this transaction or before; `hash` is idHash(id) (the caller keeps it for add). */
  has(eventMs: number, id: string, hash: number): boolean;
  /** Records the key of a row just inserted (inside the same transaction); `hash` is idHash of its id. */
  add(eventMs: number, hash: number, seq: number): void;
  /**
   * Moves one slice of keys to `event_keys`; call inside a write transaction, after the batch or on
   * its own. `atLeast` keys, or twice what was added since the last call if that is more.
   */
  merge(atLeast?: number): void;
  /** A frozen generation still has keys to move: merge() has work even without new writes. */
  readonly merging: boolean;
  /** After a failed transaction: forget what it added, by reading the committed state back. */
  reload(): void;
}

/** Keys kept in memory before a generation is frozen and merged (a table of 4 slots a key, 30 bytes a slot). */
const GENERATION_SIZE = 1 << 16;
/**
 * Keys moved to `event_keys` with each commit while a frozen generation is merged: at least this,
 * and twice what the commit added, so the merge always finishes before the next generation fills.
 * Small, because a commit carrying a slice waits for it: 8,192 keys held a commit ~20 ms (insert
 * and the pages it dirties), every sixteenth commit when paced at 40,000 events/s, which made the
 * payload ack p99. The store moves the rest in transactions of their own while it has nothing to
 * write (sqlite-store.ts, IDLE_MERGE_SLICE).
 */
const MERGE_SLICE = 1024;
/** Keys per multi-row INSERT while merging (3 parameters each, far below SQLite's 32,766). */
const KEYS_PER_INSERT = 128;

export function createEventKeys(db: Database): EventKeys {
  const rowById = db.prepare('SELECT event_id AS id, event_ms AS eventMs FROM events WHERE seq = ?');
  const coldCandidates = db.prepare('SELECT seq FROM event_keys WHERE event_ms = ? AND id_hash = ?').pluck();
  const insertKey = db.prepare('INSERT OR IGNORE INTO event_keys (event_ms, id_hash, seq) VALUES (?, ?, ?)');
  // Keys are tiny rows: a statement per key cost more than the B-tree insert itself.
  const insertKeys = db.prepare(`INSERT OR IGNORE INTO event_keys (event_ms, id_hash, seq) VALUES ${Array(KEYS_PER_INSERT).fill('(?, ?, ?)').join(', ')}`);
  const keysArgs = new Array<number>(3 * KEYS_PER_INSERT);
  const setThrough = db.prepare(`INSERT INTO store_meta (key, value) VALUES ('keys_through_seq', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`);

  let active: HashTable;
  let addedSinceMerge = 0;
  /** The generation being merged, a slice at a time: the next key in its insertion order, and the newest row seen. */
  let frozen: { table: HashTable; next: number; throughSeq: number } | undefined;
  /**
   * A merged generation's table, emptied and filled again by the next one: a new table is 8 MiB
   * of typed arrays to allocate and zero inside the commit that freezes a generation (2-6 ms
   * measured), and garbage that the writer's heap carries until a major GC.
   */
  let spare: HashTable | undefined;

  /** The frozen table's slots of the slice being merged, in event_keys order (reused: no object per key). */
  const sliceSlots: number[] = [];

  /** Newest event time in `event_keys`: younger events need no look there. */
  let coldMaxEventMs: number;

  const confirm = (seq: number, eventMs: number, id: string): boolean => {
    const row = rowById.get(seq) as { id: string; eventMs: number } | undefined;
    return row !== undefined && row.eventMs === eventMs && row.id === id;
  };

  const load = (): void => {
    frozen = undefined;
    addedSinceMerge = 0;
    coldMaxEventMs = (db.prepare('SELECT max(event_ms) FROM event_keys').pluck().get() as number | null) ?? -Infinity;
    const through = (db.prepare(`SELECT value FROM store_meta WHERE key = 'keys_through_seq'`).pluck().get() as number | undefined) ?? 0;
    const pending = db.prepare('SELECT count(*) FROM events WHERE seq > ?').pluck().get(through) as number;
    active = new HashTable(tableCapacity(pending));
    const recent = db.prepare('SELECT seq, event_id AS id, event_ms AS eventMs FROM events WHERE seq > ?').iterate(through) as Iterable<{ seq: number; id: string; eventMs: number }>;
    for (const row of recent) active.add(keyHash(row.eventMs, idHash(row.id)), row.seq, row.eventMs, idHash(row.id));
  };
  load();

  return {
    has(eventMs, id, hash) {
      const key = keyHash(eventMs, hash);
      if (active.find(key, eventMs, id, confirm)) return true;
      if (frozen?.table.find(key, eventMs, id, confirm)) return true;
      if (eventMs > coldMaxEventMs) return false;
      // Usually no candidate, seldom one: one row read is cheaper than an iterator; all of them only
      // when the first is another id with the same hash and millisecond.
      const first = coldCandidates.get(eventMs, hash) as number | undefined;
      if (first === undefined) return false;
      if (confirm(first, eventMs, id)) return true;
      for (const seq of coldCandidates.iterate(eventMs, hash) as Iterable<number>) {
        if (seq !== first && confirm(seq, eventMs, id)) return true;
      }
      return false;
    },
    add(eventMs, hash, seq) {
      active.add(keyHash(eventMs, hash), seq, eventMs, hash);
      addedSinceMerge++;
    },
    get merging() {
      return frozen !== undefined;
    },
    merge(atLeast = MERGE_SLICE) {
      if (frozen === undefined && active.size >= GENERATION_SIZE) {
        // Frozen now, merged from the next call.
        frozen = { table: active, next: 0, throughSeq: 0 };
        active = spare?.cleared() ?? new HashTable(tableCapacity(0));
        spare = undefined;
        return;
      }
      const slice = Math.max(atLeast, 2 * addedSinceMerge);
      addedSinceMerge = 0;
      if (frozen === undefined) return;
      // Slices follow insertion order, which is arrival order: for live traffic, and for exporters
      // re-sending their queues oldest first, that is close to event time order, so each slice,
      // sorted by key on its own, lands on a run of neighbouring event_keys pages near the end of
      // the table. (Slot order touched pages across the whole generation's range with every slice.
      // Sorting the whole generation by time first held the writer 8-25 ms once a generation,
      // which made the payload ack p99 at 40,000 events/s.)
      const { table } = frozen;
      frozen.next = table.sortedSlots(frozen.next, slice, sliceSlots);
      let i = 0;
      for (; i + KEYS_PER_INSERT <= sliceSlots.length; i += KEYS_PER_INSERT) {
        for (let k = 0; k < KEYS_PER_INSERT; k++) {
          const slot = sliceSlots[i + k]!;
          keysArgs[3 * k] = table.eventMsAt(slot);
          keysArgs[3 * k + 1] = table.idHashAt(slot);
          keysArgs[3 * k + 2] = table.seqAt(slot);
        }
        insertKeys.run(keysArgs);
      }
      for (; i < sliceSlots.length; i++) {
        const slot = sliceSlots[i]!;
        insertKey.run(table.eventMsAt(slot), table.idHashAt(slot), table.seqAt(slot));
      }
      for (const slot of sliceSlots) {
        if (table.seqAt(slot) > frozen.throughSeq) frozen.throughSeq = table.seqAt(slot);
        if (table.eventMsAt(slot) > coldMaxEventMs) coldMaxEventMs = table.eventMsAt(slot);
      }
      if (frozen.next === frozen.table.size) {
        // Every key of the generation is in event_keys: a restart reads back only later rows.
        setThrough.run(frozen.throughSeq);
        if (frozen.table.slots === tableCapacity(0)) spare = frozen.table;
        frozen = undefined;
      }
    },
    reload: load,
  };
}

/**
 * A power of two where a generation (or what a restart reads back, if more) fills a quarter of the
 * slots: it freezes at the first commit past GENERATION_SIZE, and a commit's keys on top seldom
 * make it grow. 8 MiB for a generation.
 */
function tableCapacity(keys: number): number {
  let capacity = 1024;
  while (capacity < 4 * Math.max(keys, GENERATION_SIZE)) capacity *= 2;
  return capacity;
}

/**
 * Open addressing over typed arrays (linear probing; equal keys may repeat, a
 * lookup visits them all): 30 bytes a slot, no object per key for the GC. The
 * slots are also logged in insertion order, the order a generation is merged in.
 */
class HashTable {
  private keys: Int32Array;
  private seqs: Float64Array;
  private times: Float64Array;
  private hashes: Float64Array;
  /** Occupied slots in insertion order: `log[0..size)`. */
  private log: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacity: number) {
    // Capacity is a power of two and never more than half full: a table grows (rarely: a generation
    // freezes at a quarter full, but one commit may carry a huge payload of tiny events).
    this.keys = new Int32Array(capacity).fill(-1);
    this.seqs = new Float64Array(capacity);
    this.times = new Float64Array(capacity);
    this.hashes = new Float64Array(capacity);
    this.log = new Int32Array(capacity / 2);
    this.mask = capacity - 1;
  }

  /** This table emptied, for reuse: only the key array needs resetting (the others are read where a key is). */
  cleared(): this {
    this.keys.fill(-1);
    this.size = 0;
    return this;
  }

  add(key: number, seq: number, eventMs: number, idHash: number): void {
    if (this.size * 2 >= this.keys.length) this.grow();
    let slot = key & this.mask;
    while (this.keys[slot] !== -1) slot = (slot + 1) & this.mask;
    this.keys[slot] = key;
    this.seqs[slot] = seq;
    this.times[slot] = eventMs;
    this.hashes[slot] = idHash;
    this.log[this.size++] = slot;
  }

  private grow(): void {
    const { keys, seqs, times, hashes, log, size } = this;
    const larger = new HashTable(2 * keys.length);
    for (let i = 0; i < size; i++) {
      const slot = log[i]!;
      larger.add(keys[slot]!, seqs[slot]!, times[slot]!, hashes[slot]!);
    }
    ({ keys: this.keys, seqs: this.seqs, times: this.times, hashes: this.hashes, log: this.log, mask: this.mask } = larger);
  }

  /** Whether a slot of `key` holds (eventMs, id), as `confirm` finds (a closure per lookup was garbage per event). */
  find(key: number, eventMs: number, id: string, confirm: (seq: number, eventMs: number, id: string) => boolean): boolean {
    for (let slot = key & this.mask; this.keys[slot] !== -1; slot = (slot + 1) & this.mask) {
      if (this.keys[slot] === key && confirm(this.seqs[slot]!, eventMs, id)) return true;
    }
    return false;
  }

  get slots(): number {
    return this.keys.length;
  }

  /**
   * The slots of up to `max` keys from the `from`th key added, into `slots` (emptied first), sorted in
   * event_keys order: (event_ms, id_hash, seq). Returns the position after the last. Slots, not a
   * row object per key: those objects (and their boxed numbers) were most of what the writer thread
   * allocated besides the batches themselves. Hashes are compared, not subtracted: the difference
   * of two 53-bit numbers is a heap number per comparison.
   */
  sortedSlots(from: number, max: number, slots: number[]): number {
    const end = Math.min(this.size, from + max);
    slots.length = 0;
    for (let at = from; at < end; at++) slots.push(this.log[at]!);
    const { times, hashes, seqs } = this;
    slots.sort((a, b) => times[a]! - times[b]! || (hashes[a]! < hashes[b]! ? -1 : hashes[a]! > hashes[b]! ? 1 : seqs[a]! - seqs[b]!));
    return end;
  }

  eventMsAt(slot: number): number {
    return this.times[slot]!;
  }

  idHashAt(slot: number): number {
    return this.hashes[slot]!;
  }

  seqAt(slot: number): number {
    return this.seqs[slot]!;
  }
}

/** cyrb53: a fast 53-bit string hash (public domain); stable across runs, so stored hashes stay valid. */
export function idHash(id: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < id.length; i++) {
    const ch = id.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** The in-memory key of (eventMs, id): a non-negative 31-bit mix, for the table's slot. */
function keyHash(eventMs: number, hash: number): number {
  return (Math.imul((hash >>> 0) ^ Math.imul(eventMs | 0, 0x9e3779b1), 0x85ebca6b) ^ ((hash / 4294967296) | 0)) >>> 1;
}

