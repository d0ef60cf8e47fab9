import { readLength, varintSize, writeVarint } from './wire-cursor.js';

/** RecordEventsResponse.succeeded_events: field 1, length-delimited (PROTOCOL.md). */
const SUCCEEDED_EVENTS_TAG = 0x0a;
const EMPTY = Buffer.alloc(0);

/**
 * The ids a payload's answer acknowledges, kept as the bytes of the
 * RecordEventsResponse that carries them rather than as strings. A payload of
 * 200,000 small events is answered with 200,000 ids, held until the client has
 * read them: as strings that is ~13 MB of JavaScript heap per payload for the
 * garbage collector to trace (and the heap grows by a multiple of what it
 * holds); as bytes, ~8 MB outside it, already in the form the wire needs.
 */
export class AckList {
  #buffer: Buffer;
  #length = 0;
  #count = 0;

  constructor(expectedIds = 0) {
    this.#buffer = Buffer.allocUnsafe(Math.max(64, expectedIds * 38));
  }

  add(id: string): void {
    const length = Buffer.byteLength(id, 'utf8');
    const needed = this.#length + 1 + varintSize(length) + length;
    if (needed > this.#buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.#buffer.length * 2));
      this.#buffer.copy(grown, 0, 0, this.#length);
      this.#buffer = grown;
    }
    this.#buffer[this.#length] = SUCCEEDED_EVENTS_TAG;
    const at = writeVarint(this.#buffer, this.#length + 1, length);
    this.#length = at + this.#buffer.write(id, at, 'utf8');
    this.#count++;
  }

  /** How many ids. */
  get count(): number {
    return this.#count;
  }

  /** The encoded RecordEventsResponse: a view, valid until the next add. */
  get bytes(): Buffer {
    return this.#buffer.subarray(0, this.#length);
  }

  /** Gives back what the buffer has beyond its content when that is much (a payload's answer is held until read). */
  trim(): this {
    if (this.#buffer.length - this.#length > 4096 && this.#buffer.length > this.#length * 1.25) {
      this.#buffer = Buffer.from(this.bytes);
    }
    return this;
  }

  /**
   * Drops the bytes once the transport has copied them out. A written answer can
   * stay reachable after it is done with (a suspended async function keeps its
   * last values until it resumes), and at ~8 MB for a large payload, a few per
   * stream would be more than the memory budget allows for.
   */
  release(): void {
    this.#buffer = EMPTY;
    this.#length = 0;
  }

  /** The ids as strings (tests, diagnostics; not the hot path). */
  ids(): string[] {
    const ids: string[] = [];
    const cursor = { buf: this.#buffer, pos: 0 };
    while (cursor.pos < this.#length) {
      cursor.pos++; // the tag
      const end = readLength(cursor, this.#length);
      ids.push(this.#buffer.toString('utf8', cursor.pos, end));
      cursor.pos = end;
    }
    return ids;
  }

  static of(ids: readonly string[]): AckList {
    const list = new AckList(ids.length);
    for (const id of ids) list.add(id);
    return list;
  }
}
