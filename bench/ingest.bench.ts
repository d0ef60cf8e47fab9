/**
 * Ingest benchmark, embedded store: sustained events/s with durable
 * acknowledgements through a real gateway process (SQLite store, fsync per
 * group commit), and the in-process ceiling for the same payloads. Run with
 * `npm run bench` (after `npm install`, which builds dist/); the load and its
 * knobs are in ingest-load.ts.
 */
import { join } from 'node:path';
import { openSqliteStore } from '../src/adapters/stores/sqlite/sqlite-store.js';
import { unlicensed } from '../test/helpers/gateway.js';
import { tempDir } from '../test/helpers/temp-dir.js';
import { encodeMetadata, encodeRun, inProcess, overTheNetwork, PAYLOAD_EVENTS, PAYLOADS_PER_STREAM, STREAMS } from './ingest-load.js';

const metadata = encodeMetadata(unlicensed('bench-instance'));
console.error(`encoding ${STREAMS} x ${PAYLOADS_PER_STREAM} payloads of ${PAYLOAD_EVENTS} events...`);
const network = encodeRun(0);
const sample = network[0]![0]!;
console.error(`payload size ${(sample.length / 1024).toFixed(0)} KiB, ~${Math.round(sample.length / PAYLOAD_EVENTS)} bytes/event`);
{
  using dir = tempDir('tgw-bench-');
  await overTheNetwork('SQLite', `sqlite:${join(dir.path, 'bench.db')}`, network, metadata);
}
{
  using dir = tempDir('tgw-bench-');
  const store = openSqliteStore(join(dir.path, 'ceiling.db'));
  await inProcess('SQLite group commit', store, encodeRun(50_000_000), metadata);
  await store.close();
}
