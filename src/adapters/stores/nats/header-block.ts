import type { MsgHdrs } from '@nats-io/transport-node';

/** A message's header values by name: the first value of each name, as MsgHdrs.get() returns it; undefined when absent. */
export type HeaderLookup = (name: string) => string | undefined;

/**
 * A received message's headers, read from its header block as it came off the socket.
 *
 * nats.js decodes a whole block into a map on first access (the block decoded as one string, split
 * into lines, each name re-cased into an array and checked against every name already seen): the
 * sink spent 60% of what it allocated there, and its CPU profile 37% in the garbage collector. Our
 * messages carry the sender's metadata (kilobytes of base64) in every block, and a reader needs it
 * only when it meets a sender it has not seen (nats-message.ts). Here each line is only located and
 * checked; a value becomes a string when it is asked for.
 *
 * nats.js keeps the block on the message object (`_rdata` up to `_msg.hdr`) but does not publish
 * it: when a version keeps it elsewhere, its decoder is used (a test fails, so the change is seen).
 */
export function headersOf(msg: { headers?: MsgHdrs }): HeaderLookup {
  const block = headerBlockOf(msg);
  return block !== undefined ? parseHeaderBlock(block) : decodedHeaders(msg.headers);
}

/** The block nats.js received, when it holds it where this version does. */
export function headerBlockOf(msg: object): Uint8Array | undefined {
  const core = (msg as { msg?: { _rdata?: unknown; _msg?: { hdr?: unknown } } }).msg;
  const data = core?._rdata;
  const length = core?._msg?.hdr;
  return data instanceof Uint8Array && typeof length === 'number' && length > 0 && length <= data.length ? data.subarray(0, length) : undefined;
}

function decodedHeaders(headers: MsgHdrs | undefined): HeaderLookup {
  const values = new Map<string, string>();
  // One pass: MsgHdrs.get() lists and filters every name on each call.
  for (const [name, all] of headers ?? []) if (all.length > 0) values.set(name, all[0]!);
  return (name) => values.get(name);
}

const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;

/**
 * What nats.js's MsgHdrsImpl.decode makes of `block`, read lazily. The same rules: the block is
 * split at CRLF, the first line (the status) is skipped, and so are empty lines and lines without
 * a colon; the name is what precedes the first colon, exactly (printable ASCII, else the block is
 * refused, as nats.js throws); the value is the rest, UTF-8, trimmed (a CR or LF left inside it is
 * refused too); the first value of a name is the one returned.
 */
export function parseHeaderBlock(block: Uint8Array): HeaderLookup {
  const buf = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
  /** Per header line: where it starts, its colon, and its end. Names are compared as bytes: no string per line. */
  const lines: number[] = [];
  let line = lineEnd(buf, 0) + 2; // the status line
  while (line < buf.length) {
    const end = lineEnd(buf, line);
    const colon = buf.indexOf(COLON, line);
    if (colon !== -1 && colon < end) {
      for (let i = line; i < colon; i++) {
        if (buf[i]! < 0x21 || buf[i]! > 0x7e) throw new Error('a message header name holds a character outside printable ASCII');
      }
      // A line break inside a value, once trimmed, refuses the block (nats.js throws), asked for or not.
      if (hasLineBreak(buf, colon + 1, end) && /[\r\n]/.test(valueOf(buf, colon + 1, end))) {
        throw new Error('a message header value holds a line break');
      }
      lines.push(line, colon, end); // a repeated name is listed again; lookups find its first value
    }
    line = end + 2;
  }
  return (name) => {
    for (let i = 0; i < lines.length; i += 3) {
      const start = lines[i]!;
      const colon = lines[i + 1]!;
      if (colon - start === name.length && isName(buf, start, name)) return valueOf(buf, colon + 1, lines[i + 2]!);
    }
    return undefined;
  };
}

function isName(buf: Buffer, start: number, name: string): boolean {
  for (let i = 0; i < name.length; i++) if (buf[start + i] !== name.charCodeAt(i)) return false;
  return true;
}

/** Where the line starting at `from` ends: the next CRLF, or the end of the block. */
function lineEnd(buf: Buffer, from: number): number {
  for (let i = buf.indexOf(CR, from); i !== -1; i = buf.indexOf(CR, i + 1)) {
    if (buf[i + 1] === LF) return i;
  }
  return buf.length;
}

/**
 * Whether [from, end) holds a CR or LF. Searched natively: a value can be kilobytes (the sender's
 * metadata), and each search stops at the line's own CRLF, at `end`, or before.
 */
function hasLineBreak(buf: Buffer, from: number, end: number): boolean {
  const cr = buf.indexOf(CR, from);
  if (cr !== -1 && cr < end) return true;
  const lf = buf.indexOf(LF, from);
  return lf !== -1 && lf < end;
}

/** ASCII whitespace as String.prototype.trim sees it: tab, LF, VT, FF, CR, space. */
const isAsciiSpace = (byte: number | undefined): boolean => byte === 0x20 || (byte !== undefined && byte >= 0x09 && byte <= 0x0d);

/**
 * The value in [start, end), trimmed as nats.js trims it. ASCII whitespace is skipped before
 * decoding (the usual space after the colon would otherwise make trim() copy the string); trim()
 * then removes what else JavaScript counts as whitespace.
 */
function valueOf(buf: Buffer, start: number, end: number): string {
  while (start < end && isAsciiSpace(buf[start])) start++;
  while (end > start && isAsciiSpace(buf[end - 1])) end--;
  return buf.toString('utf8', start, end).trim();
}
