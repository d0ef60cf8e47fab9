import { create, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import {
  EventSchema,
  RecordEventsRequestMetadataSchema,
  RecordEventsRequestSchema,
} from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';

/**
 * Structure-aware RecordEvents streams for fuzzing. A plan is the raw bytes of
 * each request message, so it can carry what generated messages cannot
 * (invalid UTF-8, structures nested deeper than the runtime recurses). What the
 * gateway must answer is derived from those bytes by model.ts, not from the
 * intentions here.
 */

export interface StreamPlan {
  /** `authorization` header of the call, if any. */
  authorization: string | undefined;
  requests: Uint8Array[];
}

export interface PlanOptions {
  /** The service token the gateway accepts (sha256 in its token list). */
  validToken: string;
  /** Largest request the plans may make on purpose (the gateway's max message size, with some above it). */
  maxMessageBytes: number;
  /** Requests per stream (upper bound). */
  maxRequests: number;
  /**
   * How much more often ordinary values come than heavy ones (absurdly long
   * strings, maps of thousands of entries, requests over the size limit): 1
   * in tests; the long run raises it to spend its time on more cases.
   */
  commonWeight: number;
}

/** Bounds and odds of the heavy values. */
interface Heavy {
  bytes: number;
  common: number;
}

/** Event init fields, loosely typed so variants can be spread; checked by create() at run time. */
type EventInit = { parameters?: Record<string, unknown> } & Record<string, unknown>;

/** 12 ASCII bytes that generated strings never contain; replaced by invalid UTF-8 after encoding. */
const UTF8_MARKER = '\u0007\u0007fuzzutf8\u0007\u0007\u0007';
const INVALID_UTF8: readonly number[][] = [
  [0xff],
  [0xc0, 0x80], // overlong NUL
  [0xed, 0xa0, 0x80], // UTF-16 surrogate
  [0xe2, 0x82], // truncated
  [0xf8, 0x88, 0x80, 0x80, 0x80], // 5-byte form
  [0x80, 0x80],
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
];

const text = (maxLength = 40): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.string({ maxLength }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength }) },
  );

/** Sometimes absurdly long. */
const sizedText = (maxLength: number, heavy: Heavy): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 20 * heavy.common, arbitrary: text(maxLength) },
    { weight: 1, arbitrary: fc.integer({ min: 65, max: heavy.bytes }).chain((n) => fc.constantFrom('x', 'é', '\u{1F600}').map((c) => c.repeat(n / c.length))) },
  );

const validName = fc.stringMatching(/^[a-z][a-zA-Z.-]{1,20}$/);
const eventName = (heavy: Heavy): fc.Arbitrary<string> =>
  fc.oneof({ weight: 6, arbitrary: validName }, { weight: 1, arbitrary: sizedText(80, heavy) }, { weight: 1, arbitrary: fc.constant('') });

const identifierText = (heavy: Heavy): fc.Arbitrary<string> =>
  fc.oneof({ weight: 3, arbitrary: fc.uuid() }, { weight: 1, arbitrary: fc.constant('') }, { weight: 3, arbitrary: sizedText(40, heavy) });

const double = fc.oneof(
  { weight: 3, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, Number.MAX_VALUE, Number.MIN_VALUE) },
);

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });

/** A map with sometimes a great many entries. */
const map = <T>(value: fc.Arbitrary<T>, heavy: Heavy, hugeEntries = 5000): fc.Arbitrary<Record<string, T>> =>
  fc.oneof(
    { weight: 8 * heavy.common, arbitrary: fc.dictionary(text(20), value, { maxKeys: 6 }) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.integer({ min: 100, max: hugeEntries }), value).map(([n, v]) => {
        const out: Record<string, T> = {};
        for (let i = 0; i < n; i++) out[`k${i}`] = v;
        return out;
      }),
    },
  );

/** JSON for google.protobuf.Struct (protobuf-es takes a JsonObject), with NaN and Infinity (which proto3 JSON cannot render). */
type Json = number | string | boolean | null | Json[] | { [key: string]: Json };
const jsonTree: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    double,
    text(20),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(text(10), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A Struct nested `depth` levels as {"a": {"a": ...}}, written without recursion. */
export function deepStructBytes(depth: number): Uint8Array {
  const varintLength = (n: number): number => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);
  const structSizes = [0];
  const valueSizes = [0];
  const entrySizes = [0];
  for (let i = 1; i <= depth; i++) {
    const inner = structSizes[i - 1]!;
    const value = 1 + varintLength(inner) + inner; // Value.struct_value = 5
    const entry = 3 + 1 + varintLength(value) + value; // key "a", value
    valueSizes.push(value);
    entrySizes.push(entry);
    structSizes.push(1 + varintLength(entry) + entry); // Struct.fields = 1
  }
  const writer = new BinaryWriter();
  for (let i = depth; i >= 1; i--) {
    writer.tag(1, WireType.LengthDelimited).uint32(entrySizes[i]!);
    writer.tag(1, WireType.LengthDelimited).uint32(1).raw(new Uint8Array([0x61]));
    writer.tag(2, WireType.LengthDelimited).uint32(valueSizes[i]!);
    writer.tag(5, WireType.LengthDelimited).uint32(structSizes[i - 1]!);
  }
  return writer.finish();
}

interface EventSpec {
  init: EventInit;
  /** Raw Struct bytes appended as parameters.private_metadata (deep nesting). */
  deepPrivate: number;
}

const eventSpec = (heavy: Heavy): fc.Arbitrary<EventSpec> =>
  fc.record({
    id: identifierText(heavy),
    timestamp: fc.option(
      fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 0, max: 4_000_000_000 }).map((s) => ({ seconds: BigInt(s), nanos: 0 })) },
        { weight: 1, arbitrary: fc.record({ seconds: int64, nanos: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }) },
      ),
      { freq: 8 },
    ),
    feature: eventName(heavy),
    action: eventName(heavy),
    version: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    legacy: map(int64, heavy),
    metadata: map(double, heavy),
    privateMetadata: fc.option(fc.dictionary(text(10), jsonTree, { maxKeys: 5 }), { freq: 3 }),
    flags: fc.option(map(text(20), heavy), { freq: 4 }),
    marketing: fc.option(fc.record({ url: text(40), cohortId: text(10) }), { freq: 6 }),
    userId: fc.option(int64, { freq: 3 }),
    // protobuf-es stops at 100 nested messages (about 32 Struct levels inside an event).
    deepPrivate: fc.oneof(
      { weight: 30 * heavy.common, arbitrary: fc.constant(0) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 40 }) },
      { weight: 1, arbitrary: fc.integer({ min: 41, max: 300 }) },
      { weight: 1, arbitrary: fc.integer({ min: 1000, max: 30_000 }) },
    ),
  }).map((r) => ({
    deepPrivate: r.deepPrivate,
    init: {
      id: r.id,
      timestamp: r.timestamp ?? undefined,
      feature: r.feature,
      action: r.action,
      source: { server: { version: '5.11.0' } },
      parameters: {
        version: r.version,
        legacyMetadata: r.legacy,
        metadata: r.metadata,
        privateMetadata: r.privateMetadata ?? undefined,
      },
      featureFlags: r.flags === null ? undefined : { flags: r.flags },
      marketingTracking: r.marketing ?? undefined,
      user: r.userId === null ? undefined : { userId: r.userId },
    },
  }));

function encodeEvent(spec: EventSpec): Uint8Array {
  const bytes = toBinary(EventSchema, create(EventSchema, spec.init as MessageInitShape<typeof EventSchema>));
  if (spec.deepPrivate === 0) return bytes;
  const struct = deepStructBytes(spec.deepPrivate);
  const params = new BinaryWriter().tag(3, WireType.LengthDelimited).bytes(struct).finish();
  // A second parameters field merges into the first (protobuf concatenation).
  return concat(bytes, new BinaryWriter().tag(6, WireType.LengthDelimited).bytes(params).finish());
}

type MetadataInit = MessageInitShape<typeof RecordEventsRequestMetadataSchema>;

const licenseKeyGarbage = (heavy: Heavy): fc.Arbitrary<string> =>
  fc.oneof(
    sizedText(200, heavy),
    fc.base64String({ maxLength: 400 }),
    fc.json().map((json) => Buffer.from(json).toString('base64url')),
    fc
      .record({ format: fc.constantFrom('ssh-rsa', 'ssh-ed25519', 'rsa-sha2-512', 'x'), blob: fc.base64String({ maxLength: 200 }), info: fc.json() })
      .map(({ format, blob, info }) =>
        Buffer.from(JSON.stringify({ sig: { Format: format, Blob: blob, Rest: null }, info: Buffer.from(info).toString('base64') })).toString('base64url'),
      ),
    fc.tuple(fc.base64String({ maxLength: 300 }), fc.array(fc.constantFrom(' ', '\n', '\t', '\u00a0', '\u2028'))).map(([s, ws]) => ws.join('') + s + ws.join('')),
  );

const metadataInit = (heavy: Heavy): fc.Arbitrary<MetadataInit> =>
  fc.record({
    requestId: sizedText(40, heavy),
    identifier: fc.oneof(
      { weight: 6, arbitrary: fc.record({ instanceId: identifierText(heavy), externalUrl: text(60) }).map((value) => ({ identifier: { case: 'unlicensedInstance' as const, value } })) },
      { weight: 2, arbitrary: fc.record({ licenseKey: licenseKeyGarbage(heavy), instanceId: identifierText(heavy), externalUrl: text(60) }).map((value) => ({ identifier: { case: 'licensedInstance' as const, value } })) },
      { weight: 3, arbitrary: fc.record({ serviceId: identifierText(heavy), serviceEnvironment: fc.option(text(10), { nil: undefined }) }).map((value) => ({ identifier: { case: 'managedService' as const, value } })) },
      { weight: 1, arbitrary: fc.constant({}) },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ),
  });

/** One request, before encoding. */
type RequestSpec =
  | { kind: 'none' }
  | { kind: 'metadata'; metadata: MetadataInit }
  | { kind: 'events'; events: EventSpec[] }
  | { kind: 'oversize'; bytes: number };

function encodeRequest(spec: RequestSpec): Uint8Array {
  switch (spec.kind) {
    case 'none':
      return new Uint8Array();
    case 'metadata':
      return toBinary(RecordEventsRequestSchema, create(RecordEventsRequestSchema, { payload: { case: 'metadata', value: spec.metadata } }));
    case 'events': {
      const writer = new BinaryWriter().tag(2, WireType.LengthDelimited).fork();
      for (const event of spec.events) writer.tag(1, WireType.LengthDelimited).bytes(encodeEvent(event));
      return writer.join().finish();
    }
    case 'oversize': {
      // An events payload of one event whose id is `bytes` long: valid, but over the message limit.
      const event = toBinary(EventSchema, create(EventSchema, { id: 'x'.repeat(spec.bytes), feature: 'fuzz', action: 'big' }));
      return new BinaryWriter().tag(2, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).bytes(event).join().finish();
    }
  }
}

/** Replaces the first UTF8_MARKER in `bytes` (same length) with invalid UTF-8 padded with ASCII. */
function injectInvalidUtf8(bytes: Uint8Array, which: number): Uint8Array {
  const marker = Buffer.from(UTF8_MARKER);
  const at = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(marker);
  if (at < 0) return bytes;
  const out = Uint8Array.from(bytes);
  const invalid = INVALID_UTF8[which % INVALID_UTF8.length]!;
  out.fill(0x61, at, at + marker.length);
  out.set(invalid, at + (which % (marker.length - invalid.length + 1)));
  return out;
}

/** Puts the marker into one string field of a request spec (a field chosen by `slot`). */
function plantMarker(spec: RequestSpec, slot: number): RequestSpec {
  if (spec.kind === 'metadata') {
    const identifier = spec.metadata.identifier?.identifier;
    if (slot % 3 === 0 || identifier === undefined || identifier.case === undefined) return { kind: 'metadata', metadata: { ...spec.metadata, requestId: UTF8_MARKER } };
    const field = { unlicensedInstance: 'instanceId', licensedInstance: 'licenseKey', managedService: 'serviceId' }[identifier.case];
    const value = { ...identifier.value, [field]: UTF8_MARKER };
    return { kind: 'metadata', metadata: { ...spec.metadata, identifier: { identifier: { case: identifier.case, value } } } as MetadataInit };
  }
  if (spec.kind !== 'events' || spec.events.length === 0) return spec;
  const events = [...spec.events];
  const i = slot % events.length;
  const { init } = events[i]!;
  const params = init.parameters ?? {};
  const variants: EventInit[] = [
    { ...init, id: UTF8_MARKER },
    { ...init, feature: UTF8_MARKER },
    { ...init, parameters: { ...params, metadata: { [UTF8_MARKER]: 1 } } },
    { ...init, featureFlags: { flags: { flag: UTF8_MARKER } } },
    { ...init, parameters: { ...params, privateMetadata: { [UTF8_MARKER]: 'v' } } },
    { ...init, parameters: { ...params, privateMetadata: { k: [1, { k: UTF8_MARKER }] } } },
    { ...init, marketingTracking: { url: UTF8_MARKER } },
  ];
  events[i] = { ...events[i]!, init: variants[Math.floor(slot / 7) % variants.length]! };
  return { kind: 'events', events };
}

/** Byte-level damage to an encoded request: flips, truncation, insertion. */
interface Mutation {
  kind: 'flip' | 'truncate' | 'insert' | 'overwrite';
  at: number;
  value: number;
  count: number;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('flip' as const, 'truncate' as const, 'insert' as const, 'overwrite' as const),
  at: fc.nat(),
  value: fc.integer({ min: 0, max: 255 }),
  count: fc.integer({ min: 1, max: 8 }),
});

export function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  if (bytes.length === 0) return Uint8Array.from([m.value]);
  const at = m.at % bytes.length;
  switch (m.kind) {
    case 'flip': {
      const out = Uint8Array.from(bytes);
      for (let i = 0; i < m.count; i++) out[(at + i * 7) % out.length]! ^= 1 << ((m.value + i) % 8);
      return out;
    }
    case 'truncate':
      return bytes.subarray(0, at);
    case 'insert':
      return concat(bytes.subarray(0, at), new Uint8Array(m.count).fill(m.value), bytes.subarray(at));
    default: {
      const out = Uint8Array.from(bytes);
      out.fill(m.value, at, Math.min(out.length, at + m.count));
      return out;
    }
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A request spec, and how (rarely) to damage it. */
const requestArb = (options: PlanOptions, heavy: Heavy): fc.Arbitrary<Uint8Array> =>
  fc
    .record({
      spec: fc.oneof(
        { weight: 2 * heavy.common, arbitrary: fc.constant<RequestSpec>({ kind: 'none' }) },
        { weight: 2 * heavy.common, arbitrary: metadataInit(heavy).map((metadata): RequestSpec => ({ kind: 'metadata', metadata })) },
        { weight: 14 * heavy.common, arbitrary: fc.array(eventSpec(heavy), { maxLength: 6 }).map((events): RequestSpec => ({ kind: 'events', events })) },
        { weight: 1, arbitrary: fc.integer({ min: options.maxMessageBytes - 64, max: options.maxMessageBytes + 4096 }).map((bytes): RequestSpec => ({ kind: 'oversize', bytes })) },
      ),
      damage: fc.oneof(
        { weight: 40, arbitrary: fc.constant(undefined) },
        { weight: 2, arbitrary: fc.nat().map((slot) => ({ utf8: slot })) },
        { weight: 1, arbitrary: mutation.map((m) => ({ mutation: m })) },
      ),
    })
    .map(({ spec, damage }) => {
      if (damage && 'utf8' in damage) return injectInvalidUtf8(encodeRequest(plantMarker(spec, damage.utf8)), damage.utf8);
      const bytes = encodeRequest(spec);
      return damage ? mutate(bytes, damage.mutation) : bytes;
    });

/**
 * A stream: usually metadata first, then requests of every kind in any order.
 * Oversized strings stay under a quarter of maxMessageBytes; whole requests
 * over it are made on purpose, rarely.
 */
export function streamPlanArb(options: PlanOptions): fc.Arbitrary<StreamPlan> {
  const heavy: Heavy = { bytes: Math.min(200_000, Math.floor(options.maxMessageBytes / 4)), common: options.commonWeight };
  const validMetadata = fc
    .record({ instanceId: fc.uuid(), service: fc.boolean() })
    .map(({ instanceId, service }) =>
      toBinary(
        RecordEventsRequestSchema,
        create(RecordEventsRequestSchema, {
          payload: {
            case: 'metadata',
            value: service
              ? { requestId: instanceId, identifier: { identifier: { case: 'managedService', value: { serviceId: 'fuzz-service' } } } }
              : { requestId: instanceId, identifier: { identifier: { case: 'unlicensedInstance', value: { instanceId, externalUrl: 'https://fuzz.example' } } } },
          },
        }),
      ),
    );
  const plan = fc.record({
    authorization: fc.oneof(
      { weight: 6, arbitrary: fc.constant(`Bearer ${options.validToken}`) },
      { weight: 1, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: text(60).map((t) => t.replace(/[^\x20-\x7e]/g, '')) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }).map((t) => `Bearer ${t.replace(/[^\x21-\x7e]/g, 'x')}`) },
    ),
    requests: fc.oneof(
      { weight: 5, arbitrary: fc.tuple(validMetadata, fc.array(requestArb(options, heavy), { maxLength: options.maxRequests - 1 })).map(([first, rest]) => [first, ...rest]) },
      { weight: 1, arbitrary: fc.array(requestArb(options, heavy), { maxLength: options.maxRequests }) },
    ),
  });
  // fast-check prints counterexamples: sizes and a hex prefix, not megabytes of numbers.
  return plan.map((p) => Object.assign(p, { [fc.toStringMethod]: () => describePlan(p) }));
}

/** A short description of a plan for failure reports. */
export function describePlan(plan: StreamPlan): string {
  const requests = plan.requests.map((r) => `${r.length}:${Buffer.from(r.subarray(0, 24)).toString('hex')}${r.length > 24 ? '...' : ''}`);
  return `{authorization: ${JSON.stringify(plan.authorization?.slice(0, 40))}, requests: [${requests.join(', ')}]}`;
}

export const INVALID_UTF8_MARKER_FOR_TESTS = UTF8_MARKER;
