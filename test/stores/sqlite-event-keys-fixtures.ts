import type { StoreEntry, StreamOrigin } from '../../src/core/store.js';

export const origin: StreamOrigin = {
  source: { kind: 'unlicensed_instance', instanceId: 'keys', externalUrl: '' },
  publisher: 'unlicensed_instance',
  metadataBytes: new Uint8Array([1, 2, 3]),
  metadataDigest: 'keys',
};
export const BASE_MS = 1_790_000_000_000;
export const entry = (i: number, timestampMs = BASE_MS + Math.floor(i / 50)): StoreEntry => ({
  kind: 'event',
  id: `id-${(i * 2654435761) % 4294967291}-${i}`,
  feature: 'search',
  action: 'submitted',
  timestampMs,
  bytes: new Uint8Array([i & 0xff]),
});
export const TOTAL = 200_000;
export const BATCH = 5_000;

