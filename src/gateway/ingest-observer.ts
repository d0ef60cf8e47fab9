import type { Code } from '../core/status.js';
import type { StoreEntry, StreamOrigin, WriteOutcome } from '../core/store.js';

/**
 * What the ingest path reports as it works, so metrics, logs and the live
 * dashboard can watch it without the core knowing any of them exist.
 */
export interface IngestObserver {
  streamStarted(rpc: 'RecordEvents' | 'RecordEvent'): void;
  streamIdentified(origin: StreamOrigin): void;
  streamEnded(rpc: 'RecordEvents' | 'RecordEvent', code: Code): void;
  /** After each payload's store write; entries and outcomes are parallel. */
  payloadRecorded(origin: StreamOrigin, entries: readonly StoreEntry[], outcomes: readonly WriteOutcome[], writeMs: number): void;
  /** Gateway-side privacy enforcement removed something from a payload's events. */
  privacyEnforced(origin: StreamOrigin, removed: PrivacyRemovals): void;
  /** Events of a payload over the source's rate limit or quota: not written, not acknowledged. */
  rateLimited(origin: StreamOrigin, events: number): void;
}

/** Totals for one payload. */
export interface PrivacyRemovals {
  privateKeysRemoved: number;
  /** Allowlisted private values that were not strings, replaced by an error string. */
  valuesReplaced: number;
  /** Events whose marketing_tracking was removed. */
  marketingRemoved: number;
}

export const NOOP_OBSERVER: IngestObserver = {
  streamStarted() {},
  streamIdentified() {},
  streamEnded() {},
  payloadRecorded() {},
  privacyEnforced() {},
  rateLimited() {},
};

/** Fans one observation out to several observers. */
export function combineObservers(...observers: IngestObserver[]): IngestObserver {
  return {
    streamStarted: (rpc) => observers.forEach((o) => o.streamStarted(rpc)),
    streamIdentified: (origin) => observers.forEach((o) => o.streamIdentified(origin)),
    streamEnded: (rpc, code) => observers.forEach((o) => o.streamEnded(rpc, code)),
    payloadRecorded: (origin, entries, outcomes, writeMs) =>
      observers.forEach((o) => o.payloadRecorded(origin, entries, outcomes, writeMs)),
    privacyEnforced: (origin, removed) => observers.forEach((o) => o.privacyEnforced(origin, removed)),
    rateLimited: (origin, events) => observers.forEach((o) => o.rateLimited(origin, events)),
  };
}
