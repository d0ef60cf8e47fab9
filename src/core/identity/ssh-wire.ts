import { Buffer } from 'node:buffer';

/**
 * The SSH wire format pieces that keys are made of (RFC 4251 section 5):
 * big-endian uint32s, uint32-length-prefixed strings, and mpints (two's complement strings).
 */
export class SshWireReader {
  private offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  uint32(): number {
    if (this.offset + 4 > this.bytes.length) throw new Error('truncated SSH wire data');
    const value = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.offset, 4).readUInt32BE(0);
    this.offset += 4;
    return value;
  }

  string(): Uint8Array {
    const length = this.uint32();
    if (this.offset + length > this.bytes.length) throw new Error('truncated SSH wire data');
    const start = this.offset;
    this.offset += length;
    return this.bytes.subarray(start, this.offset);
  }

  text(): string {
    return Buffer.from(this.string()).toString('utf8');
  }

  /** A non-negative mpint's magnitude, without sign-padding zeros. Key parameters are never negative. */
  unsignedMpint(): Uint8Array {
    const bytes = this.string();
    if (((bytes[0] ?? 0) & 0x80) !== 0) throw new Error('negative integer in SSH key data');
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    return bytes.subarray(start);
  }

  get done(): boolean {
    return this.offset === this.bytes.length;
  }
}

export function sshString(value: Uint8Array | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** An unsigned big-endian magnitude as an mpint: minimal, with a zero byte in front when the top bit is set. */
export function sshMpint(magnitude: Uint8Array): Buffer {
  let start = 0;
  while (start < magnitude.length && magnitude[start] === 0) start++;
  const trimmed = Buffer.from(magnitude.subarray(start));
  return sshString(((trimmed[0] ?? 0) & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}
