import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../../logger.js';

export type SecretCheck =
  | { result: 'ok' }
  | { result: 'denied' }
  /** Too many recent failures from this client: not checked; try again after this many seconds. */
  | { result: 'throttled'; retryAfterSeconds: number };

export interface SecretGuardOptions {
  /** The diagnostics secret; undefined or '' means nothing is protected. */
  secret: string | undefined;
  logger: Logger;
  /** Failures a client may make before it has to wait. */
  freeFailures?: number;
  /** The first wait; each further failure doubles it. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Clients remembered at once (the oldest are forgotten first). */
  maxClients?: number;
  now?: () => number;
}

export interface SecretGuard {
  /** Whether a secret is configured at all. */
  readonly required: boolean;
  /**
   * Checks a secret offered by `client` (a clientKey) at `where` (e.g. "/login").
   * A client that failed more than `freeFailures` times in a row must wait
   * baseDelay x 2^n (up to maxDelay) before its next try is even checked.
   * Failures are logged with the client and place, never what was offered.
   */
  check(client: string, offered: string, where: string): SecretCheck;
  /** Seconds `client` must still wait (0: it may try now). */
  waitSeconds(client: string): number;
}

interface Failures {
  count: number;
  blockedUntilMs: number;
  lastMs: number;
}

/** Failures older than this are forgotten. */
const FORGET_AFTER_MS = 3600_000;

/** Throttled, logged checks of the diagnostics secret, shared by every place that takes it. */
export function createSecretGuard(options: SecretGuardOptions): SecretGuard {
  const required = options.secret !== undefined && options.secret !== '';
  const secretDigest = createHash('sha256').update(options.secret ?? '').digest();
  const freeFailures = options.freeFailures ?? 3;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 300_000;
  const maxClients = options.maxClients ?? 10_000;
  const now = options.now ?? Date.now;
  const clients = new Map<string, Failures>();

  const current = (client: string, at: number): Failures | undefined => {
    const entry = clients.get(client);
    if (entry && at - entry.lastMs > FORGET_AFTER_MS && at >= entry.blockedUntilMs) {
      clients.delete(client);
      return undefined;
    }
    return entry;
  };
  const waitSeconds = (client: string): number => {
    const at = now();
    const entry = current(client, at);
    return entry && entry.blockedUntilMs > at ? Math.ceil((entry.blockedUntilMs - at) / 1000) : 0;
  };

  return {
    required,
    waitSeconds,
    check(client, offered, where) {
      if (!required) return { result: 'ok' };
      const at = now();
      const wait = waitSeconds(client);
      if (wait > 0) return { result: 'throttled', retryAfterSeconds: wait };
      const ok = timingSafeEqual(createHash('sha256').update(offered).digest(), secretDigest);
      if (ok) {
        clients.delete(client);
        return { result: 'ok' };
      }
      const entry = current(client, at) ?? { count: 0, blockedUntilMs: 0, lastMs: at };
      entry.count++;
      entry.lastMs = at;
      const over = entry.count - freeFailures;
      entry.blockedUntilMs = over > 0 ? at + Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(over - 1, 30)) : 0;
      clients.delete(client); // re-inserted last: the map stays ordered oldest first
      clients.set(client, entry);
      while (clients.size > maxClients) clients.delete(clients.keys().next().value!);
      options.logger.warn(
        { client, where, failures: entry.count, ...(over > 0 ? { nextTryInMs: entry.blockedUntilMs - at } : {}) },
        'diagnostics secret refused',
      );
      return { result: 'denied' };
    },
  };
}

/** The secret from `Authorization: Bearer <secret>`; null for another scheme; undefined without the header. */
export function bearerSecret(header: string | undefined): string | null | undefined {
  if (header === undefined || header === '') return undefined;
  const match = /^Bearer (.+)$/i.exec(header);
  return match?.[1] ?? null;
}
