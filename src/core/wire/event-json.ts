import { isUtf8 as nativeIsUtf8 } from 'node:buffer';
import { ScalarType, type DescField, type DescMessage, type JsonObject, type JsonValue } from '@bufbuild/protobuf';
import { FeatureSet_FieldPresence, TimestampSchema } from '@bufbuild/protobuf/wkt';
import { EventSchema } from '../../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import type { ByteOut } from './byte-out.js';
import { bufferOf, readLength, readTimestamp, readUtf8, readVarint32, readVarint64, skipValue, WireError, WireType, type WireCursor } from './wire-cursor.js';

/**
 * An Event's proto3 JSON, the object protobuf-es's toJson makes, built
 * straight from the wire bytes: no message objects, no second pass over them.
 * A store that keeps the downstream record as JSON (PostgreSQL's JSONB
 * column, the sink) spent a third of its CPU in fromBinary + toJson.
 *
 * The plan of each message type comes from the generated descriptors (JSON
 * names, field numbers, presence), so it follows the schema; the rendering
 * follows toJson's rules: fields by number, implicit-presence zeros left out,
 * explicit ones kept, 64-bit integers as strings, NaN and infinities as
 * strings, Timestamps through protobuf-es itself, map keys in the order a
 * plain object gives them. What it does not render returns undefined and
 * the caller decodes: a field that occurs twice (protobuf merges those), a
 * type the Event does not need on the hot path (Struct: private metadata is
 * stripped unless allowlisted), invalid UTF-8, a wire type that does not
 * match. test/core/event-json.test.ts holds it to toJson byte for byte.
 */
export function eventJsonObject(bytes: Uint8Array): JsonObject | undefined {
  try {
    return renderMessage({ buf: bufferOf(bytes), pos: 0 }, bytes.length, EVENT_PLAN);
  } catch (error) {
    if (error === NOT_HERE || error instanceof WireError) return undefined;
    throw error;
  }
}

/** Thrown inside the render when the bytes need the decoder; caught at the top. */
const NOT_HERE = new Error('not rendered from the wire');

const enum Kind {
  String,
  Int32,
  Int64,
  Double,
  Message,
  Timestamp,
  Map,
  /** A field this renderer leaves to the decoder. */
  Unsupported,
}

interface FieldPlan {
  jsonName: string;
  /** `"jsonName":`, as writeEventJson writes it. */
  jsonKey: string;
  kind: Kind;
  /** Implicit presence: the zero value is left out. */
  implicit: boolean;
  message?: MessagePlan;
  /** A map's value kind (keys are strings). */
  mapValue?: Kind;
}

interface MessagePlan {
  /** By field number. */
  fields: (FieldPlan | undefined)[];
  /** Field numbers in ascending order: toJson's key order. */
  order: number[];
}

/** A cursor over a Buffer, for readUtf8. */
interface Cursor extends WireCursor {
  buf: Buffer;
}

const plans = new Map<DescMessage, MessagePlan>();

function planOf(desc: DescMessage): MessagePlan {
  const known = plans.get(desc);
  if (known !== undefined) return known;
  const plan: MessagePlan = { fields: [], order: desc.fields.map((f) => f.number).sort((a, b) => a - b) };
  plans.set(desc, plan);
  for (const field of desc.fields) plan.fields[field.number] = planField(field);
  return plan;
}

function planField(field: DescField): FieldPlan {
  const base = { jsonName: field.jsonName, jsonKey: `${JSON.stringify(field.jsonName)}:`, implicit: field.presence === FeatureSet_FieldPresence.IMPLICIT };
  if (field.oneof !== undefined) return { ...base, kind: Kind.Unsupported };
  switch (field.fieldKind) {
    case 'scalar':
      return { ...base, kind: scalarKind(field.scalar) };
    case 'message':
      if (field.message.typeName === TimestampSchema.typeName) return { ...base, kind: Kind.Timestamp };
      if (field.message.typeName.startsWith('google.protobuf.')) return { ...base, kind: Kind.Unsupported };
      return { ...base, kind: Kind.Message, message: planOf(field.message) };
    case 'map':
      if (field.mapKey !== ScalarType.STRING || field.mapKind !== 'scalar') return { ...base, kind: Kind.Unsupported };
      return { ...base, kind: Kind.Map, mapValue: scalarKind(field.scalar) };
    default:
      return { ...base, kind: Kind.Unsupported };
  }
}

function scalarKind(scalar: ScalarType): Kind {
  switch (scalar) {
    case ScalarType.STRING:
      return Kind.String;
    case ScalarType.INT32:
      return Kind.Int32;
    case ScalarType.INT64:
      return Kind.Int64;
    case ScalarType.DOUBLE:
      return Kind.Double;
    default:
      return Kind.Unsupported;
  }
}

const EVENT_PLAN = planOf(EventSchema);

/** The next tag in [c.pos, end) of a field `plan` knows, or -1 at `end`. Unknown fields are skipped: toJson leaves them out. */
function nextKnownTag(c: Cursor, end: number, plan: MessagePlan): number {
  while (c.pos < end) {
    const tag = readVarint32(c, end);
    if (plan.fields[tag >>> 3] !== undefined) return tag;
    if (!skipValue(c, tag & 7, end)) throw NOT_HERE;
  }
  return -1;
}

function renderMessage(c: Cursor, end: number, plan: MessagePlan): JsonObject {
  const values: (JsonValue | undefined)[] = [];
  for (let tag = nextKnownTag(c, end, plan); tag >= 0; tag = nextKnownTag(c, end, plan)) {
    const fieldNo = tag >>> 3;
    const field = plan.fields[fieldNo]!;
    if (field.kind === Kind.Map) {
      if ((tag & 7) !== WireType.LengthDelimited) throw NOT_HERE;
      const entryEnd = readLength(c, end);
      const map = (values[fieldNo] ??= {}) as JsonObject;
      readMapEntry(c, entryEnd, field.mapValue!, map);
      continue;
    }
    // A singular field seen twice: protobuf merges (messages) or keeps the last (scalars); the decoder knows.
    if (values[fieldNo] !== undefined) throw NOT_HERE;
    values[fieldNo] = readValue(c, tag, end, field);
  }
  const json: JsonObject = {};
  for (const fieldNo of plan.order) {
    const value = values[fieldNo];
    if (value === undefined) continue;
    const field = plan.fields[fieldNo]!;
    if (field.kind === Kind.Map ? Object.keys(value as JsonObject).length === 0 : field.implicit && isZero(value, field.kind)) continue;
    json[field.jsonName] = value;
  }
  return json;
}

function readValue(c: Cursor, tag: number, end: number, field: FieldPlan): JsonValue {
  const wireType = tag & 7;
  switch (field.kind) {
    case Kind.Message:
    case Kind.Timestamp: {
      if (wireType !== WireType.LengthDelimited) throw NOT_HERE;
      const bodyEnd = readLength(c, end);
      const value = field.kind === Kind.Message ? renderMessage(c, bodyEnd, field.message!) : timestampOf(c, bodyEnd);
      c.pos = bodyEnd;
      return value;
    }
    default:
      return readScalar(c, wireType, end, field.kind);
  }
}

function readScalar(c: Cursor, wireType: number, end: number, kind: Kind): JsonValue {
  switch (kind) {
    case Kind.String: {
      if (wireType !== WireType.LengthDelimited) throw NOT_HERE;
      const bodyEnd = readLength(c, end);
      const start = c.pos;
      c.pos = bodyEnd;
      const value = readUtf8(c.buf, start, bodyEnd, nativeIsUtf8);
      if (value === undefined) throw NOT_HERE;
      return value;
    }
    default:
      return numberJson(readNumber(c, wireType, end, kind), kind);
  }
}

/** An Int32, Int64 or Double field's value, before it is made JSON (numberJson). */
function readNumber(c: Cursor, wireType: number, end: number, kind: Kind): number | bigint {
  switch (kind) {
    case Kind.Int32:
      if (wireType !== WireType.Varint) throw NOT_HERE;
      return readVarint32(c, end) | 0;
    case Kind.Int64:
      if (wireType !== WireType.Varint) throw NOT_HERE;
      return readVarint64(c, end);
    case Kind.Double: {
      if (wireType !== WireType.Fixed64 || c.pos + 8 > end) throw NOT_HERE;
      const value = c.buf.readDoubleLE(c.pos);
      c.pos += 8;
      return value;
    }
    default:
      throw NOT_HERE;
  }
}

/** As toJson: 64-bit integers as strings, NaN and infinities as strings, other numbers as numbers. */
function numberJson(value: number | bigint, kind: Kind): number | string {
  if (kind === Kind.Int64) return String(value);
  const n = value as number;
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  return n;
}

/** A map entry's value when the entry has none, as protobuf-es fills it in. */
function mapValueZero(kind: Kind): JsonValue {
  return kind === Kind.String ? '' : kind === Kind.Int64 ? '0' : 0;
}

/** One map<string, scalar> entry into `map`, keyed as protobuf-es keys it (a later entry of a key wins). */
function readMapEntry(c: Cursor, end: number, valueKind: Kind, map: JsonObject): void {
  let key = '';
  let value: JsonValue | undefined;
  while (c.pos < end) {
    const tag = readVarint32(c, end);
    const fieldNo = tag >>> 3;
    if (fieldNo === 1) key = readScalar(c, tag & 7, end, Kind.String) as string;
    else if (fieldNo === 2) value = readScalar(c, tag & 7, end, valueKind);
    else if (!skipValue(c, tag & 7, end)) throw NOT_HERE;
  }
  value ??= mapValueZero(valueKind);
  // As protobuf-es's setOwn: "__proto__" would otherwise set the prototype, not a key.
  if (key === '__proto__') Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true });
  else map[key] = value;
}

/** A Timestamp as toJson writes it. */
function timestampOf(c: Cursor, end: number): string {
  const timestamp = readTimestamp(c, end);
  if (timestamp === undefined) throw NOT_HERE;
  return timestampJson(timestamp.seconds, timestamp.nanos);
}

// protobuf-es's bounds and format for Timestamp JSON (RFC 3339, UTC, 0/3/6/9 fraction digits).
const MIN_MS = -62_135_596_800_000; // 0001-01-01T00:00:00Z
const MAX_MS = 253_402_300_799_000; // 9999-12-31T23:59:59Z

/** The last whole second formatted, `YYYY-MM-DDTHH:MM:SS`: the events of a payload are mostly of a few seconds. */
let lastSecondMs = NaN;
let lastSecondText = '';

function timestampJson(seconds: number | bigint, nanos: number): string {
  const ms = Number(seconds) * 1000;
  // Outside these toJson throws: the decoder's path decides what that means.
  if (!(ms >= MIN_MS && ms <= MAX_MS) || nanos < 0 || nanos > 999_999_999) throw NOT_HERE;
  let fraction = 'Z';
  if (nanos > 0) {
    const digits = String(nanos + 1_000_000_000).slice(1);
    fraction = digits.endsWith('000000') ? `.${digits.slice(0, 3)}Z` : digits.endsWith('000') ? `.${digits.slice(0, 6)}Z` : `.${digits}Z`;
  }
  if (ms !== lastSecondMs) {
    lastSecondMs = ms;
    lastSecondText = new Date(ms).toISOString().slice(0, -5); // without ".000Z"
  }
  return lastSecondText + fraction;
}

function isZero(value: JsonValue, kind: Kind): boolean {
  switch (kind) {
    case Kind.String:
      return value === '';
    case Kind.Int64:
      return value === '0';
    case Kind.Int32:
    case Kind.Double:
      return value === 0;
    default:
      return false;
  }
}

/**
 * JSON.stringify(eventJsonObject(bytes)), written as UTF-8 straight into `out`:
 * no object, no JS string per field, strings escaped byte by byte as
 * JSON.stringify escapes them. For the PostgreSQL store's JSONB column,
 * where building and stringifying the object was a third of the gateway's CPU.
 * Returns false, with `out` as it was, for what eventJsonObject leaves to the
 * decoder and for what a one-pass writer cannot order as toJson does: fields
 * out of field-number order, a map whose entries are split by other fields,
 * repeat a key, or use an array-index key (a plain object lists those first);
 * the caller then takes the object path. test/core/event-json.test.ts holds
 * all three to toJson.
 */
export function writeEventJson(bytes: Uint8Array, out: ByteOut): boolean {
  const start = out.length;
  try {
    writeMessage({ buf: bufferOf(bytes), pos: 0 }, bytes.length, EVENT_PLAN, out);
    return true;
  } catch (error) {
    out.length = start;
    if (error === NOT_HERE || error instanceof WireError) return false;
    throw error;
  }
}

const enum Ascii {
  Quote = 0x22,
  Comma = 0x2c,
  Colon = 0x3a,
  Backslash = 0x5c,
  OpenBrace = 0x7b,
  CloseBrace = 0x7d,
}

function writeMessage(c: Cursor, end: number, plan: MessagePlan, out: ByteOut): void {
  out.byte(Ascii.OpenBrace);
  let empty = true;
  /** The last field number read: fields must come in ascending order, each once (a map's entries together). */
  let last = 0;
  /** Keys of the map whose entries are being written (its field number is `last`), else undefined. */
  let mapKeys: string[] | undefined;
  for (let tag = nextKnownTag(c, end, plan); tag >= 0; tag = nextKnownTag(c, end, plan)) {
    const fieldNo = tag >>> 3;
    const field = plan.fields[fieldNo]!;
    if (field.kind === Kind.Map && mapKeys !== undefined && fieldNo === last) {
      // The next entry of the open map.
      if ((tag & 7) !== WireType.LengthDelimited) throw NOT_HERE;
      out.byte(Ascii.Comma);
      writeMapEntry(c, readLength(c, end), field.mapValue!, out, mapKeys);
      continue;
    }
    if (mapKeys !== undefined) {
      out.byte(Ascii.CloseBrace);
      mapKeys = undefined;
    }
    if (fieldNo <= last) throw NOT_HERE;
    last = fieldNo;
    const wireType = tag & 7;
    switch (field.kind) {
      case Kind.Map:
        if (wireType !== WireType.LengthDelimited) throw NOT_HERE;
        writeKey(out, field, empty);
        out.byte(Ascii.OpenBrace);
        mapKeys = [];
        writeMapEntry(c, readLength(c, end), field.mapValue!, out, mapKeys);
        break;
      case Kind.Message: {
        if (wireType !== WireType.LengthDelimited) throw NOT_HERE;
        const bodyEnd = readLength(c, end);
        writeKey(out, field, empty);
        writeMessage(c, bodyEnd, field.message!, out);
        c.pos = bodyEnd;
        break;
      }
      case Kind.Timestamp: {
        if (wireType !== WireType.LengthDelimited) throw NOT_HERE;
        const bodyEnd = readLength(c, end);
        const text = timestampOf(c, bodyEnd);
        c.pos = bodyEnd;
        writeKey(out, field, empty);
        out.byte(Ascii.Quote);
        out.ascii(text);
        out.byte(Ascii.Quote);
        break;
      }
      default:
        if (!writeScalarField(c, wireType, end, field, out, empty)) continue;
    }
    empty = false;
  }
  if (mapKeys !== undefined) out.byte(Ascii.CloseBrace);
  out.byte(Ascii.CloseBrace);
}

function writeKey(out: ByteOut, field: FieldPlan, first: boolean): void {
  if (!first) out.byte(Ascii.Comma);
  out.ascii(field.jsonKey);
}

/** A scalar field with its key, or nothing for an implicit-presence zero; returns whether it wrote. */
function writeScalarField(c: Cursor, wireType: number, end: number, field: FieldPlan, out: ByteOut, first: boolean): boolean {
  if (field.kind === Kind.String) {
    if (wireType !== WireType.LengthDelimited) throw NOT_HERE;
    const bodyEnd = readLength(c, end);
    const start = c.pos;
    c.pos = bodyEnd;
    if (field.implicit && bodyEnd === start) return false;
    writeKey(out, field, first);
    writeString(c.buf, start, bodyEnd, out);
    return true;
  }
  const value = readNumber(c, wireType, end, field.kind);
  if (field.implicit && value === 0) return false;
  writeKey(out, field, first);
  writeNumber(value, field.kind, out);
  return true;
}

/** numberJson's value as JSON text. */
function writeNumber(value: number | bigint, kind: Kind, out: ByteOut): void {
  const json = numberJson(value, kind);
  if (typeof json === 'string') {
    out.byte(Ascii.Quote);
    out.ascii(json);
    out.byte(Ascii.Quote);
  } else {
    out.ascii(String(json)); // -0 writes "0", as JSON.stringify does
  }
}

/**
 * One map<string, scalar> entry, `"key":value`. Its key and value may come in either order, or be
 * missing (then '' or zero): read first, written after. A key a plain object would move (an array
 * index) or that repeats (a later entry wins, in the first one's place) is left to the object path.
 */
function writeMapEntry(c: Cursor, end: number, valueKind: Kind, out: ByteOut, keys: string[]): void {
  let keyStart = 0;
  let keyEnd = 0;
  let valueAt = -1;
  let valueWireType = 0;
  let seen = 0;
  while (c.pos < end) {
    const tag = readVarint32(c, end);
    const fieldNo = tag >>> 3;
    // A key or value given twice: the object path checks each occurrence, this one only reads the last.
    if (fieldNo === 1 || fieldNo === 2) {
      if (seen & fieldNo) throw NOT_HERE;
      seen |= fieldNo;
    }
    if (fieldNo === 1) {
      if ((tag & 7) !== WireType.LengthDelimited) throw NOT_HERE;
      keyEnd = readLength(c, end);
      keyStart = c.pos;
      c.pos = keyEnd;
    } else if (fieldNo === 2) {
      valueAt = c.pos;
      valueWireType = tag & 7;
      if (!skipValue(c, valueWireType, end)) throw NOT_HERE;
    } else if (!skipValue(c, tag & 7, end)) throw NOT_HERE;
  }
  const key = readUtf8(c.buf, keyStart, keyEnd, nativeIsUtf8);
  if (key === undefined || isArrayIndex(key) || keys.includes(key)) throw NOT_HERE;
  keys.push(key);
  writeString(c.buf, keyStart, keyEnd, out);
  out.byte(Ascii.Colon);
  if (valueAt < 0) {
    out.ascii(JSON.stringify(mapValueZero(valueKind)));
    return;
  }
  const entryEnd = c.pos;
  c.pos = valueAt;
  if (valueKind === Kind.String) {
    if (valueWireType !== WireType.LengthDelimited) throw NOT_HERE;
    const bodyEnd = readLength(c, end);
    writeString(c.buf, c.pos, bodyEnd, out);
  } else {
    writeNumber(readNumber(c, valueWireType, end, valueKind), valueKind, out);
  }
  c.pos = entryEnd;
}

/** Whether a plain object orders `key` as an array index (ahead of the other keys, by value). */
function isArrayIndex(key: string): boolean {
  return /^(?:0|[1-9]\d{0,9})$/.test(key) && Number(key) < 4294967295;
}

/** The 32 control characters as JSON.stringify escapes them. */
const CONTROL_ESCAPES = Array.from({ length: 0x20 }, (_, b) => JSON.stringify(String.fromCharCode(b)).slice(1, -1));

/**
 * The proto3 string in [start, end) as a JSON string: bytes copied as they are, but for `"`, `\`
 * and control characters, escaped as JSON.stringify escapes them (a proto3 string is valid UTF-8,
 * so it holds no lone surrogate, the one other thing JSON.stringify escapes). Not UTF-8: NOT_HERE.
 */
function writeString(buf: Buffer, start: number, end: number, out: ByteOut): void {
  out.reserve(2 + 6 * (end - start));
  const to = out.buffer;
  let at = out.length;
  let ascii = true;
  to[at++] = Ascii.Quote;
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (b >= 0x20 && b !== Ascii.Quote && b !== Ascii.Backslash) {
      if (b >= 0x80) ascii = false;
      to[at++] = b;
    } else if (b >= 0x20) {
      to[at++] = Ascii.Backslash;
      to[at++] = b;
    } else {
      const escape = CONTROL_ESCAPES[b]!;
      for (let k = 0; k < escape.length; k++) to[at++] = escape.charCodeAt(k);
    }
  }
  if (!ascii && !nativeIsUtf8(buf.subarray(start, end))) throw NOT_HERE;
  to[at++] = Ascii.Quote;
  out.length = at;
}
