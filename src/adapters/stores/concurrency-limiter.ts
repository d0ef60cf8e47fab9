/**
 * At most `max` tasks at once, the rest wait in arrival order. Used to bound
 * publishes awaiting an ack, so a slow or absent server makes callers wait
 * instead of growing a client-side buffer without limit.
 */
export interface ConcurrencyLimiter {
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Resolves once nothing is running or waiting. */
  idle(): Promise<void>;
}

export function createConcurrencyLimiter(max: number): ConcurrencyLimiter {
  let running = 0;
  // A queue read from `head`: Array.shift copies the whole array once it is long,
  // which with thousands of waiters took a seventh of the NATS store's CPU.
  let waiting: Array<() => void> = [];
  let head = 0;
  const idleWaiters: Array<() => void> = [];

  const release = (): void => {
    if (head < waiting.length) {
      const next = waiting[head]!;
      waiting[head++] = undefined!;
      if (head === waiting.length) {
        waiting = [];
        head = 0;
      } else if (head >= 1024 && head * 2 >= waiting.length) {
        waiting = waiting.slice(head);
        head = 0;
      }
      return next(); // the slot passes straight to the next task
    }
    running--;
    if (running === 0) idleWaiters.splice(0).forEach((wake) => wake());
  };

  return {
    async run(task) {
      if (running < max) running++;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await task();
      } finally {
        release();
      }
    },
    idle() {
      return running === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
