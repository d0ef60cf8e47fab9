import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, before, after } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import { create } from '@bufbuild/protobuf';
import { EVENTS_WRITE_SCOPE, sha256 } from '../../src/core/identity/service-tokens.js';
import { EventSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { startTestGateway, managedService, testEvent, unlicensed, type TestGateway } from '../helpers/gateway.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('RecordEvent (unary, managed services)', () => {
  const token = 'tgw_unary-token';
  const dir = tempDir();
  let t: TestGateway;
  before(async () => {
    const file = join(dir.path, 'tokens.json');
    writeFileSync(file, JSON.stringify([{ name: 'svc', sha256: sha256(token).toString('hex'), scopes: [EVENTS_WRITE_SCOPE] }]));
    t = await startTestGateway({ serviceTokensFile: file });
  });
  after(async () => {
    await t[Symbol.asyncDispose]();
    dir[Symbol.dispose]();
  });

  const failure = async (promise: Promise<void>): Promise<[number, string]> => {
    const error = (await promise.then(
      () => assert.fail('expected the call to fail'),
      (e: unknown) => e,
    )) as ServiceError;
    return [error.code, error.details];
  };

  it('records a valid event', async () => {
    const event = testEvent();
    await t.client({ authorization: `Bearer ${token}` }).recordEvent(managedService(), event);
    const rows = await t.reader.listEvents({ limit: 100 });
    assert.ok(rows.some((row) => row.id === event.id));
  });

  it('requires the event', async () => {
    const client = t.client({ authorization: `Bearer ${token}` });
    assert.deepEqual(
      await failure(client.recordEvent(managedService(), undefined as unknown as ReturnType<typeof testEvent>)),
      [status.INVALID_ARGUMENT, 'event is required'],
    );
  });

  it('accepts only managed-service identifiers', async () => {
    const client = t.client({ authorization: `Bearer ${token}` });
    assert.deepEqual(await failure(client.recordEvent(unlicensed(), testEvent())), [
      status.UNIMPLEMENTED,
      'unsupported identifier type',
    ]);
  });

  it('fails an invalid event with INTERNAL "failed to publish event: <reason>"', async () => {
    const client = t.client({ authorization: `Bearer ${token}` });
    assert.deepEqual(await failure(client.recordEvent(managedService(), create(EventSchema, { ...testEvent(), id: '' }))), [
      status.INTERNAL,
      'failed to publish event: event id is required',
    ]);
  });

  it('checks the bearer token', async () => {
    assert.equal((await failure(t.client().recordEvent(managedService(), testEvent())))[0], status.UNAUTHENTICATED);
    const wrong = t.client({ authorization: 'Bearer nope' });
    assert.deepEqual(await failure(wrong.recordEvent(managedService(), testEvent())), [
      status.PERMISSION_DENIED,
      'permission denied',
    ]);
  });
});
