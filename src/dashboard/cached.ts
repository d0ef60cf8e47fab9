/**
 * Memoizes an async answer for `ttlMs`; callers arriving while it is being
 * computed share that one computation. A failed computation is not kept.
 */
export function cached<T>(ttlMs: number, compute: () => Promise<T>): () => Promise<T> {
  let value: { promise: Promise<T>; expiresMs: number } | undefined;
  return () => {
    const nowMs = Date.now();
    if (value && nowMs < value.expiresMs) return value.promise;
    const promise = compute();
    const entry = { promise, expiresMs: nowMs + ttlMs };
    value = entry;
    promise.catch(() => {
      if (value === entry) value = undefined;
    });
    return promise;
  };
}
