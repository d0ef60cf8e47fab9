import { fromBinary, toJson, type JsonValue } from '@bufbuild/protobuf';
import type { TailItem } from './api-types.js';
import { maskSecrets } from '../core/mask-secrets.js';
import { sourceIdentity } from '../core/identity/source-identity.js';
import type { StoreEntry, StreamOrigin, WriteOutcome } from '../core/store.js';
import { EventSchema, RecordEventsRequestMetadataSchema } from '../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { matchesTailFilter, type TailFilter } from './tail-filter.js';

export type { TailItem };

/** Delivers one item; false when the client was backed up and skipped it (the sink counts those). */
export type TailSink = (item: TailItem) => boolean;

export interface TailHubOptions {
  /** Most items one client receives per second; the rest are sampled away. */
  perClientPerSecond?: number;
  /** Most records rendered per second across all clients: bounds the tail's cost to ingest. */
  renderPerSecond?: number;
  now?: () => number;
}

export interface TailHub {
  /** Starts sending `sink` the items `filter` matches; returns the unsubscribe. */
  subscribe(filter: TailFilter, sink: TailSink): () => void;
  readonly clients: number;
  /** Told about every payload the gateway answered: offers its events to the clients, sampled. */
  payloadRecorded(origin: StreamOrigin, entries: readonly StoreEntry[], outcomes: readonly WriteOutcome[]): void;
}

interface Subscriber {
  filter: TailFilter;
  sink: TailSink;
  windowStartMs: number;
  sentInWindow: number;
}

/**
 * Fans ingested records out to live-tail clients. It samples rather than
 * buffers: each client gets at most perClientPerSecond items and the hub
 * renders at most renderPerSecond records, whatever the ingest rate; with no
 * client connected an observation costs one size check.
 */
export function createTailHub(options: TailHubOptions = {}): TailHub {
  const perClient = options.perClientPerSecond ?? 20;
  const renderBudget = options.renderPerSecond ?? 100;
  const now = options.now ?? Date.now;
  const subscribers = new Set<Subscriber>();
  let renderWindowStartMs = 0;
  let renderedInWindow = 0;
  let metadataCache: { digest: string; json: JsonValue } | undefined;

  const metadataJson = (origin: StreamOrigin): JsonValue => {
    if (metadataCache?.digest !== origin.metadataDigest) {
      const json = toJson(RecordEventsRequestMetadataSchema, fromBinary(RecordEventsRequestMetadataSchema, origin.metadataBytes));
      metadataCache = { digest: origin.metadataDigest, json: maskSecrets(json) as JsonValue };
    }
    return metadataCache.json;
  };

  const render = (origin: StreamOrigin, entry: StoreEntry): JsonValue => {
    let event: JsonValue;
    try {
      // The pipeline's decoded event when it kept one: no second decode.
      const decoded = (entry.kind === 'event' ? entry.event : undefined) ?? fromBinary(EventSchema, entry.bytes);
      event = maskSecrets(toJson(EventSchema, decoded)) as JsonValue;
    } catch {
      event = { undecodable: `${entry.bytes.byteLength} bytes` };
    }
    return { event, metadata: metadataJson(origin) };
  };

  return {
    subscribe(filter: TailFilter, sink: TailSink): () => void {
      const subscriber: Subscriber = { filter, sink, windowStartMs: 0, sentInWindow: 0 };
      subscribers.add(subscriber);
      return () => subscribers.delete(subscriber);
    },
    get clients(): number {
      return subscribers.size;
    },
    payloadRecorded(origin: StreamOrigin, entries: readonly StoreEntry[], outcomes: readonly WriteOutcome[]): void {
      if (subscribers.size === 0) return;
      const at = now();
      if (at - renderWindowStartMs >= 1000) {
        renderWindowStartMs = at;
        renderedInWindow = 0;
      }
      const source = sourceIdentity(origin.source);
      // Clients with allowance left this second; the payload is done once none has any.
      let open: Subscriber[] = [];
      for (const subscriber of subscribers) {
        if (at - subscriber.windowStartMs >= 1000) {
          subscriber.windowStartMs = at;
          subscriber.sentInWindow = 0;
        }
        if (subscriber.sentInWindow < perClient) open.push(subscriber);
      }
      for (let i = 0; i < entries.length && open.length > 0; i++) {
        const entry = entries[i]!;
        const wanting = open.filter((s) => matchesTailFilter(s.filter, entry.feature, entry.action, source));
        if (wanting.length === 0) continue;
        if (renderedInWindow >= renderBudget) return;
        renderedInWindow++;
        const status = outcomes[i]?.status ?? 'retryable';
        const item: TailItem = {
          id: entry.id,
          feature: entry.feature,
          action: entry.action,
          outcome: status === 'retryable' ? 'retryable' : entry.kind === 'rejected' ? 'rejected' : status,
          ...(entry.kind === 'rejected' ? { reason: entry.reason } : {}),
          source,
          publisher: origin.publisher,
          receivedAtMs: at,
          record: render(origin, entry),
        };
        // Offered counts against the allowance even when skipped: a stalled client costs no more than a reading one.
        for (const subscriber of wanting) {
          subscriber.sink(item);
          subscriber.sentInWindow++;
        }
        open = open.filter((s) => s.sentInWindow < perClient);
      }
    },
  };
}
