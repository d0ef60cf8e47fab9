import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { EventReader, ListOptions, RejectedEventRow, StoredEventRow } from '../../../core/store.js';
import { headersOf } from './header-block.js';
import { decodeMessage } from './nats-message.js';
import { allEvents, allRejected, type NatsOptions } from './nats-options.js';

export type NatsReads = Omit<EventReader, 'close'>;

const NS_PER_MS = 1_000_000;
/** Ephemeral consumers of a reader that vanished (crashed CLI) are removed by the server after this. */
const INACTIVE_THRESHOLD_MS = 30_000;

/**
 * Reads the stream as an EventReader: `seq` is the stream sequence, so paging
 * with afterSeq is exact. Each read makes a short-lived consumer filtered to
 * events or rejected events, asks it how many messages follow, fetches exactly
 * that many (no waiting for a timeout), then deletes it.
 */
export function natsReads(js: JetStreamClient, jsm: JetStreamManager, options: NatsOptions): NatsReads {
  async function read<T>(filter: string, afterSeq: number, limit: number, toRow: (msg: JsMsg) => T): Promise<{ rows: T[]; pending: number }> {
    const info = await jsm.consumers.add(options.stream, {
      filter_subject: filter,
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: afterSeq + 1,
      inactive_threshold: INACTIVE_THRESHOLD_MS * NS_PER_MS,
      mem_storage: true,
    });
    try {
      const wanted = Math.min(limit, info.num_pending);
      const rows: T[] = [];
      if (wanted > 0) {
        const consumer = await js.consumers.get(options.stream, info.name);
        for await (const msg of await consumer.fetch({ max_messages: wanted, expires: 30_000 })) {
          rows.push(toRow(msg));
          if (rows.length === wanted) break;
        }
      }
      return { rows, pending: info.num_pending };
    } finally {
      await jsm.consumers.delete(options.stream, info.name).catch(() => undefined);
    }
  }

  const receivedAtMs = (msg: JsMsg): number => Math.floor(msg.info.timestampNanos / NS_PER_MS);

  return {
    async listEvents(list: ListOptions): Promise<StoredEventRow[]> {
      const { rows } = await read(allEvents(options), list.afterSeq ?? 0, list.limit, (msg) => {
        const { origin, entry } = decodeMessage(headersOf(msg), msg.data);
        return { seq: msg.seq, id: entry.id, eventBytes: entry.bytes, metadataBytes: origin.metadataBytes, publisher: origin.publisher, receivedAtMs: receivedAtMs(msg) };
      });
      return rows;
    },
    async countEvents() {
      return (await read(allEvents(options), 0, 0, () => undefined)).pending;
    },
    async listRejected(list: ListOptions): Promise<RejectedEventRow[]> {
      const { rows } = await read(allRejected(options), list.afterSeq ?? 0, list.limit, (msg) => {
        const { origin, entry } = decodeMessage(headersOf(msg), msg.data);
        if (entry.kind !== 'rejected') throw new Error(`message ${msg.seq} on ${msg.subject} is not a rejected event`);
        return {
          seq: msg.seq,
          id: entry.id,
          feature: entry.feature,
          action: entry.action,
          reason: entry.reason,
          publisher: origin.publisher,
          eventBytes: entry.bytes,
          metadataBytes: origin.metadataBytes,
          receivedAtMs: receivedAtMs(msg),
        };
      });
      return rows;
    },
    async countRejected() {
      return (await read(allRejected(options), 0, 0, () => undefined)).pending;
    },
  };
}
