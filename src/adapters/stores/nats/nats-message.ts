import { fromBinary } from '@bufbuild/protobuf';
import { MsgHdrsImpl, type MsgHdrs } from '@nats-io/transport-node';
import type { Source } from '../../../core/identity/source.js';
import { attributesOfFacts, recordAttributes } from '../../../core/record.js';
import type { EventEntry, StoreEntry, StreamOrigin } from '../../../core/store.js';
import { scanRecordAttributes } from '../../../core/wire/scan-record-attributes.js';
import type { HeaderLookup } from './header-block.js';
import { EventSchema } from '../../../gen/telemetrygateway/v1/telemetrygateway_pb.js';

/**
 * One JetStream message per entry. The body is the Event's protobuf bytes,
 * exactly as the SQL stores keep them; the headers carry the deployed
 * gateway's record attributes (`publisher.source`, `event.feature`,
 * `event.action`, `event.hasPrivateMetadata`, `event.recordsPrivateMetadata*`)
 * and what a consumer needs to rebuild the record without asking anyone:
 *
 *   Nats-Msg-Id          event id, percent-encoded (events only: JetStream drops re-sent ids)
 *   Tgw-Kind             event | rejected
 *   Tgw-Event-Id         event id, percent-encoded (ids are any text; header values cannot hold CR/LF)
 *   Tgw-Timestamp-Ms     event time, ms since the epoch (events)
 *   Tgw-Feature, Tgw-Action, Tgw-Reason   percent-encoded (rejected; may be any text)
 *   Tgw-Metadata         RecordEventsRequestMetadata protobuf bytes, base64
 *   Tgw-Metadata-Digest  hex SHA-256 of those bytes
 *   Tgw-Source           the identified sender (no secrets), JSON, base64
 *
 * Attribute values are the deployed ones, except that CR/LF (which a header
 * cannot hold) become spaces, and a private-metadata marker whose name is not
 * a header name (printable ASCII, no colon) is named percent-encoded.
 */
/** JetStream's deduplication header. */
const MSG_ID_HEADER = 'Nats-Msg-Id';

const HEADER = {
  kind: 'Tgw-Kind',
  eventId: 'Tgw-Event-Id',
  timestampMs: 'Tgw-Timestamp-Ms',
  feature: 'Tgw-Feature',
  action: 'Tgw-Action',
  reason: 'Tgw-Reason',
  metadata: 'Tgw-Metadata',
  metadataDigest: 'Tgw-Metadata-Digest',
  source: 'Tgw-Source',
} as const;

/**
 * The header lines every message of a stream origin shares (its metadata, digest and source: most
 * of a header block's bytes), encoded once per origin.
 */
const originLines = new WeakMap<StreamOrigin, Buffer>();

function originLinesOf(origin: StreamOrigin): Buffer {
  let known = originLines.get(origin);
  if (known === undefined) {
    const metadata = Buffer.from(origin.metadataBytes).toString('base64');
    const source = Buffer.from(JSON.stringify(origin.source)).toString('base64');
    known = Buffer.from(`${HEADER.metadata}: ${metadata}\r\n${HEADER.metadataDigest}: ${origin.metadataDigest}\r\n${HEADER.source}: ${source}\r\n`);
    originLines.set(origin, known);
  }
  return known;
}

/**
 * A header block encoded by entryHeaders. nats.js publishes a message's headers as what their
 * encode() returns; building them as a MsgHdrsImpl map made every publish lay out and encode the
 * origin's long lines again (~10% of the gateway's CPU on this store). The block is the same text
 * MsgHdrsImpl writes: `NATS/1.0`, then `name: value` lines, each ended by CRLF, then a blank line.
 */
class EncodedHeaders extends MsgHdrsImpl {
  constructor(private readonly block: Uint8Array) {
    super();
  }

  override encode(): Uint8Array {
    return this.block;
  }

  override toString(): string {
    return Buffer.from(this.block.buffer, this.block.byteOffset, this.block.byteLength).toString('utf8');
  }
}

const FIRST_LINE = 'NATS/1.0\r\n';

export function entryHeaders(entry: StoreEntry, origin: StreamOrigin): MsgHdrs {
  // Every name here is a constant or headerName()'s, every value headerSafe or ASCII by construction.
  const eventId = messageId(entry.id);
  let lines = `${HEADER.kind}: ${entry.kind}\r\n${HEADER.eventId}: ${eventId}\r\n`;
  if (entry.kind === 'rejected') {
    lines += `publisher.source: ${headerSafe(origin.publisher)}\r\n${HEADER.feature}: ${encodeURIComponent(entry.feature)}\r\n`;
    lines += `${HEADER.action}: ${encodeURIComponent(entry.action)}\r\n${HEADER.reason}: ${encodeURIComponent(entry.reason)}\r\n`;
  } else {
    lines += `${MSG_ID_HEADER}: ${eventId}\r\n${HEADER.timestampMs}: ${entry.timestampMs}\r\n`;
    for (const [name, value] of Object.entries(attributesOf(entry, origin.publisher))) lines += `${headerName(name)}: ${headerSafe(value)}\r\n`;
  }
  lines += '\r\n';
  const shared = originLinesOf(origin);
  const block = Buffer.allocUnsafe(FIRST_LINE.length + shared.length + Buffer.byteLength(lines));
  let at = block.write(FIRST_LINE, 0, 'latin1');
  at += shared.copy(block, at);
  block.write(lines, at, 'utf8');
  return new EncodedHeaders(block);
}

/** What encodeURIComponent leaves as it is: an id of only these (a UUID) needs no call into it. */
const URI_UNRESERVED = /^[A-Za-z0-9\-_.!~*'()]*$/;

/** The Nats-Msg-Id of an event: its id, percent-encoded so any id fits a header. */
export const messageId = (id: string): string => (URI_UNRESERVED.test(id) ? id : encodeURIComponent(id));

/** A header value holds no CR/LF, and no space at either end (a reader trims them). */
const headerSafe = (value: string): string => value.replace(/[\r\n]/g, ' ').trim();

/**
 * A header name is printable ASCII without a colon. The `event.recordsPrivateMetadata<Name>`
 * attributes carry a metadata key the sender chose: a name outside that set is percent-encoded
 * (otherwise the publish fails, and the sender re-sends that event forever).
 */
const headerName = (name: string): string => (/^[!-9;-~]+$/.test(name) ? name : encodeURIComponent(name));

/**
 * The deployed attributes, from core/record.ts, read off the event's bytes
 * (decoding it only for an encoding the scan does not expect). Bytes that do
 * not decode (never from the pipeline, which validated them) still get the
 * attributes the entry itself knows.
 */
function attributesOf(entry: EventEntry, publisher: string): Record<string, string> {
  if (entry.event !== undefined) return recordAttributes(entry.event, publisher);
  const facts = scanRecordAttributes(entry.bytes);
  if (facts !== undefined) return attributesOfFacts(entry.feature, entry.action, publisher, facts);
  try {
    return recordAttributes(fromBinary(EventSchema, entry.bytes), publisher);
  } catch {
    return { 'publisher.source': publisher, 'event.feature': entry.feature, 'event.action': entry.action };
  }
}

/** What a consumer reads back from a message. */
export interface DecodedMessage {
  origin: StreamOrigin;
  entry: StoreEntry;
}

/** Origins rebuilt from headers, by digest: every message of a stream carries the same ones. */
const decodedOrigins = new Map<string, StreamOrigin>();
const MAX_DECODED_ORIGINS = 1024;

/**
 * Rebuilds the entry from a message's headers (header-block.ts) and body; throws for a message this
 * gateway did not publish.
 */
export function decodeMessage(headers: HeaderLookup, body: Uint8Array): DecodedMessage {
  const get = (name: string): string => {
    const value = headers(name) ?? '';
    if (value === '') throw new Error(`message has no ${name} header; it was not published by telemetry-gateway`);
    return value;
  };
  const kind = get(HEADER.kind);
  const digest = get(HEADER.metadataDigest);
  let origin = decodedOrigins.get(digest);
  if (origin === undefined) {
    const source = JSON.parse(Buffer.from(get(HEADER.source), 'base64').toString('utf8')) as Source;
    origin = {
      source,
      publisher: get('publisher.source'),
      metadataBytes: Buffer.from(get(HEADER.metadata), 'base64'),
      metadataDigest: digest,
    };
    if (decodedOrigins.size >= MAX_DECODED_ORIGINS) decodedOrigins.clear();
    decodedOrigins.set(digest, origin);
  }
  const id = decodeURIComponent(headers(HEADER.eventId) ?? '');
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (kind === 'rejected') {
    const text = (name: string): string => decodeURIComponent(headers(name) ?? '');
    return { origin, entry: { kind: 'rejected', id, feature: text(HEADER.feature), action: text(HEADER.action), reason: text(HEADER.reason), bytes } };
  }
  if (kind !== 'event') throw new Error(`message has unknown ${HEADER.kind} "${kind}"`);
  if (id === '') throw new Error(`event message has no ${HEADER.eventId}`);
  return {
    origin,
    entry: {
      kind: 'event',
      id,
      feature: get('event.feature'),
      action: get('event.action'),
      timestampMs: Number(get(HEADER.timestampMs)),
      bytes,
    },
  };
}
