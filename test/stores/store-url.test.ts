import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parsePostgresUrl } from '../../src/adapters/stores/postgres/postgres-options.js';
import { parseNatsUrl, subjectToken } from '../../src/adapters/stores/nats/nats-options.js';
import { parseStoreUrl, redactUrl, splitStoreUrls } from '../../src/adapters/stores/store-url.js';

it('parses every store scheme and names the supported ones when it cannot', () => {
  assert.deepEqual(parseStoreUrl('sqlite:./data/t.db'), { scheme: 'sqlite', path: './data/t.db' });
  assert.deepEqual(parseStoreUrl('sqlite:///abs/t.db'), { scheme: 'sqlite', path: '/abs/t.db' });
  assert.deepEqual(parseStoreUrl('memory:'), { scheme: 'memory' });
  assert.deepEqual(parseStoreUrl('postgresql://h/db'), { scheme: 'postgres', url: 'postgresql://h/db' });
  assert.deepEqual(parseStoreUrl('nats://h:4222'), { scheme: 'nats', url: 'nats://h:4222' });
  assert.throws(() => parseStoreUrl('kafka://h'), /unsupported store scheme "kafka:"; supported: sqlite:, memory:, postgres:\/\/, nats:\/\//);
});

it('splits a fan-out list only where a new scheme starts', () => {
  assert.deepEqual(splitStoreUrls('sqlite:a.db, postgres://h/db?schema=x,nats://h:4222?server=h2:4222'), [
    'sqlite:a.db',
    'postgres://h/db?schema=x',
    'nats://h:4222?server=h2:4222',
  ]);
  assert.deepEqual(splitStoreUrls('postgres://h/db?application_name=a,b'), ['postgres://h/db?application_name=a,b']);
  assert.throws(() => splitStoreUrls(' , '), /no store URL/);
});

it('redacts users, passwords and secret parameters', () => {
  assert.equal(redactUrl('postgres://alice:pw@db.internal:5432/t?sslmode=require'), 'postgres://db.internal:5432/t?sslmode=require');
  assert.equal(redactUrl('postgres://db/t?password=pw&schema=s'), 'postgres://db/t?password=redacted&schema=s');
  assert.equal(redactUrl('nats://tok3n@nats:4222'), 'nats://nats:4222');
  assert.equal(redactUrl('sqlite:./x.db'), 'sqlite:./x.db');
});

it('reads the gateway options out of a postgres URL and leaves the rest to pg', () => {
  const options = parsePostgresUrl('postgres://u:pw@h:5432/db?schema=tele&pool_size=9&sslmode=disable');
  assert.equal(options.schema, 'tele');
  assert.equal(options.pool.max, 9);
  assert.equal(options.pool.connectionString, 'postgres://u:pw@h:5432/db?sslmode=disable');
  assert.equal(options.pool.options, '-c search_path=tele');
  assert.equal(options.description, 'postgres://h:5432/db?schema=tele&pool_size=9&sslmode=disable');
  assert.equal(options.record, 'jsonb');
  assert.equal(parsePostgresUrl('postgres://h/db?record=none').record, 'none');
  assert.throws(() => parsePostgresUrl('postgres://h/db?record=json'), /record must be jsonb or none/);
  assert.throws(() => parsePostgresUrl('postgres://h/db?pool_size=0'), /pool_size must be a positive integer/);
  assert.throws(() => parsePostgresUrl('postgres://h/db?schema=Robert";DROP'), /schema must be a lower-case SQL identifier/);
});

it('reads stream, subjects, replicas and credentials out of a nats URL', () => {
  const options = parseNatsUrl('nats://u:p@n1:4222?server=n2:4222&server=n3:4222&stream=TEL&subject_prefix=acme.telemetry&replicas=3');
  assert.deepEqual(options.connection.servers, ['n1:4222', 'n2:4222', 'n3:4222']);
  assert.equal(options.connection.user, 'u');
  assert.equal(options.connection.pass, 'p');
  assert.equal(options.stream, 'TEL');
  assert.equal(options.subjectPrefix, 'acme.telemetry');
  assert.equal(options.replicas, 3);
  assert.equal(options.duplicateWindowMs, 120_000);
  assert.equal(parseNatsUrl('nats://s3cret@n1').connection.token, 's3cret');
  assert.equal(parseNatsUrl('nats://s3cret@n1').description, 'nats://n1');
  assert.throws(() => parseNatsUrl('nats://n1?subject_prefix=a.>'), /subject_prefix/);
  assert.equal(subjectToken('cody gateway.v2'), 'cody_gateway_v2');
});
