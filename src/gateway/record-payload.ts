import { acknowledgesInvalidEvents } from '../core/identity/source.js';
import { isExemptFromPrivacy, type GatewayPrivacyPolicy } from '../core/privacy/gateway-privacy.js';
import { NOTHING_REDACTED } from '../core/privacy/redact-event.js';
import { prepareEvent } from '../core/pipeline.js';
import { retryable, type EventStore, type StoreEntry, type StreamOrigin, type WriteOutcome } from '../core/store.js';
import type { IngestObserver, PrivacyRemovals } from './ingest-observer.js';
import type { RateLimiter } from './rate-limiter.js';

export interface IngestDeps {
  store: EventStore;
  observer: IngestObserver;
  privacy: GatewayPrivacyPolicy;
  /** Per-source rate limits and quotas; none when undefined. */
  rateLimiter?: RateLimiter;
}

/**
 * Records one events payload and returns the ids to acknowledge: those the
 * store holds durably, plus (for instances) the invalid ones kept aside, which
 * could never succeed and would otherwise be retried forever.
 */
export async function recordPayload(
  deps: IngestDeps,
  origin: StreamOrigin,
  events: readonly Uint8Array[],
): Promise<string[]> {
  if (events.length === 0) return [];
  const admitted = deps.rateLimiter?.admit(origin, events.length) ?? events.length;
  if (admitted < events.length) {
    // Over the source's limit: not written, not acknowledged; the exporter re-sends them later.
    deps.observer.rateLimited(origin, events.length - admitted);
    events = events.slice(0, admitted);
  }
  const entries = prepareEntries(deps, origin, events);
  const outcomes = await writeEntries(deps, origin, entries);

  const ackInvalid = acknowledgesInvalidEvents(origin.source);
  const succeeded: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const status = outcomes[i]?.status;
    if (status !== 'stored' && status !== 'duplicate') continue;
    if (entry.kind === 'event' || ackInvalid) succeeded.push(entry.id);
  }
  return succeeded;
}

/**
 * Cleans and checks each event (the privacy policy applies before anything is
 * stored, rejected events included) and reports what privacy removed.
 */
function prepareEntries(deps: IngestDeps, origin: StreamOrigin, events: readonly Uint8Array[]): StoreEntry[] {
  const options = { redact: !isExemptFromPrivacy(origin.source, deps.privacy), allowlist: deps.privacy.allowlist };
  const total: PrivacyRemovals = { privateKeysRemoved: 0, valuesReplaced: 0, marketingRemoved: 0 };
  const entries = new Array<StoreEntry>(events.length);
  for (let i = 0; i < events.length; i++) {
    const { entry, removed } = prepareEvent(events[i]!, origin, options);
    entries[i] = entry;
    if (removed === NOTHING_REDACTED) continue;
    total.privateKeysRemoved += removed.privateKeysRemoved;
    total.valuesReplaced += removed.valuesReplaced;
    if (removed.marketingRemoved) total.marketingRemoved++;
  }
  if (total.privateKeysRemoved + total.valuesReplaced + total.marketingRemoved > 0) deps.observer.privacyEnforced(origin, total);
  return entries;
}

/**
 * Writes entries and reports them to the observer. A store that throws instead
 * of returning outcomes has a bug: acknowledge nothing rather than crash.
 */
export async function writeEntries(
  deps: IngestDeps,
  origin: StreamOrigin,
  entries: readonly StoreEntry[],
): Promise<WriteOutcome[]> {
  const started = performance.now();
  let outcomes: WriteOutcome[];
  try {
    outcomes = await deps.store.write({ origin, entries });
  } catch (error) {
    const failure = retryable(error instanceof Error ? error.message : String(error));
    outcomes = entries.map(() => failure);
  }
  deps.observer.payloadRecorded(origin, entries, outcomes, performance.now() - started);
  return outcomes;
}
