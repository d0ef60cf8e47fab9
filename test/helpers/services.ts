import { randomBytes } from 'node:crypto';
import { connect as connectTcp } from 'node:net';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as connectNats } from '@nats-io/transport-node';
import pg from 'pg';

/**
 * External services some tests need (PostgreSQL, NATS JetStream). On a laptop
 * without them those tests skip and say why; in CI (CI=true) a missing
 * service fails the run instead, so a broken service cannot pass as green.
 */
export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

export type Service = 'postgres' | 'nats';

const cache = new Map<Service, Promise<string | false>>();

/**
 * `false` when the service answers, else the reason to skip: pass it as
 * node:test's `skip` option. Throws when CI=true and the service is missing.
 */
export function requireService(service: Service): Promise<string | false> {
  let known = cache.get(service);
  if (!known) {
    known = probe(service === 'postgres' ? POSTGRES_URL : NATS_URL, service === 'postgres' ? 5432 : 4222).then((problem) => {
      if (problem === undefined) return false;
      const reason = `${service} is not reachable (${problem}); set TEST_${service.toUpperCase()}_URL or start it`;
      if (process.env.CI === 'true') throw new Error(`CI requires ${service}: ${reason}`);
      return reason;
    });
    cache.set(service, known);
  }
  return known;
}

function probe(url: string, defaultPort: number): Promise<string | undefined> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connectTcp({ host: hostname, port: Number(port || defaultPort) });
    socket.setTimeout(2000, () => socket.destroy(new Error('timed out')));
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (error) => resolve(`${hostname}:${port || defaultPort}: ${error.message}`));
  });
}

/** A name no other test run uses: lower case, safe as a schema, stream or subject token. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** A store URL on a fresh schema of the test database, and a way to drop that schema. */
export function postgresTestStore(extraParams = ''): { url: string; schema: string; drop(): Promise<void> } {
  const schema = uniqueName('tgw_test');
  const separator = POSTGRES_URL.includes('?') ? '&' : '?';
  return {
    url: `${POSTGRES_URL}${separator}schema=${schema}${extraParams ? `&${extraParams}` : ''}`,
    schema,
    drop: () => withPostgres((client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).then(() => undefined)),
  };
}

/** Runs `use` with a plain connection to the test database (outside any store under test). */
export async function withPostgres<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, application_name: 'tgw-test-admin' });
  client.on('error', () => {}); // the test decides what a lost connection means
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** A store URL on a fresh stream and subject prefix, and a way to delete that stream. */
export function natsTestStore(extraParams = '', serverUrl = NATS_URL): { url: string; stream: string; subjectPrefix: string; drop(): Promise<void> } {
  const name = uniqueName('tgw_test');
  const stream = name.toUpperCase();
  const subjectPrefix = name;
  const separator = serverUrl.includes('?') ? '&' : '?';
  return {
    url: `${serverUrl}${separator}stream=${stream}&subject_prefix=${subjectPrefix}${extraParams ? `&${extraParams}` : ''}`,
    stream,
    subjectPrefix,
    drop: () => deleteStream(serverUrl, stream),
  };
}

async function deleteStream(serverUrl: string, stream: string): Promise<void> {
  const nc = await connectNats({ servers: new URL(serverUrl).host });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(stream).catch(() => undefined);
  } finally {
    await nc.close();
  }
}
