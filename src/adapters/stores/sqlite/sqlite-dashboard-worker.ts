import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { groupInstances } from '../../../core/group-instances.js';
import { serverVersionOf } from '../../../core/server-version.js';
import type { DashboardReply, DashboardRequest } from './sqlite-dashboard-protocol.js';
import { createSqliteDashboardReads } from './sqlite-dashboard-reads.js';

/**
 * The dashboard's reader thread: a read-only connection to the store file, so
 * aggregate queries never run on the gateway's event loop (which decodes
 * ingest) nor on the writer thread (which commits it).
 */
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
