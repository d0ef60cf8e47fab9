import { retryable, type EventStore, type StoreHealth, type WriteBatch, type WriteOutcome } from '../../core/store.js';
import { openStore, parseStoreUrl, splitStoreUrls, type OpenStoreOptions } from './open-store.js';
import { redactUrl } from './store-url.js';

/**
 * Error codes that say the server did not answer (down, starting, not
 * resolvable yet), as opposed to a wrong configuration (bad password, unknown
 * database, bad URL), which still fails the start.
 */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', '57P03']);

/** Whether an open failed because the server could not be reached (looks through `cause` and AggregateError). */
export function isUnreachable(error: unknown, seen = new Set<unknown>()): boolean {
  if (error === null || typeof error !== 'object' || seen.has(error)) return false;
  seen.add(error);
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && UNREACHABLE.has(code)) return true;
  return isUnreachable(cause, seen) || (Array.isArray(errors) && errors.some((e) => isUnreachable(e, seen)));
}

export interface StoreOpenHooks {
  /** The store could not be reached at start, or on a later attempt; the next one is in `nextAttemptMs`. */
  unreachable(reason: string, nextAttemptMs: number): void;
  /** It answered: writes go to it from now on. */
  opened(): void;
}

export interface RetryOptions {
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Opens the store a URL names. A single PostgreSQL or NATS store that cannot
 * be reached (a replica starting before its database, a database restarting)
 * does not fail the start: the gateway serves, not ready (its writes answer
 * retryable, health says why), while the store is opened again in the
 * background with backoff. Anything else that fails to open fails the start,
 * as before: a wrong URL, credentials or path will not fix itself.
 */
export async function openStoreRetryingWhenDown(url: string, options: OpenStoreOptions, hooks: StoreOpenHooks, retry: RetryOptions = {}): Promise<EventStore> {
  try {
    return await openStore(url, options);
  } catch (error) {
    const urls = splitStoreUrls(url);
    const scheme = urls.length === 1 ? parseStoreUrl(urls[0]!).scheme : undefined;
    if ((scheme !== 'postgres' && scheme !== 'nats') || !isUnreachable(error)) throw error;
    return retryOpenInBackground(redactUrl(url), () => openStore(url, options), error, hooks, retry);
  }
}

/** A store that answers "not yet" until `open` succeeds, retrying it with backoff (1 s doubling to 30 s). */
export function retryOpenInBackground(
  description: string,
  open: () => Promise<EventStore>,
  firstError: unknown,
  hooks: StoreOpenHooks,
  retry: RetryOptions = {},
): EventStore {
  const maxDelayMs = retry.maxDelayMs ?? 30_000;
  let delayMs = retry.initialDelayMs ?? 1000;
  let inner: EventStore | undefined;
  let lastReason = reasonOf(firstError);
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let attempt: Promise<void> | undefined;

  const schedule = (): void => {
    hooks.unreachable(lastReason, delayMs);
    timer = setTimeout(() => (attempt = tryOpen()), delayMs);
    timer.unref();
    delayMs = Math.min(delayMs * 2, maxDelayMs);
  };
  const tryOpen = async (): Promise<void> => {
    try {
      const store = await open();
      if (closed) return void (await store.close());
      inner = store;
      hooks.opened();
    } catch (error) {
      lastReason = reasonOf(error);
      if (!closed) schedule();
    }
  };
  schedule();

  const notYet = (): string => `not reachable yet (retrying in the background): ${lastReason}`;
  return {
    get description() {
      return inner?.description ?? description;
    },
    write(batch: WriteBatch): Promise<WriteOutcome[]> {
      if (inner !== undefined) return inner.write(batch);
      const outcome = retryable(notYet());
      return Promise.resolve(batch.entries.map(() => outcome));
    },
    health(): Promise<StoreHealth> {
      return inner !== undefined ? inner.health() : Promise.resolve({ ok: false, reason: notYet() });
    },
    async close(): Promise<void> {
      closed = true;
      clearTimeout(timer);
      await attempt;
      await inner?.close();
    },
  };
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
