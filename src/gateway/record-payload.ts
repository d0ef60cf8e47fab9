import { acknowledgesInvalidEvents } from '../core/identity/source.js';
import { isExemptFromPrivacy, type GatewayPrivacyPolicy } from '../core/privacy/gateway-privacy.js';
import { NOTHING_REDACTED } from '../core/privacy/redact-event.js';
import { prepareEvent } from '../core/pipeline.js';
import { AckList } from '../core/wire/ack-list.js';
import type { EventList } from '../core/wire/event-list.js';
import { retryable, type EventStore, type StoreEntry, type StreamOrigin, type WriteOutcome } from '../core/store.js';
import type { IngestObserver, PrivacyRemovals } from './ingest-observer.js';
import { NOOP_CALL_TRACE, NOOP_PAYLOAD_TRACE, type CallTrace, type PayloadTrace } from './ingest-tracing.js';
import type { SourceRateLimiter } from './source-rate-limiter.js';

export interface IngestDeps {
  store: EventStore;
  observer: IngestObserver;
  privacy: GatewayPrivacyPolicy;
  /** Per-source rate limits and quotas; none when undefined. */
  rateLimiter?: SourceRateLimiter;
}

/**
 * Records one events payload and returns the ids to acknowledge: those the
 * store holds durably, plus (for instances) the invalid ones kept aside, which
 * could never succeed and would otherwise be retried forever. The payload's
 * span (a child of the call's) covers the whole payload, each store write its own.
 */
export async function recordPayload(
  deps: IngestDeps,
  origin: StreamOrigin,
  events: EventList,
  call: CallTrace = NOOP_CALL_TRACE,
): Promise<AckList> {
  if (events.length === 0) return new AckList();
  const admitted = deps.rateLimiter?.admit(origin, events.length) ?? events.length;
  const succeeded = new AckList(admitted); // sized for what the limiter let through, not for the whole payload
  const trace = call.startPayload(events.length);
  try {
    if (admitted < events.length) {
      // Over the source's limit: not written, not acknowledged; the exporter re-sends them later.
      deps.observer.rateLimited(origin, events.length - admitted);
      trace.rateLimited(events.length - admitted);
    }
    const ackInvalid = acknowledgesInvalidEvents(origin.source);
    // A payload of a few hundred thousand small events is prepared and written a slice at a time,
    // so what it holds decoded at once stays small whatever its size.
    for (let start = 0; start < admitted; start += MAX_ENTRIES_PER_WRITE) {
      const entries = prepareEntries(deps, origin, events, start, Math.min(admitted, start + MAX_ENTRIES_PER_WRITE));
      const outcomes = await writeEntries(deps, origin, entries, trace);
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i]!;
        const status = outcomes[i]?.status;
        if (status !== 'stored' && status !== 'duplicate') continue;
        if (entry.kind === 'event' || ackInvalid) succeeded.add(entry.id);
      }
    }
    return succeeded.trim();
  } finally {
    trace.end(succeeded.count);
  }
}

/** Entries handed to the store in one write, at most. */
const MAX_ENTRIES_PER_WRITE = 4096;

/**
 * Cleans and checks each event (the privacy policy applies before anything is
 * stored, rejected events included) and reports what privacy removed.
 */
function prepareEntries(deps: IngestDeps, origin: StreamOrigin, events: EventList, start: number, end: number): StoreEntry[] {
  const options = { redact: !isExemptFromPrivacy(origin.source, deps.privacy), allowlist: deps.privacy.allowlist };
  const total: PrivacyRemovals = { privateKeysRemoved: 0, valuesReplaced: 0, marketingRemoved: 0 };
  const entries = new Array<StoreEntry>(end - start);
  for (let i = start; i < end; i++) {
    const { entry, removed } = prepareEvent(events.at(i), origin, options);
    entries[i - start] = entry;
    if (removed === NOTHING_REDACTED) continue;
    total.privateKeysRemoved += removed.privateKeysRemoved;
    total.valuesReplaced += removed.valuesReplaced;
    if (removed.marketingRemoved) total.marketingRemoved++;
  }
  if (total.privateKeysRemoved + total.valuesReplaced + total.marketingRemoved > 0) deps.observer.privacyEnforced(origin, total);
  return entries;
}

/**
 * Writes entries (in a span of its own when traced) and reports them to the observer. A store that throws instead
 * of returning outcomes has a bug: acknowledge nothing rather than crash.
 */
export async function writeEntries(
  deps: IngestDeps,
  origin: StreamOrigin,
  entries: readonly StoreEntry[],
  payload: PayloadTrace = NOOP_PAYLOAD_TRACE,
): Promise<WriteOutcome[]> {
  const trace = payload.startWrite(entries.length, deps.store.description);
  const started = performance.now();
  let outcomes: WriteOutcome[];
  try {
    outcomes = await deps.store.write({ origin, entries });
  } catch (error) {
    const failure = retryable(error instanceof Error ? error.message : String(error));
    outcomes = entries.map(() => failure);
  }
  trace.end(entries, outcomes);
  deps.observer.payloadRecorded(origin, entries, outcomes, performance.now() - started);
  return outcomes;
}
