import { execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { openReader } from '../../src/adapters/stores/open-store.js';
import { createExportLoop } from '../../src/exporter/export-loop.js';
import { startServe, type ServeProcess } from '../helpers/cli.js';
import { createTestExporter, plaintextConnector, wrapConnector } from '../helpers/exporter.js';
import { pollUntil } from '../helpers/poll.js';
import { withPostgres } from '../helpers/services.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { tempDir } from '../helpers/temp-dir.js';
import { seededRandom, shuffled } from './seeded-random.js';

export interface OracleOptions {
  seed: number;
  events: number;
  gatewayKills: number;
  connectionCuts: number;
  /**
   * PostgreSQL only: `restartCommand` when given (e.g. `pg_ctlcluster 15 main restart`), else
   * the gateway's connections are terminated (the closest to a restart a shared server allows).
   */
  storeRestarts: number;
  /** sqlite (a file in a temp dir) or a postgres:// URL with a fresh schema. */
  store: { kind: 'sqlite' } | { kind: 'postgres'; url: string; applicationName: string; restartCommand?: string };
  settleTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface OracleSummary {
  seed: number;
  events: number;
  kills: number;
  cuts: number;
  storeRestarts: number;
  acknowledged: number;
  stored: number;
  lost: number;
  duplicated: number;
  digestMismatches: number;
  /** Acknowledged ids missing from the store at the end: acknowledged before they were durable. */
  acknowledgedButMissing: number;
  servesAfterwards: boolean;
  seconds: number;
}

/**
 * The fault-injection oracle: an exporter queue seeded with events of known ids
 * and payload digests exports through a loopback proxy to a gateway process,
 * while the harness kill -9s and restarts the gateway, cuts connections and
 * (PostgreSQL) drops the store's connections, at seeded random moments, with
 * events still being recorded. After it settles: every event is stored exactly
 * once with its digest, every acknowledged id is there, and the gateway serves.
 */
export async function runFaultOracle(options: OracleOptions): Promise<OracleSummary> {
  const started = performance.now();
  const random = seededRandom(options.seed);
  const log = options.log ?? (() => {});
  using dir = tempDir('tgw-oracle-');
  const storeUrl = options.store.kind === 'sqlite' ? `sqlite:${join(dir.path, 'telemetry.db')}` : options.store.url;
  const port = await freePort();
  const serveArgs = ['--listen', `127.0.0.1:${port}`, '--store', storeUrl, '--log-level', 'warn'];

  await using exporter = createTestExporter();
  const digests = new Map<string, string>();
  const recordChunk = async (count: number): Promise<void> => {
    const before = digests.size;
    await exporter.recorder.recordBatch(
      Array.from({ length: count }, (_, i) => ({ feature: 'oracle', action: 'recorded', params: { metadata: { n: before + i, roll: Math.floor(random() * 1000) } } })),
    );
    for (const event of await exporter.queue.pending({ limit: 1_000_000 })) {
      if (!digests.has(event.id)) digests.set(event.id, sha256(event.bytes));
    }
  };

  let serve: ServeProcess = await startServe(serveArgs);
  await using proxy = await startTcpProxy(`127.0.0.1:${port}`);
  const acknowledged = new Set<string>();
  const loop = createExportLoop({
    queue: exporter.queue,
    connect: wrapConnector(plaintextConnector(proxy.address), (transport) => ({
      ...transport,
      recordEvents: (payloads, onAcknowledged) =>
        transport.recordEvents(payloads, (ids) => {
          for (const id of ids) acknowledged.add(id);
          onAcknowledged(ids);
        }),
    })),
    intervalMs: 100,
    backoff: { initialMs: 20, maxMs: 200 },
    batchSize: 500,
    concurrentBatches: 2,
  });
  loop.start();

  const counts = { kills: 0, cuts: 0, storeRestarts: 0 };
  const actions = shuffled(
    [
      ...Array<'kill'>(options.gatewayKills).fill('kill'),
      ...Array<'cut'>(options.connectionCuts).fill('cut'),
      ...Array<'store'>(options.store.kind === 'postgres' ? options.storeRestarts : 0).fill('store'),
    ],
    random,
  );
  const chunk = Math.ceil(options.events / Math.max(1, actions.length));
  try {
    for (const action of actions) {
      await recordChunk(Math.min(chunk, options.events - digests.size));
      await pause(20 + random() * 250);
      if (action === 'kill') {
        serve.child.kill('SIGKILL');
        await once(serve.child, 'exit');
        counts.kills++;
        await pause(random() * 200);
        serve = await startServe(serveArgs);
      } else if (action === 'cut') {
        proxy.cutAll();
        counts.cuts++;
      } else if (options.store.kind === 'postgres') {
        const { applicationName, restartCommand } = options.store;
        if (restartCommand) execSync(restartCommand, { stdio: 'ignore' });
        else await withPostgres((client) => client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [applicationName]));
        counts.storeRestarts++;
      }
      log(`${action}: ${acknowledged.size} acknowledged of ${digests.size} recorded`);
    }
    if (digests.size < options.events) await recordChunk(options.events - digests.size);

    await pollUntil('the queue to drain after the faults', async () => ((await exporter.queue.stats(Date.now())).pending === 0 ? true : undefined), options.settleTimeoutMs ?? 120_000);
  } finally {
    await loop.close();
  }

  const reader = await openReader(storeUrl);
  const storedCounts = new Map<string, number>();
  let digestMismatches = 0;
  try {
    for (let afterSeq = 0; ; ) {
      const rows = await reader.listEvents({ limit: 5000, afterSeq });
      if (rows.length === 0) break;
      for (const row of rows) {
        storedCounts.set(row.id, (storedCounts.get(row.id) ?? 0) + 1);
        if (digests.get(row.id) !== sha256(row.eventBytes)) digestMismatches++;
      }
      afterSeq = rows[rows.length - 1]!.seq;
    }
  } finally {
    await reader.close();
  }
  const healthz = await fetch(`http://127.0.0.1:${port}/-/healthz`).then((r) => r.status).catch(() => 0);
  const exitCode = await serve.stop();
  return {
    seed: options.seed,
    events: digests.size,
    ...counts,
    acknowledged: acknowledged.size,
    stored: storedCounts.size,
    lost: [...digests.keys()].filter((id) => !storedCounts.has(id)).length,
    duplicated: [...storedCounts.values()].filter((n) => n > 1).length,
    digestMismatches,
    acknowledgedButMissing: [...acknowledged].filter((id) => !storedCounts.has(id)).length,
    servesAfterwards: healthz === 200 && exitCode === 0,
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  };
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
