import type { NodeConnectionOptions } from '@nats-io/transport-node';
import { redactUrl } from '../store-url.js';

/**
 * Settings of a `nats://` store, read from its URL:
 *
 *   nats://[user:password@|token@]host:4222[?server=host2:4222&server=...]
 *     [&stream=TELEMETRY][&subject_prefix=telemetry][&replicas=1]
 *     [&duplicate_window_s=120][&max_age_s=0][&max_in_flight=1024][&publish_timeout_ms=5000]
 *
 * Subjects: `<prefix>.events.<source>` for events, `<prefix>.rejected.<source>`
 * for rejected ones, where <source> is the `publisher.source` attribute
 * (licensed_instance, unlicensed_instance, or the managed service's id).
 */
export interface NatsOptions {
  connection: NodeConnectionOptions;
  stream: string;
  subjectPrefix: string;
  /** Stream replicas when this gateway creates the stream (1 on a single server; 3 in a cluster). */
  replicas: number;
  /** Re-sent ids within this window are dropped by JetStream and reported as duplicates. */
  duplicateWindowMs: number;
  /** Messages older than this are removed by JetStream when it creates the stream; 0 keeps them until removed by hand. */
  maxAgeMs: number;
  /** Publishes awaiting their JetStream ack at once: bounds what the client buffers while a server is away. */
  maxInFlight: number;
  publishTimeoutMs: number;
  description: string;
}

const DEFAULTS = {
  replicas: 1,
  duplicate_window_s: 120,
  max_age_s: 0,
  max_in_flight: 1024,
  publish_timeout_ms: 5000,
} as const;

export function parseNatsUrl(url: string): NatsOptions {
  const parsed = new URL(url);
  const params = parsed.searchParams;
  const number = (name: keyof typeof DEFAULTS, min: number): number => {
    const raw = params.get(name);
    if (raw === null) return DEFAULTS[name];
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min) throw new Error(`nats store: ${name} must be an integer >= ${min}, got "${raw}"`);
    return value;
  };
  const stream = params.get('stream') ?? 'TELEMETRY';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(stream)) throw new Error(`nats store: stream must be letters, digits, _ or -, got "${stream}"`);
  const subjectPrefix = params.get('subject_prefix') ?? 'telemetry';
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(subjectPrefix)) {
    throw new Error(`nats store: subject_prefix must be dot-separated tokens without wildcards, got "${subjectPrefix}"`);
  }
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  const auth = user === '' ? {} : password === '' ? { token: user } : { user, pass: password };
  return {
    connection: {
      servers: [parsed.host, ...params.getAll('server')],
      name: 'telemetry-gateway',
      ...auth,
      // A server restart or failover is waited out; publishes meanwhile time out as retryable.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      // Otherwise every publish captures two stack traces up front, in case it times out:
      // measured at ~30% of the gateway's CPU under load. Errors keep their messages.
      noAsyncTraces: true,
    },
    stream,
    subjectPrefix,
    replicas: number('replicas', 1),
    duplicateWindowMs: number('duplicate_window_s', 1) * 1000,
    maxAgeMs: number('max_age_s', 0) * 1000,
    maxInFlight: number('max_in_flight', 1),
    publishTimeoutMs: number('publish_timeout_ms', 1),
    description: redactUrl(url),
  };
}

/** A subject token from a publisher name: NATS tokens cannot hold '.', spaces or wildcards. */
export function subjectToken(value: string): string {
  const token = value.replace(/[^A-Za-z0-9_-]/g, '_');
  return token === '' ? '_' : token;
}

export const eventSubject = (options: NatsOptions, publisher: string): string =>
  `${options.subjectPrefix}.events.${subjectToken(publisher)}`;
export const rejectedSubject = (options: NatsOptions, publisher: string): string =>
  `${options.subjectPrefix}.rejected.${subjectToken(publisher)}`;
export const allEvents = (options: NatsOptions): string => `${options.subjectPrefix}.events.>`;
export const allRejected = (options: NatsOptions): string => `${options.subjectPrefix}.rejected.>`;
