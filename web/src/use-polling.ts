import { useEffect, useState } from 'preact/hooks';
import { getJson } from './api.js';

/** Fetches `path` now and every `intervalMs` while the page is shown; keeps the last good answer. */
export function usePolling<T>(path: string, intervalMs: number): { data: T | undefined; error: string | undefined } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    const abort = new AbortController();
    let timer: number | undefined;
    const load = async (): Promise<void> => {
      try {
        setData(await getJson<T>(path, abort.signal));
        setError(undefined);
      } catch (e) {
        if (!abort.signal.aborted) setError(e instanceof Error ? e.message : String(e));
      }
      if (!abort.signal.aborted) timer = window.setTimeout(load, intervalMs);
    };
    void load();
    return () => {
      abort.abort();
      window.clearTimeout(timer);
    };
  }, [path, intervalMs]);
  return { data, error };
}
