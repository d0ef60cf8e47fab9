import { connect, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import {
  DUPLICATE,
  retryable,
  STORED,
  type EventReader,
  type EventStore,
  type StoreEntry,
  type StoreHealth,
  type StreamOrigin,
  type WriteBatch,
  type WriteOutcome,
} from '../../../core/store.js';
import { createConcurrencyLimiter } from '../concurrency-limiter.js';
import { createJetStreamPublisher } from './jetstream-publisher.js';
import { entryHeaders } from './nats-message.js';
import { eventSubject, parseNatsUrl, rejectedSubject, type NatsOptions } from './nats-options.js';
import { natsReads } from './nats-reader.js';
import { ensureStream } from './nats-stream.js';

export type NatsStore = EventStore & EventReader;

export interface NatsSession {
  options: NatsOptions;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/** Connects (failing fast if no server answers) and makes sure the stream exists. */
export async function openNatsSession(url: string, { createStream = true } = {}): Promise<NatsSession> {
  const options = parseNatsUrl(url);
  let nc: NatsConnection;
  try {
    nc = await connect(options.connection);
  } catch (error) {
    throw new Error(`nats store ${options.description}: ${describe(error)}`, { cause: error });
  }
  try {
    const jsm = await jetstreamManager(nc, { timeout: options.publishTimeoutMs });
    if (createStream) await ensureStream(jsm, options);
    else await jsm.streams.info(options.stream);
    return { options, nc, js: jetstream(nc, { timeout: options.publishTimeoutMs }), jsm };
  } catch (error) {
    await nc.close();
    throw new Error(`nats store ${options.description}: ${describe(error)}`, { cause: error });
  }
}

/**
 * A JetStream bus as a store. Each entry is one message (see nats-message.ts);
 * an entry is acknowledged when JetStream has acknowledged its publish, which
 * it does once the message is in the stream's file storage on the replicas.
 * The event id is the message id, so a re-send within the duplicate window is
 * dropped by JetStream and reported as a duplicate; beyond the window a
 * consumer deduplicates (the sink's SQL store does, by primary key).
 */
export async function openNatsStore(url: string): Promise<NatsStore> {
  const session = await openNatsSession(url);
  const { options, nc, js, jsm } = session;
  const publisher = createJetStreamPublisher(nc, options.publishTimeoutMs);
  const limiter = createConcurrencyLimiter(options.maxInFlight);
  const connection = trackConnection(nc);
  let closed = false;
  let closing: Promise<void> | undefined;

  /** Publishes an entry once the limiter has a slot; `done` gets its outcome. Callbacks, not promises: see the limiter. */
  const publish = (entry: StoreEntry, origin: StreamOrigin, done: (outcome: WriteOutcome) => void): void =>
    limiter.acquire(() => {
      const finish = (outcome: WriteOutcome): void => {
        limiter.release();
        done(outcome);
      };
      let subject: string;
      let headers: MsgHdrs;
      try {
        // Rejected entries carry no message id: every rejection is kept, as the SQL stores keep every rejected row.
        subject = entry.kind === 'event' ? eventSubject(options, origin.publisher) : rejectedSubject(options, origin.publisher);
        headers = entryHeaders(entry, origin);
      } catch (error) {
        // Later, not now: release() starts the next waiting entry, and entries failing alike would recurse.
        return queueMicrotask(() => finish(retryable(`nats: ${describe(error)}`)));
      }
      publisher.send(subject, entry.bytes, headers, (error, ack) =>
        finish(error !== null ? retryable(`nats: ${describe(error)}`) : ack!.duplicate ? DUPLICATE : STORED),
      );
    });

  return {
    description: options.description,
    ...natsReads(js, jsm, options),
    write(batch: WriteBatch): Promise<WriteOutcome[]> {
      if (closed) return Promise.resolve(batch.entries.map(() => retryable('store is closed')));
      // Published in order on one connection, so JetStream sees (and numbers) them in entry order.
      const { entries, origin } = batch;
      return new Promise((resolve) => {
        const outcomes = new Array<WriteOutcome>(entries.length);
        let left = entries.length;
        if (left === 0) return resolve(outcomes);
        entries.forEach((entry, i) =>
          publish(entry, origin, (outcome) => {
            outcomes[i] = outcome;
            if (--left === 0) resolve(outcomes);
          }),
        );
      });
    },
    async health(): Promise<StoreHealth> {
      if (closed || nc.isClosed()) return { ok: false, reason: 'store is closed' };
      if (!connection.connected) return { ok: false, reason: 'disconnected from the NATS server; reconnecting' };
      const started = performance.now();
      try {
        await jsm.streams.info(options.stream);
        return { ok: true, latencyMs: performance.now() - started };
      } catch (error) {
        return { ok: false, reason: describe(error) };
      }
    },
    close(): Promise<void> {
      closed = true;
      return (closing ??= limiter.idle().then(() => {
        publisher.close();
        return nc.close();
      }));
    },
  };
}

/** Follows the connection's status events; nats.js reconnects by itself, this only tells health. */
function trackConnection(nc: NatsConnection): { readonly connected: boolean } {
  const state = { connected: true };
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') state.connected = false;
      else if (status.type === 'reconnect') state.connected = true;
    }
  })();
  return state;
}

/** A reader for the CLI: creates nothing. */
export async function openNatsReader(url: string): Promise<EventReader> {
  const { options, nc, js, jsm } = await openNatsSession(url, { createStream: false });
  let closing: Promise<void> | undefined;
  return { ...natsReads(js, jsm, options), close: () => (closing ??= nc.close()) };
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
