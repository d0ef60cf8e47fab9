import type { EventStore } from '../../core/store.js';

export type ReadinessState = { ready: true } | { ready: false; reason: string };

export interface ReadinessOptions {
  store: EventStore;
  /** Aborted when the gateway starts draining: not ready from then on. */
  draining: AbortSignal;
  /** How often the store is asked whether it takes writes. */
  pollMs?: number;
  /** Told of every change (e.g. to set the gRPC health status). */
  onChange?: (state: ReadinessState) => void;
}

export interface Readiness {
  /** The latest known state; waits for the first store check only. */
  state(): Promise<ReadinessState>;
  close(): void;
}

/**
 * Whether the gateway should get traffic: its store takes writes and it is
 * not draining. The store is asked every `pollMs` (not per probe, so probes
 * stay cheap and unauthenticated callers cannot make it work harder); draining
 * is seen at once. `/-/readyz` and the gRPC health status both follow it.
 */
export function createReadiness(options: ReadinessOptions): Readiness {
  let current: ReadinessState | undefined;
  const set = (next: ReadinessState): void => {
    const changed = current === undefined || current.ready !== next.ready;
    current = next;
    if (changed) options.onChange?.(next);
  };
  const check = async (): Promise<void> => {
    if (options.draining.aborted) return set({ ready: false, reason: 'draining' });
    const health = await options.store.health().catch((error: unknown) => ({ ok: false as const, reason: error instanceof Error ? error.message : String(error) }));
    if (options.draining.aborted) return set({ ready: false, reason: 'draining' });
    set(health.ok ? { ready: true } : { ready: false, reason: `store ${options.store.description} is not writable: ${health.reason}` });
  };
  const first = check();
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void check().finally(() => (running = false));
  }, options.pollMs ?? 2000);
  timer.unref();
  const onDrain = (): void => set({ ready: false, reason: 'draining' });
  options.draining.addEventListener('abort', onDrain, { once: true });
  return {
    async state() {
      if (current === undefined) await first;
      return current!;
    },
    close() {
      clearInterval(timer);
      options.draining.removeEventListener('abort', onDrain);
    },
  };
}
