import { readLength, readVarint32, skipValue, WireError, WireType, type WireCursor } from './wire-cursor.js';

/** What the record attributes (core/record.ts) need of a stored event beyond its feature and action. */
export interface AttributeFacts {
  hasPrivateMetadata: boolean;
  /** The parameters.metadata keys that name a private-metadata marker, each with whether its value is > 0. */
  markers: Map<string, boolean>;
}

const PARAMETERS_FIELD = 6;
const METADATA_FIELD = 5;
const PRIVATE_METADATA_FIELD = 3;
const MARKER = Buffer.from('recordsPrivateMetadata');
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads the attribute facts off the bytes of an event the pipeline stored
 * (so they decode), without decoding the event: a store that publishes
 * attributes per event (NATS headers) would otherwise decode every event
 * once more. Merge semantics are protobuf's: parameters that occur twice
 * merge, a map key seen twice keeps its last value. Undefined for any byte
 * it does not expect; the caller then decodes.
 */
export function scanRecordAttributes(bytes: Uint8Array): AttributeFacts | undefined {
  const facts: AttributeFacts = { hasPrivateMetadata: false, markers: new Map() };
  const c: Cursor = { buf: bytes, pos: 0, end: bytes.length };
  try {
    forEachMessageField(c, bytes.length, PARAMETERS_FIELD, (fieldNo) => {
      if (fieldNo !== PARAMETERS_FIELD) return;
      forEachMessageField(c, c.end, METADATA_FIELD, (fieldNo) => {
        if (fieldNo === PRIVATE_METADATA_FIELD) facts.hasPrivateMetadata = true;
        else if (fieldNo === METADATA_FIELD) readMetadataEntry(c, facts.markers);
      });
    });
  } catch (error) {
    if (error instanceof WireError || error instanceof TypeError) return undefined;
    throw error;
  }
  return facts;
}

interface Cursor extends WireCursor {
  /** The end of the length-delimited field being visited. */
  end: number;
}

/**
 * Calls `visit` for each length-delimited field in [c.pos, end), with the
 * cursor at its body and `c.end` at its end; other fields are skipped.
 * `messageField` must be length-delimited wherever it occurs.
 */
function forEachMessageField(c: Cursor, end: number, messageField: number, visit: (fieldNo: number) => void): void {
  while (c.pos < end) {
    const tag = readVarint32(c, end);
    if ((tag & 7) !== WireType.LengthDelimited) {
      if (tag >>> 3 === messageField || !skipValue(c, tag & 7, end)) throw new WireError('unexpected wire type');
      continue;
    }
    const bodyEnd = readLength(c, end);
    c.end = bodyEnd;
    visit(tag >>> 3);
    c.pos = bodyEnd;
  }
}

/** One map<string, double> entry: noted when its key is a marker (absent key and value are '' and 0). */
function readMetadataEntry(c: Cursor, markers: Map<string, boolean>): void {
  const { buf, end } = c;
  let keyStart = 0;
  let keyEnd = 0;
  let valueAt = -1; // where the last value's 8 bytes lie; read only for a marker key
  while (c.pos < end) {
    const tag = readVarint32(c, end);
    if (tag === ((1 << 3) | WireType.LengthDelimited)) {
      keyEnd = readLength(c, end);
      keyStart = c.pos;
      c.pos = keyEnd;
    } else if (tag === ((2 << 3) | WireType.Fixed64)) {
      if (c.pos + 8 > end) throw new WireError('premature EOF');
      valueAt = c.pos;
      c.pos += 8;
    } else if (!skipValue(c, tag & 7, end)) {
      throw new WireError('group');
    }
  }
  if (keyEnd - keyStart < MARKER.length + 2) return;
  for (let i = 0; i < MARKER.length; i++) if (buf[keyStart + i] !== MARKER[i]) return;
  // A fatal decoder: the decoder that accepted this event took only valid UTF-8 (TypeError otherwise).
  const value = valueAt < 0 ? 0 : new DataView(buf.buffer, buf.byteOffset + valueAt, 8).getFloat64(0, true);
  markers.set(utf8.decode(buf.subarray(keyStart, keyEnd)), value > 0);
}
