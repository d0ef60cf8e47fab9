import { isUtf8 as nativeIsUtf8 } from 'node:buffer';
import { ScalarType, type DescField, type DescMessage, type JsonObject, type JsonValue } from '@bufbuild/protobuf';
import { FeatureSet_FieldPresence, TimestampSchema } from '@bufbuild/protobuf/wkt';
import { EventSchema } from '../../gen/telemetrygateway/v1/telemetrygateway_pb.js';
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
  const base = { jsonName: field.jsonName, implicit: field.presence === FeatureSet_FieldPresence.IMPLICIT };
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
function renderMessage(c: Cursor, end: number, plan: MessagePlan): JsonObject {
  const values: (JsonValue | undefined)[] = [];
  while (c.pos < end) {
    const tag = readVarint32(c, end);
    const fieldNo = tag >>> 3;
    const field = plan.fields[fieldNo];
    if (field === undefined) {
      // Unknown fields: toJson leaves them out.
      if (!skipValue(c, tag & 7, end)) throw NOT_HERE;
      continue;
    }
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
    case Kind.Int32:
      if (wireType !== WireType.Varint) throw NOT_HERE;
      return readVarint32(c, end) | 0;
    case Kind.Int64:
      if (wireType !== WireType.Varint) throw NOT_HERE;
      return String(readVarint64(c, end));
    case Kind.Double: {
      if (wireType !== WireType.Fixed64 || c.pos + 8 > end) throw NOT_HERE;
      const value = new DataView(c.buf.buffer, c.buf.byteOffset + c.pos, 8).getFloat64(0, true);
      c.pos += 8;
      if (Number.isNaN(value)) return 'NaN';
      if (value === Infinity) return 'Infinity';
      if (value === -Infinity) return '-Infinity';
      return value;
    }
    default:
      throw NOT_HERE;
  }
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
  value ??= valueKind === Kind.String ? '' : valueKind === Kind.Int64 ? '0' : 0;
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

function timestampJson(seconds: number | bigint, nanos: number): string {
  const ms = Number(seconds) * 1000;
  // Outside these toJson throws: the decoder's path decides what that means.
  if (!(ms >= MIN_MS && ms <= MAX_MS) || nanos < 0 || nanos > 999_999_999) throw NOT_HERE;
  let fraction = 'Z';
  if (nanos > 0) {
    const digits = String(nanos + 1_000_000_000).slice(1);
    fraction = digits.endsWith('000000') ? `.${digits.slice(0, 3)}Z` : digits.endsWith('000') ? `.${digits.slice(0, 6)}Z` : `.${digits}Z`;
  }
  return new Date(ms).toISOString().replace('.000Z', fraction);
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
