import type { EventReader, StoredEventRow } from '../../src/core/store.js';
import type { EventQueue } from '../../src/exporter/queue.js';
import type { Recorder } from '../../src/exporter/recorder.js';

/** Records `count` search events (in one commit) and returns their ids in order. */
export async function recordSearches(recorder: Recorder, count: number, privateMetadata?: (i: number) => Record<string, string>): Promise<string[]> {
  const ids = await recorder.recordBatch(
    Array.from({ length: count }, (_, i) => ({
      feature: 'search',
      action: 'submitted',
      params: {
        metadata: { results: i % 50, durationMs: 12.5 },
        privateMetadata: privateMetadata?.(i) ?? { repo: `github.com/acme/repo-${i}` },
        client: { name: 'web', version: '5.11.0' },
        featureFlags: { 'search-ranking': i % 2 === 0 ? 'on' : 'off' },
      },
    })),
  );
  return ids.map((id) => id!);
}

/** Every stored event by id; fails if an id is stored twice. */
export async function allStoredEvents(reader: EventReader): Promise<Map<string, StoredEventRow>> {
  const byId = new Map<string, StoredEventRow>();
  for (let afterSeq = 0; ; ) {
    const rows = await reader.listEvents({ limit: 5000, afterSeq });
    if (rows.length === 0) return byId;
    for (const row of rows) {
      if (byId.has(row.id)) throw new Error(`event ${row.id} is stored twice`);
      byId.set(row.id, row);
    }
    afterSeq = rows[rows.length - 1]!.seq;
  }
}

export async function pendingIds(queue: EventQueue): Promise<string[]> {
  return (await queue.pending({ limit: 1_000_000 })).map((e) => e.id);
}
