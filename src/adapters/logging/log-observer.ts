import { describeSource, sourceKey } from '../../core/identity/source.js';
import { Code } from '../../core/status.js';
import type { StreamOrigin } from '../../core/store.js';
import type { IngestObserver } from '../../gateway/ingest-observer.js';
import type { Logger } from '../../logger.js';
import { createLogLimiter } from './log-limiter.js';

const CODE_NAMES = Object.fromEntries(Object.entries(Code).map(([name, value]) => [value, name])) as Record<number, string>;

/** The client's doing (bad input, no permission, over a limit): worth a warning, not an error of ours. */
const REFUSALS = new Set<number>([
  Code.INVALID_ARGUMENT,
  Code.PERMISSION_DENIED,
  Code.UNAUTHENTICATED,
  Code.RESOURCE_EXHAUSTED,
  Code.FAILED_PRECONDITION,
]);

export interface LogObserverOptions {
  logger: Logger;
  /** Lines per kind of message (per rpc and code, per source...) in each window; the rest are counted. */
  linesPerWindow?: number;
  windowMs?: number;
  now?: () => number;
}

export interface ShutdownTotals {
  uptimeS: number;
  calls: Record<string, number>;
  events: { stored: number; duplicate: number; rejected: number; retryable: number; rateLimited: number };
  storeFailures: number;
}

export interface LogObserver extends IngestObserver {
  /** Totals since start, for the shutdown summary. */
  totals(): ShutdownTotals;
}

/**
 * Logs what an operator needs at the default level, fed by the IngestObserver
 * port: calls that ended with an error status (code, RPC, source kind), sources
 * over their rate limit or quota, store write failures and the recovery after
 * them. Each kind of line is rate-limited; held-back lines are counted in the
 * next one (`suppressed`) and in the shutdown totals.
 */
export function createLogObserver(options: LogObserverOptions): LogObserver {
  const { logger } = options;
  const now = options.now ?? Date.now;
  const limiter = createLogLimiter({ perWindow: options.linesPerWindow ?? 5, windowMs: options.windowMs ?? 60_000, now });
  const started = now();
  const calls: Record<string, number> = {};
  const events = { stored: 0, duplicate: 0, rejected: 0, retryable: 0, rateLimited: 0 };
  let storeFailures = 0;
  let outage: { since: number; payloads: number; events: number } | undefined;

  return {
    streamStarted() {},
    streamIdentified() {},
    // `origin` is passed by ingest paths that know who was refused; older ones pass only rpc and code.
    streamEnded(rpc: 'RecordEvents' | 'RecordEvent', code: Code, origin?: StreamOrigin) {
      const name = CODE_NAMES[code] ?? String(code);
      calls[name] = (calls[name] ?? 0) + 1;
      if (code === Code.OK) return;
      const { log, suppressed } = limiter.take(`call:${rpc}:${name}`);
      if (!log) return;
      const fields = {
        rpc,
        code: name,
        // RecordEvent is the managed services' RPC, RecordEvents the instances'.
        sourceKind: origin?.source.kind ?? (rpc === 'RecordEvent' ? 'managed_service' : 'instance'),
        ...(origin ? { source: describeSource(origin.source) } : {}),
        ...(suppressed > 0 ? { suppressed } : {}),
      };
      if (REFUSALS.has(code)) logger.warn(fields, 'call refused');
      else logger.info(fields, 'call ended with an error status');
    },
    payloadRecorded(origin, entries, outcomes) {
      let failed = 0;
      let reason: string | undefined;
      entries.forEach((entry, i) => {
        const outcome = outcomes[i];
        if (outcome === undefined || outcome.status === 'retryable') {
          failed++;
          reason ??= outcome?.status === 'retryable' ? outcome.reason : 'no outcome';
        } else if (outcome.status === 'duplicate') events.duplicate++;
        else if (entry.kind === 'rejected') events.rejected++;
        else events.stored++;
      });
      events.retryable += failed;
      if (failed > 0) {
        storeFailures++;
        outage ??= { since: now(), payloads: 0, events: 0 };
        outage.payloads++;
        outage.events += failed;
        const { log, suppressed } = limiter.take('store-failure');
        if (log) {
          logger.warn(
            { reason, events: failed, source: origin.publisher, ...(suppressed > 0 ? { suppressed } : {}) },
            'store write failed; events not acknowledged (the sender retries them)',
          );
        }
      } else if (outage !== undefined && entries.length > 0) {
        logger.info(
          { downMs: now() - outage.since, failedPayloads: outage.payloads, failedEvents: outage.events },
          'store writes succeed again',
        );
        outage = undefined;
      }
    },
    privacyEnforced() {},
    rateLimited(origin, n) {
      events.rateLimited += n;
      // Throttled per source as the rate limiter keys it; the line shows the source's log label.
      const { log, suppressed } = limiter.take(`rate:${sourceKey(origin.source)}`);
      if (log) {
        logger.warn(
          { sourceKind: origin.source.kind, source: describeSource(origin.source), events: n, ...(suppressed > 0 ? { suppressed } : {}) },
          'source over its rate limit or daily quota; events not acknowledged',
        );
      }
    },
    totals() {
      return { uptimeS: Math.round((now() - started) / 1000), calls: { ...calls }, events: { ...events }, storeFailures };
    },
  };
}
