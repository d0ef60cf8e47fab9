import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { create, equals, fromBinary, toBinary, toJson, type DescMessage } from '@bufbuild/protobuf';
import {
  IdentifierSchema,
  RecordEventRequestSchema,
  RecordEventsRequestSchema,
  RecordEventsResponseSchema,
  EventUserSchema,
  EventSchema,
  EventMarketingTrackingSchema,
} from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { decodeRecordEventRequest, decodeRecordEventsRequest, encodeRecordEventsResponse } from '../../src/adapters/grpc/codec.js';
import { AckList } from '../../src/core/wire/ack-list.js';
import { eventListToArray } from '../../src/core/wire/event-list.js';
import { TESTDATA } from '../helpers/paths.js';

const WIRE = join(TESTDATA, 'wire');
const schemaFor = (name: string): DescMessage => (name.startsWith('response') ? RecordEventsResponseSchema : RecordEventsRequestSchema);

describe('wire vectors from an independent protobuf runtime (Python upb)', () => {
  const vectors = readdirSync(WIRE).filter((f) => f.endsWith('.bin'));
  it('has vectors to check', () => assert.ok(vectors.length >= 5));

  for (const file of vectors) {
    it(`${file} decodes to its JSON twin and re-encodes to bytes that decode identically`, () => {
      const schema = schemaFor(file);
      const bytes = readFileSync(join(WIRE, file));
      const expected = JSON.parse(readFileSync(join(WIRE, file.replace(/\.bin$/, '.json')), 'utf8'));
      const message = fromBinary(schema, bytes);
      assert.deepEqual(toJson(schema, message), expected);
      const again = fromBinary(schema, toBinary(schema, message));
      assert.deepEqual(toJson(schema, again), expected);
    });
  }

  it("the gateway codec keeps each event's exact wire bytes", () => {
    const bytes = readFileSync(join(WIRE, 'request-events.bin'));
    const decoded = decodeRecordEventsRequest(bytes);
    assert.equal(decoded.payload, 'events');
    if (decoded.payload !== 'events') return;
    assert.equal(decoded.events.length, 6);
    const events = fromBinary(RecordEventsRequestSchema, bytes);
    assert.equal(events.payload.case, 'events');
    eventListToArray(decoded.events).forEach((eventBytes, i) => {
      assert.equal(eventBytes.buffer, bytes.buffer, 'event bytes are a view into the request, not a copy');
      assert.ok(equals(EventSchema, fromBinary(EventSchema, eventBytes), events.payload.case === 'events' ? events.payload.value.events[i]! : create(EventSchema)));
    });
  });
});

const eventId = (bytes: Uint8Array): string => fromBinary(EventSchema, bytes).id;

/** Bytes assembled by hand from PROTOCOL.md's field numbers, for what the vectors do not cover. */
describe('hand-assembled bytes (PROTOCOL.md field numbers)', () => {
  const hex = (text: string): Uint8Array => Buffer.from(text.replace(/\s+/g, ''), 'hex');

  it('Identifier.managed_service = 3 {service_id = 1, service_environment = 2 (optional)}', () => {
    const bytes = hex('1a 0b  0a 03 737663  12 04 70726f64');
    assert.deepEqual(toJson(IdentifierSchema, fromBinary(IdentifierSchema, bytes)), {
      managedService: { serviceId: 'svc', serviceEnvironment: 'prod' },
    });
    assert.deepEqual(Buffer.from(toBinary(IdentifierSchema, fromBinary(IdentifierSchema, bytes))), Buffer.from(bytes));
  });

  it('EventUser {user_id = 1 (optional, zero kept), sams_external_id = 3}', () => {
    const bytes = hex('08 00  1a 04 73616d73');
    assert.deepEqual(toJson(EventUserSchema, fromBinary(EventUserSchema, bytes)), { userId: '0', samsExternalId: 'sams' });
  });

  it('EventMarketingTracking fields 1-8', () => {
    const bytes = hex('0a0161 120162 1a0163 220164 2a0165 320166 3a0167 420168');
    assert.deepEqual(toJson(EventMarketingTrackingSchema, fromBinary(EventMarketingTrackingSchema, bytes)), {
      url: 'a',
      firstSourceUrl: 'b',
      cohortId: 'c',
      referrer: 'd',
      lastSourceUrl: 'e',
      deviceSessionId: 'f',
      sessionReferrer: 'g',
      sessionFirstUrl: 'h',
    });
  });

  it('RecordEventRequest {metadata = 1, event = 2} and the codec keeps both byte slices', () => {
    const bytes = hex('0a 03 0a0172  12 06 0a0165 1a0166');
    assert.deepEqual(toJson(RecordEventRequestSchema, fromBinary(RecordEventRequestSchema, bytes)), {
      metadata: { requestId: 'r' },
      event: { id: 'e', feature: 'f' },
    });
    const decoded = decodeRecordEventRequest(Buffer.from(bytes));
    assert.ok(decoded.malformed === undefined);
    assert.deepEqual(Buffer.from(decoded.metadataBytes), Buffer.from(hex('0a0172')));
    assert.deepEqual(Buffer.from(decoded.eventBytes!), Buffer.from(hex('0a0165 1a0166')));
  });

  it('the hand-written RecordEventsResponse encoder writes what protobuf-es writes', () => {
    for (const ids of [[], [''], ['a'], ['0199e8a4-1b2c-7d3e-8f40-5a6b7c8d9e0f', 'é\u{1F600}', 'x'.repeat(200)]]) {
      const expected = toBinary(RecordEventsResponseSchema, create(RecordEventsResponseSchema, { succeededEvents: ids }));
      assert.deepEqual(encodeRecordEventsResponse(AckList.of(ids)), Buffer.from(expected));
    }
  });

  it('RecordEventsRequest oneof: the last payload field on the wire wins', () => {
    // events payload (field 2) with one event, then metadata (field 1)
    const bytes = Buffer.from(hex('12 05 0a 03 0a0165  0a 03 0a0172'));
    const decoded = decodeRecordEventsRequest(bytes);
    assert.equal(decoded.payload, 'metadata');
    const reversed = Buffer.from(hex('0a 03 0a0172  12 05 0a 03 0a0165'));
    const events = decodeRecordEventsRequest(reversed);
    assert.equal(events.payload, 'events');
    assert.deepEqual(events.payload === 'events' && eventListToArray(events.events).map(eventId), ['e']);
  });

  it('an events payload split over two occurrences of field 2 merges into one', () => {
    const bytes = Buffer.from(hex('12 05 0a 03 0a0161  12 05 0a 03 0a0162'));
    const decoded = decodeRecordEventsRequest(bytes);
    assert.deepEqual(decoded.payload === 'events' && eventListToArray(decoded.events).map(eventId), ['a', 'b']);
  });
});
