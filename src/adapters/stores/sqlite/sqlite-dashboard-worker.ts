import { parentPort, workerData } from 'node:worker_threads';
import { fromBinary } from '@bufbuild/protobuf';
import BetterSqlite3 from 'better-sqlite3';
import { groupInstances } from '../../../core/group-instances.js';
import { EventSchema } from '../../../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { createSqliteDashboardReads } from './sqlite-dashboard-reads.js';

/**
 * The dashboard's reader thread: a read-only connection to the store file, so
 * aggregate queries never run on the gateway's event loop (which decodes
 * ingest) nor on the writer thread (which commits it).
 */
export type DashboardRequest =
  | { id: number; method: 'minuteSummaries'; fromMs: number; toMs: number }
  | { id: number; method: 'instances'; sinceMs: number }
  | { id: number; method: 'rejected'; filter: import('../../../core/dashboard-queries.js').RejectedFilter }
  | { id: number; method: 'rejectedEvent'; seq: number };

export type DashboardReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

const port = parentPort!;
const db = new BetterSqlite3(workerData.path as string, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
const reads = createSqliteDashboardReads(db);

function answer(request: DashboardRequest): unknown {
  switch (request.method) {
    case 'minuteSummaries':
      return reads.minuteSummaries(request.fromMs, request.toMs);
    case 'instances':
      return groupInstances(
        reads.metadataActivity(request.sinceMs).map(({ latestEvent, ...activity }) => ({
          ...activity,
          serverVersion: latestEvent ? serverVersionOf(latestEvent) : undefined,
        })),
      );
    case 'rejected':
      return reads.rejected(request.filter);
    case 'rejectedEvent':
      return reads.rejectedEvent(request.seq);
  }
}

function serverVersionOf(bytes: Uint8Array): string | undefined {
  try {
    return fromBinary(EventSchema, bytes).source?.server?.version || undefined;
  } catch {
    return undefined;
  }
}

port.on('message', (request: DashboardRequest | 'close') => {
  if (request === 'close') {
    db.close();
    port.close();
    return;
  }
  let reply: DashboardReply;
  try {
    reply = { id: request.id, ok: true, value: answer(request) };
  } catch (error) {
    reply = { id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});
