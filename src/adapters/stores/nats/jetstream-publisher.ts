import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';

/** What JetStream answered a publish with. */
export interface PubAck {
  /** The stream already held a message with this Nats-Msg-Id (within its duplicate window). */
  duplicate: boolean;
}

export interface JetStreamPublisher {
  /**
   * Publishes one message and resolves with JetStream's acknowledgement; rejects
   * when JetStream refuses it, nobody listens on the subject, or no answer
   * comes within the timeout (the message may still have been stored).
   */
  publish(subject: string, data: Uint8Array, headers: MsgHdrs): Promise<PubAck>;
  /** publish() with a callback, called once, never from within send(): no promise per message. */
  send(subject: string, data: Uint8Array, headers: MsgHdrs, done: PublishCallback): void;
  /** Fails whatever still waits and stops listening. */
  close(): void;
}

export type PublishCallback = (error: Error | null, ack?: PubAck) => void;

interface Waiting {
  done: PublishCallback;
  deadline: number;
}

/**
 * JetStream publishes on one reply subscription. The protocol is a core
 * publish whose reply subject receives a JSON PubAck ({stream, seq, duplicate}
 * or {error}). `js.publish` does the same through `nc.request`, which for
 * every message also arms a timer, races two promises and, once answered,
 * builds an Error with a stack trace for a promise that is already settled:
 * under load that was a third of the NATS store's CPU. Here every message
 * is one map entry, and one sweep a fraction of the timeout fails the
 * overdue ones (they wait in publish order, so the sweep stops at the first
 * that is not late).
 */
export function createJetStreamPublisher(nc: NatsConnection, timeoutMs: number): JetStreamPublisher {
  const inbox = `${createInbox()}.`;
  const waiting = new Map<number, Waiting>();
  let next = 0;

  const answer = (error: Error | null, msg: Msg): void => {
    const token = Number(msg.subject.slice(inbox.length));
    const entry = waiting.get(token);
    if (entry === undefined) return; // answered after its timeout
    waiting.delete(token);
    if (error !== null) return entry.done(error);
    const ack = readAck(msg);
    if (typeof ack === 'string') entry.done(new Error(ack));
    else entry.done(null, ack);
  };
  const subscription: Subscription = nc.subscribe(`${inbox}*`, { callback: answer });

  const sweep = setInterval(
    () => {
      const now = performance.now();
      for (const [token, entry] of waiting) {
        if (entry.deadline > now) break;
        waiting.delete(token);
        entry.done(new Error(`no acknowledgement within ${timeoutMs} ms`));
      }
    },
    Math.max(10, Math.min(1000, timeoutMs / 4)),
  );
  sweep.unref();

  const send = (subject: string, data: Uint8Array, headers: MsgHdrs, done: PublishCallback): void => {
    const token = next++;
    waiting.set(token, { done, deadline: performance.now() + timeoutMs });
    try {
      nc.publish(subject, data, { reply: `${inbox}${token}`, headers });
    } catch (error) {
      waiting.delete(token);
      // Later, not now: a caller that starts its next publish from the callback would otherwise
      // recurse once per message while the connection refuses them all.
      queueMicrotask(() => done(error as Error));
    }
  };

  return {
    publish(subject, data, headers) {
      return new Promise<PubAck>((resolve, reject) => send(subject, data, headers, (error, ack) => (error === null ? resolve(ack!) : reject(error))));
    },
    send,
    close() {
      clearInterval(sweep);
      subscription.unsubscribe();
      const closed = new Error('publisher closed');
      for (const entry of waiting.values()) entry.done(closed);
      waiting.clear();
    },
  };
}

/** JetStream's acknowledgement, or why it did not store the message. */
function readAck(msg: Msg): PubAck | string {
  // A 503 status with no body: no stream listens on the subject (or JetStream is off).
  if (msg.data.length === 0) return msg.headers?.code === 503 ? 'no JetStream stream listens on the subject' : 'empty acknowledgement';
  let ack: { stream?: unknown; duplicate?: unknown; error?: { code?: unknown; err_code?: unknown; description?: unknown } };
  try {
    ack = JSON.parse(msg.string()) as typeof ack;
  } catch {
    return 'acknowledgement is not JSON';
  }
  if (ack.error !== undefined) return `JetStream refused the message: ${String(ack.error.description)} (${String(ack.error.err_code ?? ack.error.code)})`;
  if (typeof ack.stream !== 'string' || ack.stream === '') return 'invalid acknowledgement';
  return { duplicate: ack.duplicate === true };
}
