/**
 * Types of the gateway's /api/... answers, and a fetch helper. The types are
 * the server's own (src/dashboard/api-types.ts, which its handlers are checked
 * against); the import is type-only, so esbuild drops it and no server code
 * reaches the bundle.
 */
export type {
  ApiError,
  FigureSource,
  InstanceRow,
  InstancesResponse,
  Outcome,
  OutcomeCounts,
  Overview,
  RejectedEventDetail,
  RejectedResponse,
  RejectedRow,
  SessionInfo,
  SourceIdentity,
  TailItem,
} from '../../src/dashboard/api-types.js';

/** GETs JSON from the gateway; a 401 means the session is gone, so reload to the sign-in form. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, { credentials: 'same-origin', signal: signal ?? null, headers: { accept: 'application/json' } });
  if (response.status === 401) {
    location.reload();
    throw new Error('signed out');
  }
  if (!response.ok) throw new Error(`${path}: ${response.status} ${(await response.text()).slice(0, 200)}`);
  return (await response.json()) as T;
}
