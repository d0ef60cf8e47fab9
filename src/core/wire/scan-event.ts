import { isUtf8 as nativeIsUtf8 } from 'node:buffer';
import { bufferOf, isUtf8, readLength, readTimestamp, readUtf8, readVarint32, skipValue, WireError, WireType, type WireCursor } from './wire-cursor.js';

/**
 * What the gateway needs from one Event, read straight off its wire bytes
 * without building the protobuf-es object graph. The scan answers only for
 * events inside a well-understood subset of encodings: every field known, of
 * its declared wire type, a singular field at most once, strings valid UTF-8,
 * a Struct Value with one kind set. Everything else (unknown fields, merged
 * occurrences, groups, broken framing) returns undefined and goes through the
 * full protobuf-es decoder, which stays the reference: the differential test
 * (test/core/fast-path-differential.test.ts) holds the two to the same results.
 */
export interface ScannedEvent {
  id: string;
  feature: string;
  action: string;
  /** Absent when the event has no timestamp field. */
  timestamp: { seconds: number | bigint; nanos: number } | undefined;
  /** legacy_metadata has at least one entry: the legacy merge needs the decoder. */
  hasLegacyMetadata: boolean;
  /** [start, end) of the parameters field (tag included), and of private_metadata inside it. */
  parameters: Span | undefined;
  privateMetadata: Span | undefined;
  /** Distinct top-level keys of private_metadata (what removing it removes). */
  privateKeyCount: number;
  /** Some number in private_metadata is NaN or infinite. */
  privateNonFinite: boolean;
  /** [start, end) of the marketing_tracking field, tag included. */
  marketingTracking: Span | undefined;
}

export interface Span {
  start: number;
  end: number;
  /** Where the body starts (after tag and length). */
  bodyStart: number;
}

/**
 * Messages nested deeper than this are left to the decoder. It is below
 * protobuf-es's own limit (100 messages deep, which every reader of stored
 * events uses), so the scan never accepts an event that could not be read back.
 */
const MAX_SCAN_NESTING = 48;

// Field kinds of the message types below the Event's top level.
const STRING = 1;
const VARINT = 2;
const DOUBLE = 3;
/** A double inside a google.protobuf.Value: checked for NaN/infinity. */
const STRUCT_NUMBER = 4;
const MESSAGE = 5;
/** A repeated message field (map entries, list values). */
const REPEATED = 6;

interface FieldSpec {
  kind: number;
  type?: MessageType;
}
interface MessageType {
  fields: (FieldSpec | undefined)[];
  /** google.protobuf.Value: at most one field (its oneof). */
  oneof?: boolean;
}

const s = (): FieldSpec => ({ kind: STRING });
const v = (): FieldSpec => ({ kind: VARINT });
const m = (type: MessageType): FieldSpec => ({ kind: MESSAGE, type });
const r = (type: MessageType): FieldSpec => ({ kind: REPEATED, type });
const type = (...fields: (FieldSpec | undefined)[]): MessageType => ({ fields: [undefined, ...fields] });

// Field numbers are positions: PROTOCOL.md's table, message by message.
const VALUE: MessageType = { fields: [], oneof: true };
const STRUCT = type(r(type(s(), m(VALUE))));
const LIST = type(r(VALUE));
VALUE.fields.push(undefined, v(), { kind: STRUCT_NUMBER }, s(), v(), m(STRUCT), m(LIST));

const TIMESTAMP = type(v(), v());
const SOURCE = type(m(type(s())), m(type(s(), s())));
const PARAMETERS = type(v(), r(type(s(), v())), m(STRUCT), m(type(s(), s())), r(type(s(), { kind: DOUBLE })));
const USER = type(v(), s(), s());
const FEATURE_FLAGS = type(r(type(s(), s())));
const MARKETING = type(s(), s(), s(), s(), s(), s(), s(), s());
const INTERACTION = type(s(), s(), m(type(s())));
const EVENT = type(s(), m(TIMESTAMP), s(), s(), m(SOURCE), m(PARAMETERS), m(USER), m(FEATURE_FLAGS), m(MARKETING), m(INTERACTION));

const PRIVATE_METADATA_FIELD = 3;
const LEGACY_METADATA_FIELD = 2;

/** Thrown inside the scan when the bytes leave the subset; caught at the top. */
class OutsideSubset extends Error {}
const OUTSIDE = new OutsideSubset();

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

export function scanEvent(bytes: Uint8Array): ScannedEvent | undefined {
  try {
    return scanTopLevel({ buf: bufferOf(bytes), pos: 0 }, bytes.length);
  } catch (error) {
    if (error instanceof OutsideSubset || error instanceof WireError) return undefined;
    throw error;
  }
}

function scanTopLevel(c: WireCursor & { buf: Buffer }, end: number): ScannedEvent {
  const buf = c.buf;
  const result: ScannedEvent = {
    id: '',
    feature: '',
    action: '',
    timestamp: undefined,
    hasLegacyMetadata: false,
    parameters: undefined,
    privateMetadata: undefined,
    privateKeyCount: 0,
    privateNonFinite: false,
    marketingTracking: undefined,
  };
  let seen = 0;
  while (c.pos < end) {
    const fieldStart = c.pos;
    const tag = readVarint32(c, end);
    const fieldNo = tag >>> 3;
    const spec = fieldNo < EVENT.fields.length ? EVENT.fields[fieldNo] : undefined;
    if (spec === undefined || (tag & 7) !== WireType.LengthDelimited) throw OUTSIDE;
    const bit = 1 << fieldNo;
    if (seen & bit) throw OUTSIDE;
    seen |= bit;
    const bodyEnd = readLength(c, end);
    const bodyStart = c.pos;
    switch (fieldNo) {
      case 1:
        result.id = readString(buf, bodyStart, bodyEnd);
        break;
      case 2:
        result.timestamp = scanTimestamp(c, bodyEnd);
        break;
      case 3:
        result.feature = readName(buf, bodyStart, bodyEnd);
        break;
      case 4:
        result.action = readName(buf, bodyStart, bodyEnd);
        break;
      case 6:
        result.parameters = { start: fieldStart, end: bodyEnd, bodyStart };
        scanParameters(c, bodyEnd, result);
        break;
      case 9:
        result.marketingTracking = { start: fieldStart, end: bodyEnd, bodyStart };
        walkMessage(c, MARKETING, bodyEnd, 1);
        break;
      default:
        walkMessage(c, spec.type!, bodyEnd, 1);
    }
    c.pos = bodyEnd;
  }
  return result;
}

function readString(buf: Buffer, start: number, end: number): string {
  const value = readUtf8(buf, start, end, nativeIsUtf8);
  if (value === undefined) throw OUTSIDE;
  return value;
}

/**
 * Recently read feature and action names, by a hash of their bytes: the same
 * few names come in event after event, and a string read once is handed out
 * again for the same bytes instead of a new one per event (which lived until
 * the payload's answer, and was hashed afresh by every Map it was looked up
 * in). A slot holds one name; a name of another's slot replaces it, so a
 * sender of ever new names only ever fills the slots.
 */
const NAME_SLOTS = 256;
/** Longer names are read as they come. */
const MAX_CACHED_NAME = 64;
const cachedNames = new Array<string | undefined>(NAME_SLOTS);
/** The bytes of each slot's name (valid UTF-8: they were read into it). */
const cachedNameBytes = new Array<Uint8Array | undefined>(NAME_SLOTS);

function readName(buf: Buffer, start: number, end: number): string {
  const length = end - start;
  if (length > MAX_CACHED_NAME) return readString(buf, start, end);
  let hash = length;
  for (let i = start; i < end; i++) hash = (Math.imul(hash, 31) + buf[i]!) | 0;
  const slot = hash & (NAME_SLOTS - 1);
  const known = cachedNameBytes[slot];
  if (known !== undefined && known.length === length) {
    let i = 0;
    while (i < length && known[i] === buf[start + i]) i++;
    if (i === length) return cachedNames[slot]!;
  }
  const name = readString(buf, start, end);
  cachedNameBytes[slot] = new Uint8Array(buf.subarray(start, end)); // a copy: buf is the request
  cachedNames[slot] = name;
  return name;
}

function scanTimestamp(c: WireCursor, end: number): { seconds: number | bigint; nanos: number } {
  const timestamp = readTimestamp(c, end);
  if (timestamp === undefined) throw OUTSIDE;
  return timestamp;
}

function scanParameters(c: WireCursor, end: number, result: ScannedEvent): void {
  let seen = 0;
  while (c.pos < end) {
    const fieldStart = c.pos;
    const tag = readVarint32(c, end);
    const fieldNo = tag >>> 3;
    const spec = fieldNo < PARAMETERS.fields.length ? PARAMETERS.fields[fieldNo] : undefined;
    if (spec === undefined) throw OUTSIDE;
    if (spec.kind !== REPEATED) {
      if (seen & (1 << fieldNo)) throw OUTSIDE;
      seen |= 1 << fieldNo;
    }
    if (fieldNo === PRIVATE_METADATA_FIELD) {
      if ((tag & 7) !== WireType.LengthDelimited) throw OUTSIDE;
      const bodyEnd = readLength(c, end);
      result.privateMetadata = { start: fieldStart, end: bodyEnd, bodyStart: c.pos };
      scanPrivateMetadata(c, bodyEnd, result);
      c.pos = bodyEnd;
      continue;
    }
    if (fieldNo === LEGACY_METADATA_FIELD) result.hasLegacyMetadata = true;
    readField(c, tag, spec, end, 1);
  }
}

/** Walks the Struct, counting its distinct top-level keys and noting non-finite numbers. */
function scanPrivateMetadata(c: WireCursor, end: number, result: ScannedEvent): void {
  const buf = c.buf;
  let count = 0;
  let distinct = 0;
  let keys: Set<string> | undefined;
  nonFinite = false;
  while (c.pos < end) {
    const tag = readVarint32(c, end);
    if (tag !== ((1 << 3) | WireType.LengthDelimited)) throw OUTSIDE;
    const entryEnd = readLength(c, end);
    const entryStart = c.pos;
    walkMessage(c, STRUCT.fields[1]!.type!, entryEnd, 2);
    // The key's raw bytes name it exactly (map merges keep the last entry per key). The usual
    // event has a few keys: they are compared as bytes, with no string made per key.
    findEntryKey(buf, entryStart, entryEnd);
    if (keys !== undefined) keys.add(latin1.decode(buf.subarray(keyStart, keyEnd)));
    else if (count < BYTE_COMPARED_KEYS) {
      if (!seenBefore(buf, count)) distinct++;
      keyStarts[count] = keyStart;
      keyEnds[count] = keyEnd;
    } else {
      keys = new Set(Array.from({ length: count }, (_, i) => latin1.decode(buf.subarray(keyStarts[i], keyEnds[i]))));
      keys.add(latin1.decode(buf.subarray(keyStart, keyEnd)));
    }
    count++;
    c.pos = entryEnd;
  }
  result.privateKeyCount = keys?.size ?? distinct;
  result.privateNonFinite = nonFinite;
}

/** Keys compared byte for byte before a Set of strings takes over. */
const BYTE_COMPARED_KEYS = 32;
/** Where the keys seen so far in the Struct being scanned lie (scratch, reused). */
const keyStarts = new Uint32Array(BYTE_COMPARED_KEYS);
const keyEnds = new Uint32Array(BYTE_COMPARED_KEYS);
/** Set by findEntryKey: the key's bytes are [keyStart, keyEnd). */
let keyStart = 0;
let keyEnd = 0;

/** Whether the key at [keyStart, keyEnd) equals one of the first `count` keys. */
function seenBefore(buf: Uint8Array, count: number): boolean {
  const length = keyEnd - keyStart;
  for (let k = 0; k < count; k++) {
    const from = keyStarts[k]!;
    if (keyEnds[k]! - from !== length) continue;
    let i = 0;
    while (i < length && buf[from + i] === buf[keyStart + i]) i++;
    if (i === length) return true;
  }
  return false;
}

/** Finds the key of a map entry already validated by walkMessage (an absent key is the empty one). */
function findEntryKey(buf: Uint8Array, start: number, end: number): void {
  const c: WireCursor = { buf, pos: start };
  keyStart = keyEnd = start;
  while (c.pos < end) {
    const tag = readVarint32(c, end);
    if (tag === ((1 << 3) | WireType.LengthDelimited)) {
      keyEnd = readLength(c, end);
      keyStart = c.pos;
      return;
    }
    if (!skipValue(c, tag & 7, end)) throw OUTSIDE;
  }
}

/** Set by STRUCT_NUMBER fields while a private_metadata Struct is walked. */
let nonFinite = false;

/**
 * The stack of messages walkMessage is inside: a message type, where its body
 * ends, and which of its singular fields it has seen. Reused by every walk
 * (walks never overlap, and hold no bytes): three new arrays a walk were
 * garbage made per private metadata key, a Struct's every map entry being a
 * walk of its own.
 */
const walkTypes = new Array<MessageType>(MAX_SCAN_NESTING + 1);
const walkEnds = new Float64Array(MAX_SCAN_NESTING + 1);
const walkSeens = new Int32Array(MAX_SCAN_NESTING + 1);

/**
 * Validates a message body of `type` between c.pos and `end`, iteratively (a
 * Struct may nest thousands of levels). Leaves c.pos at `end`.
 */
function walkMessage(c: WireCursor, root: MessageType, end: number, depth: number): void {
  let top = 0;
  walkTypes[0] = root;
  walkEnds[0] = end;
  walkSeens[0] = 0;
  while (top >= 0) {
    const msgEnd = walkEnds[top]!;
    if (c.pos >= msgEnd) {
      if (c.pos !== msgEnd) throw OUTSIDE;
      top--;
      continue;
    }
    const msgType = walkTypes[top]!;
    const tag = readVarint32(c, msgEnd);
    const fieldNo = tag >>> 3;
    const spec = fieldNo < msgType.fields.length ? msgType.fields[fieldNo] : undefined;
    if (spec === undefined) throw OUTSIDE;
    if (spec.kind !== REPEATED) {
      const seen = walkSeens[top]!;
      if (seen & (1 << fieldNo) || (msgType.oneof && seen !== 0)) throw OUTSIDE;
      walkSeens[top] = seen | (1 << fieldNo);
    }
    if (spec.kind === MESSAGE || spec.kind === REPEATED) {
      if ((tag & 7) !== WireType.LengthDelimited) throw OUTSIDE;
      const bodyEnd = readLength(c, msgEnd);
      // The messages open, this one's body included, may not pass the limit.
      if (depth + top + 1 > MAX_SCAN_NESTING) throw OUTSIDE;
      top++;
      walkTypes[top] = spec.type!;
      walkEnds[top] = bodyEnd;
      walkSeens[top] = 0;
      continue;
    }
    readScalar(c, tag, spec.kind, msgEnd);
  }
}

/** A field of a nested message (not a message itself): checked and skipped. */
function readField(c: WireCursor, tag: number, spec: FieldSpec, end: number, depth: number): void {
  if (spec.kind === MESSAGE || spec.kind === REPEATED) {
    if ((tag & 7) !== WireType.LengthDelimited) throw OUTSIDE;
    const bodyEnd = readLength(c, end);
    walkMessage(c, spec.type!, bodyEnd, depth + 1);
    return;
  }
  readScalar(c, tag, spec.kind, end);
}

function readScalar(c: WireCursor, tag: number, kind: number, end: number): void {
  const wireType = tag & 7;
  switch (kind) {
    case STRING: {
      if (wireType !== WireType.LengthDelimited) throw OUTSIDE;
      const bodyEnd = readLength(c, end);
      if (!isUtf8(c.buf, c.pos, bodyEnd, nativeIsUtf8)) throw OUTSIDE;
      c.pos = bodyEnd;
      return;
    }
    case VARINT:
      if (wireType !== WireType.Varint) throw OUTSIDE;
      readVarint32(c, end);
      return;
    case DOUBLE:
    case STRUCT_NUMBER: {
      if (wireType !== WireType.Fixed64 || c.pos + 8 > end) throw OUTSIDE;
      if (kind === STRUCT_NUMBER) {
        const buf = c.buf;
        // NaN and the infinities are exactly the doubles whose 11 exponent bits are all set.
        const exponent = ((buf[c.pos + 7]! & 0x7f) << 4) | (buf[c.pos + 6]! >> 4);
        if (exponent === 0x7ff) nonFinite = true;
      }
      c.pos += 8;
      return;
    }
    default:
      throw OUTSIDE;
  }
}

/**
 * The id of an event that does not decode, when its top-level framing still
 * reads up to it: enough to acknowledge it, so the instance stops re-sending
 * an event that can never be recorded. '' when it cannot be told.
 */
export function readEventId(bytes: Uint8Array): string {
  const c: WireCursor = { buf: bytes, pos: 0 };
  let id = '';
  try {
    while (c.pos < bytes.length) {
      const tag = readVarint32(c, bytes.length);
      if (tag === ((1 << 3) | WireType.LengthDelimited)) {
        const end = readLength(c, bytes.length);
        id = nativeIsUtf8(bytes.subarray(c.pos, end)) ? utf8.decode(bytes.subarray(c.pos, end)) : id;
        c.pos = end;
      } else if (!skipValue(c, tag & 7, bytes.length)) {
        break;
      }
    }
  } catch {
    // framing broke after the id, or before it
  }
  return id;
}
