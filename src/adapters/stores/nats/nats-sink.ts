import { setTimeout as sleep } from 'node:timers/promises';
import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError, type JsMsg } from '@nats-io/jetstream';
import type { EventStore, StoreEntry, StreamOrigin, WriteOutcome } from '../../../core/store.js';
import type { Logger } from '../../../logger.js';
import { headersOf } from './header-block.js';
import { decodeMessage, type DecodedMessage } from './nats-message.js';
import { openNatsSession, describe, type NatsSession } from './nats-store.js';

export interface SinkOptions {
  /** nats:// URL of the bus (same stream and subject_prefix parameters as the gateway's). */
  from: string;
  /** Where events go; a SQL store, whose primary key deduplicates redeliveries. */
  to: EventStore;
  /** Durable consumer name: the sink's position in the stream survives restarts under it. */
  durableName: string;
  /** Most messages taken, written and acknowledged together. */
  batchSize: number;
  /** A message the store could not take is redelivered after this (and the sink pauses as long). */
  retryDelayMs: number;
  /** Return once the consumer has nothing left, instead of waiting for new messages. */
  exitWhenIdle: boolean;
  signal?: AbortSignal;
  logger?: Pick<Logger, 'info' | 'warn'>;
}

export interface SinkStats {
  received: number;
  stored: number;
  duplicates: number;
  retried: number;
  /** Messages not published by a gateway (no telemetry headers): terminated, never redelivered. */
  invalid: number;
}

const NS_PER_MS = 1_000_000;
/**
 * Batches written at once. Each holds its messages unacknowledged, so together they stay under
 * the consumer's max_ack_pending (4 batches), with one batch of room for the fetch in progress.
 */
const MAX_BATCHES_IN_FLIGHT = 3;
/** How long one pull waits for a full batch; also bounds how late an abort is noticed. */
const FETCH_EXPIRES_MS = 1000;

/**
 * Moves events from the JetStream stream into a SQL store, at least once:
 * a message is acknowledged only after the store reported its entry durable
 * (stored, or a duplicate of a stored one). A crash between the commit and
 * the ack redelivers the message, and the store's primary key absorbs it, so
 * each event id ends up in the table exactly once.
 */
export async function runSink(options: SinkOptions): Promise<SinkStats> {
  const session = await openNatsSession(options.from);
  const stats: SinkStats = { received: 0, stored: 0, duplicates: 0, retried: 0, invalid: 0 };
  // Batches being written and acknowledged while the next one is fetched: one at a time, the sink
  // waited on the bus and the store in turn and sat idle ~40% of the time.
  const inFlight = new Set<Promise<void>>();
  let pause = false;
  const lostTheBus = (error: unknown): void => {
    // The server went away (restart, failover) while nats.js reconnects: whatever was not acked is
    // redelivered later and deduplicated by the store, so wait and go on rather than give up.
    options.logger?.warn({ reason: describe(error) }, 'sink: lost the bus; retrying');
    pause = true;
  };
  try {
    await ensureDurableConsumer(session, options);
    const consumer = await session.js.consumers.get(session.options.stream, options.durableName);
    while (!options.signal?.aborted) {
      try {
        const messages: JsMsg[] = [];
        for await (const msg of await consumer.fetch({ max_messages: options.batchSize, expires: FETCH_EXPIRES_MS })) {
          messages.push(msg);
        }
        if (messages.length === 0) {
          await Promise.all(inFlight);
          if (options.exitWhenIdle && inFlight.size === 0 && (await isDrained(session, options.durableName))) break;
          continue;
        }
        const settled: Promise<void> = sinkBatch(messages, options, stats)
          .then(async (retried) => {
            if (retried > 0) pause = true;
            // Acks are plain publishes: make sure the server has them before counting them done.
            await session.nc.flush();
          })
          .catch(lostTheBus)
          .finally(() => inFlight.delete(settled));
        inFlight.add(settled);
        if (inFlight.size >= MAX_BATCHES_IN_FLIGHT) await Promise.race(inFlight);
      } catch (error) {
        lostTheBus(error);
      }
      if (pause) {
        await Promise.all(inFlight);
        await sleep(options.retryDelayMs, undefined, { signal: options.signal }).catch(() => undefined);
        pause = false;
      }
    }
    await Promise.all(inFlight);
  } finally {
    await Promise.all(inFlight);
    await session.nc.close();
  }
  return stats;
}

async function ensureDurableConsumer(session: NatsSession, options: SinkOptions): Promise<void> {
  const { jsm, options: nats } = session;
  try {
    await jsm.consumers.info(nats.stream, options.durableName);
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound)) throw error;
    await jsm.consumers.add(nats.stream, {
      durable_name: options.durableName,
      filter_subject: `${nats.subjectPrefix}.>`,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      // Longer than a store write can take, so a slow commit is not redelivered while it runs.
      ack_wait: 60_000 * NS_PER_MS,
      max_ack_pending: Math.max(1000, options.batchSize * 4),
    });
  }
}

async function isDrained(session: NatsSession, durableName: string): Promise<boolean> {
  const info = await session.jsm.consumers.info(session.options.stream, durableName);
  return info.num_pending === 0 && info.num_ack_pending === 0;
}

/** Writes one batch and settles each message; returns how many were left for redelivery. */
async function sinkBatch(messages: JsMsg[], options: SinkOptions, stats: SinkStats): Promise<number> {
  stats.received += messages.length;
  const decoded: Array<{ msg: JsMsg; decoded: DecodedMessage }> = [];
  for (const msg of messages) {
    try {
      decoded.push({ msg, decoded: decodeMessage(headersOf(msg), msg.data) });
    } catch (error) {
      stats.invalid++;
      options.logger?.warn({ seq: msg.seq, subject: msg.subject, reason: describe(error) }, 'sink: dropping a message it cannot read');
      msg.term();
    }
  }
  // Consecutive messages of one stream origin become one write batch, keeping stream order.
  const batches: Array<{ origin: StreamOrigin; entries: StoreEntry[]; msgs: JsMsg[] }> = [];
  for (const { msg, decoded: d } of decoded) {
    const last = batches[batches.length - 1];
    if (last && last.origin.metadataDigest === d.origin.metadataDigest) {
      last.entries.push(d.entry);
      last.msgs.push(msg);
    } else {
      batches.push({ origin: d.origin, entries: [d.entry], msgs: [msg] });
    }
  }
  const results: WriteOutcome[][] = await Promise.all(batches.map(({ origin, entries }) => options.to.write({ origin, entries })));
  let retried = 0;
  batches.forEach(({ msgs }, b) =>
    msgs.forEach((msg, i) => {
      const outcome = results[b]![i]!;
      if (outcome.status === 'retryable') {
        retried++;
        msg.nak(options.retryDelayMs);
        return;
      }
      if (outcome.status === 'duplicate') stats.duplicates++;
      else stats.stored++;
      msg.ack();
    }),
  );
  stats.retried += retried;
  if (retried > 0) {
    const reason = results.flat().find((o) => o.status === 'retryable') as { reason: string };
    options.logger?.warn({ retried, reason: reason.reason }, 'sink: store refused some events; they will be redelivered');
  }
  return retried;
}
