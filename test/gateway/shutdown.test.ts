import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { withFaults } from '../helpers/fault-store.js';
import { startTestGateway, testEvent, unlicensed } from '../helpers/gateway.js';
import { collect, eventsRequest, metadataRequest, nextResponse } from '../helpers/grpc-call.js';
import { pollUntil } from '../helpers/poll.js';
import { startServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';
import { createGatewayClient } from '../../src/adapters/grpc/gateway-client.js';
import { openSqliteReader } from '../../src/adapters/stores/sqlite/sqlite-store.js';

it('on shutdown, a payload already in the store is finished and answered, then the stream ends UNAVAILABLE', async () => {
  let writesStarted = 0;
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await using t = await startTestGateway({}, {
    wrapStore: (store) => withFaults(store, { gate: async () => { writesStarted++; await held; } }),
  });
  const call = t.client().openRecordEvents();
  const result = collect(call);
  const inFlight = [testEvent(), testEvent()];
  call.write(metadataRequest(unlicensed('shutdown')));
  call.write(eventsRequest(inFlight));
  await pollUntil('the payload to reach the store', () => (writesStarted === 1 ? true : undefined));

  const closed = t.gateway.close();
  // The store has not answered yet: the gateway must wait for it rather than cut the stream.
  release();
  await closed;
  const { responses, code, details } = await result;
  assert.deepEqual(responses, [inFlight.map((e) => e.id)]);
  assert.deepEqual([code, details], [status.UNAVAILABLE, 'gateway is shutting down']);
  assert.equal((await t.gateway.store.health()).ok, false, 'the store is closed');
  const reader = openSqliteReader(t.dbPath);
  try {
    assert.equal(await reader.countEvents(), 2);
  } finally {
    await reader.close();
  }
});

it('SIGTERM: the serve process answers what it acknowledged, exits 0, and every acknowledged event is stored', async () => {
  using dir = tempDir();
  const path = join(dir.path, 'telemetry.db');
  const serve = await startServe(['--listen', '127.0.0.1:0', '--store', `sqlite:${path}`]);
  const client = createGatewayClient(serve.address, { insecure: true });
  try {
    const call = client.openRecordEvents();
    const result = collect(call);
    const payloads = Array.from({ length: 30 }, () => Array.from({ length: 200 }, () => testEvent()));
    call.write(metadataRequest(unlicensed('sigterm')));
    const firstAnswer = nextResponse(call);
    for (const payload of payloads) call.write(eventsRequest(payload));
    await firstAnswer; // later payloads are still being read and written when the signal arrives
    assert.equal(await serve.stop(), 0, serve.stderr());
    const { responses, code, details } = await result;
    assert.ok(responses.length >= 1);
    // The client never half-closed, so its stream is open when the signal arrives: the gateway must end it
    // itself, with the shutdown status, rather than let the connection drop (which also reads UNAVAILABLE).
    assert.deepEqual([code, details], [status.UNAVAILABLE, 'gateway is shutting down']);
    // Each answered payload is answered whole and in order: no payload was cut mid-write.
    responses.forEach((ids, i) => assert.deepEqual(ids, payloads[i]!.map((e) => e.id)));

    const reader = openSqliteReader(path);
    try {
      const stored = new Set((await reader.listEvents({ limit: 10_000 })).map((row) => row.id));
      assert.deepEqual(responses.flat().filter((id) => !stored.has(id)), []);
    } finally {
      await reader.close();
    }
  } finally {
    client.close();
  }
});
