/**
 * Bytes written one after another into one growing buffer: many small pieces
 * (JSON text, a record per event) become one Buffer without a Buffer per piece.
 * `length` may be set back to drop what was written after an earlier length.
 */
export class ByteOut {
  buffer: Buffer;
  length = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  /** Makes room for `bytes` more; callers that write by index into `buffer` reserve first. */
  reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  /** Appends `text` as UTF-8; returns its length in bytes. */
  text(text: string): number {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    this.reserve(text.length * 3);
    const written = this.buffer.write(text, this.length, 'utf8');
    this.length += written;
    return written;
  }

  /** Appends text known to be ASCII (names, numbers, punctuation). */
  ascii(text: string): void {
    const length = text.length;
    this.reserve(length);
    if (length > 64) {
      this.length += this.buffer.write(text, this.length, 'latin1');
      return;
    }
    // Short pieces, the usual ones, by hand: a call into Buffer.write cost more than the copy.
    const buffer = this.buffer;
    let at = this.length;
    for (let i = 0; i < length; i++) buffer[at++] = text.charCodeAt(i);
    this.length = at;
  }

  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  copy(bytes: Uint8Array): void {
    this.reserve(bytes.byteLength);
    this.buffer.set(bytes, this.length);
    this.length += bytes.byteLength;
  }

  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}
