import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { MsgHdrsImpl } from '@nats-io/transport-node';
import { headerBlockOf, headersOf, parseHeaderBlock } from '../../src/adapters/stores/nats/header-block.js';
import { entryHeaders } from '../../src/adapters/stores/nats/nats-message.js';
import { openNatsSession } from '../../src/adapters/stores/nats/nats-store.js';
import { openNatsStore } from '../../src/adapters/stores/nats/nats-store.js';
import type { StoreEntry } from '../../src/core/store.js';
import { EventSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { testEvent } from '../helpers/gateway.js';
import { natsTestStore, requireService } from '../helpers/services.js';
import { origin } from './store-contract.js';

/** nats.js's reading of `block`: the first value of every name, or the error it throws. */
function natsReading(block: Uint8Array, names: readonly string[]): Record<string, string | undefined> | 'refused' {
  let headers: MsgHdrsImpl;
  try {
    headers = MsgHdrsImpl.decode(block);
  } catch {
    return 'refused';
  }
  const values = new Map<string, string>();
  for (const [name, all] of headers) if (all.length > 0 && !values.has(name)) values.set(name, all[0]!);
  return Object.fromEntries(names.map((name) => [name, values.get(name)]));
}

function ourReading(block: Uint8Array, names: readonly string[]): Record<string, string | undefined> | 'refused' {
  try {
    const lookup = parseHeaderBlock(block);
    return Object.fromEntries(names.map((name) => [name, lookup(name)]));
  } catch {
    return 'refused';
  }
}

/** Names worth asking for: every text before a colon in the block (as nats.js would cut it), and a few others. */
function namesIn(text: string): string[] {
  const names = new Set(['Tgw-Kind', 'Tgw-Event-Id', 'missing', '']);
  for (const line of text.split('\r\n')) if (line.includes(':')) names.add(line.slice(0, line.indexOf(':')));
  return [...names];
}

/** Pieces header blocks are made of: real names, odd ones, separators, whitespace, line breaks, non-ASCII. */
const piece = fc.oneof(
  fc.constantFrom('NATS/1.0', 'NATS/1.0 503', 'Tgw-Kind', 'Tgw-Event-Id', 'a', 'A-b', 'x y', 'é', '\u00a0', '\ufeff', '\u2028', '\x0b', '\x0c', '\x0e', '\x1f', '\x85', ':', ': ', ' ', '\t', '\r\n', '\r', '\n', 'event', 'v:w', '%41'),
  fc.string({ maxLength: 6 }),
  fc.uint8Array({ maxLength: 4 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);

/** A header line: name pieces, a separator (or none), value pieces. */
const line = fc
  .tuple(fc.array(piece, { maxLength: 3 }), fc.constantFrom(':', ': ', ':\t', ''), fc.array(piece, { maxLength: 4 }))
  .map(([name, separator, value]) => name.join('') + separator + value.join(''));
/** Blocks shaped like header blocks (status line, lines, blank line), and arbitrary runs of pieces. */
const block = fc.oneof(
  fc
    .tuple(fc.constantFrom('NATS/1.0', 'NATS/1.0 503', ''), fc.array(line, { maxLength: 8 }), fc.constantFrom('\r\n\r\n', '\r\n', ''))
    .map(([status, lines, end]) => [status, ...lines].join('\r\n') + end),
  fc.array(piece, { maxLength: 24 }).map((pieces) => pieces.join('')),
);

describe('NATS header blocks read without nats.js decoding them', () => {
  it('reads every block as nats.js does: the same first values, refusing the same blocks (20,000 generated blocks)', () => {
    fc.assert(
      fc.property(block, fc.boolean(), (text, rawBytes) => {
        // Some blocks go in as latin1 bytes (invalid UTF-8 included), the rest as UTF-8.
        const bytes = Buffer.from(text, rawBytes ? 'latin1' : 'utf8');
        // Every name in the block, and only a few: a bad line refuses the block even when its value is never asked for.
        for (const names of [namesIn(bytes.toString('utf8')), ['Tgw-Kind', 'a']]) {
          assert.deepEqual(ourReading(bytes, names), natsReading(bytes, names));
        }
      }),
      { numRuns: 20_000, seed: 20261203 },
    );
  });

  it('reads the blocks the NATS store writes, for events and rejected entries', () => {
    const event = testEvent();
    const entries: StoreEntry[] = [
      { kind: 'event', id: event.id, feature: event.feature, action: event.action, timestampMs: 1_700_000_000_123, bytes: toBinary(EventSchema, event) },
      { kind: 'event', id: 'id with spaces, ü and a\r\nbreak', feature: 'f', action: 'a', timestampMs: 1, bytes: toBinary(EventSchema, event) },
      { kind: 'rejected', id: 'bad-1', feature: 'Bad feature: ✓', action: ' x ', reason: 'feature must match\r\nthis', bytes: Buffer.from('raw') },
    ];
    for (const entry of entries) {
      const block = (entryHeaders(entry, origin('a')) as MsgHdrsImpl).encode();
      const names = namesIn(Buffer.from(block).toString('utf8'));
      assert.ok(names.length > 8);
      assert.deepEqual(ourReading(block, names), natsReading(block, names));
    }
  });
});

const skip = await requireService('nats');

describe('NATS header blocks of received messages', { skip }, () => {
  it('are where nats.js keeps them, so the sink and reader never fall back to its decoder', async () => {
    const bus = natsTestStore();
    const store = await openNatsStore(bus.url);
    const session = await openNatsSession(bus.url, { createStream: false });
    try {
      const event = testEvent();
      await store.write({ origin: origin('a'), entries: [{ kind: 'event', id: event.id, feature: event.feature, action: event.action, timestampMs: 1, bytes: toBinary(EventSchema, event) }] });
      const consumer = await session.js.consumers.get(session.options.stream);
      const msg = await consumer.next({ expires: 5000 });
      assert.ok(msg !== null, 'the message is delivered');
      const block = headerBlockOf(msg);
      assert.ok(block !== undefined, 'nats.js holds the header block where header-block.ts reads it');
      const lookup = headersOf(msg);
      for (const [name, all] of msg.headers!) assert.equal(lookup(name), all[0], name);
      assert.equal(lookup('Tgw-Event-Id'), event.id);
    } finally {
      await session.nc.close();
      await store.close();
      await bus.drop();
    }
  });
});
