/**
 * Ingest benchmark, network stores: the embedded benchmark's load and payload
 * mix (ingest-load.ts) through a gateway process writing to PostgreSQL and to
 * NATS JetStream, each acknowledging only durable events, plus the in-process
 * ceiling for PostgreSQL. A service that is not reachable is skipped with a
 * message. Each run uses its own schema or stream and removes it afterwards.
 *
 * BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/test) and
 * BENCH_NATS_URL (nats://127.0.0.1:4222) choose the servers; BENCH_POSTGRES_PARAMS
 * adds store parameters (e.g. "pool_size=8").
 */
import { openPostgresStore } from '../src/adapters/stores/postgres/postgres-store.js';
import { unlicensed } from '../test/helpers/gateway.js';
import { natsTestStore, postgresTestStore, requireService } from '../test/helpers/services.js';
import { encodeMetadata, encodeRun, inProcess, overTheNetwork } from './ingest-load.js';

process.env.TEST_POSTGRES_URL ??= process.env.BENCH_POSTGRES_URL;
process.env.TEST_NATS_URL ??= process.env.BENCH_NATS_URL;
const metadata = encodeMetadata(unlicensed('bench-instance'));

/** The reason to skip a service, or false; never throws (CI=true is about tests, not benchmarks). */
const unreachable = (service: 'postgres' | 'nats'): Promise<string | false> =>
  requireService(service).catch((error: Error) => error.message);

const postgresSkip = await unreachable('postgres');
if (postgresSkip) {
  console.error(`skipping PostgreSQL: ${postgresSkip}`);
} else {
  const params = process.env.BENCH_POSTGRES_PARAMS ?? '';
  const withParams = (extra: string): string => [params, extra].filter((p) => p !== '').join('&');
  // Default (record=jsonb): each row carries the record as JSONB, rendered by the gateway.
  const network = postgresTestStore(params);
  try {
    await overTheNetwork('PostgreSQL', network.url, encodeRun(100_000_000), metadata);
  } finally {
    await network.drop();
  }
  const ceiling = postgresTestStore(params);
  try {
    const store = await openPostgresStore(ceiling.url);
    await inProcess('PostgreSQL group commit', store, encodeRun(150_000_000), metadata);
    await store.close();
  } finally {
    await ceiling.drop();
  }
  // record=none: bytes and indexed columns only; the JSON is rendered when read.
  const bytesOnly = postgresTestStore(withParams('record=none'));
  try {
    await overTheNetwork('PostgreSQL record=none', bytesOnly.url, encodeRun(250_000_000), metadata);
  } finally {
    await bytesOnly.drop();
  }
}

const natsSkip = await unreachable('nats');
if (natsSkip) {
  console.error(`skipping NATS: ${natsSkip}`);
} else {
  const bus = natsTestStore();
  try {
    await overTheNetwork('NATS JetStream', bus.url, encodeRun(200_000_000), metadata);
  } finally {
    await bus.drop();
  }
}
