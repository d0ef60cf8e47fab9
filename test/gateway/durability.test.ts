import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import { it } from 'node:test';
import { createGatewayClient } from '../../src/adapters/grpc/gateway-client.js';
import { openSqliteReader } from '../../src/adapters/stores/sqlite/sqlite-store.js';
import type { RecordEventsResponse } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { startServe } from '../helpers/cli.js';
import { testEvent, unlicensed } from '../helpers/gateway.js';
import { eventsRequest, metadataRequest } from '../helpers/grpc-call.js';
import { tempDir } from '../helpers/temp-dir.js';

it('an acknowledged event survives kill -9 of the gateway process immediately after the ack', async () => {
  using dir = tempDir();
  const path = join(dir.path, 'telemetry.db');
  const acknowledged = new Set<string>();
  for (let round = 0; round < 3; round++) {
    const serve = await startServe(['--listen', '127.0.0.1:0', '--store', `sqlite:${path}`]);
    const client = createGatewayClient(serve.address, { insecure: true });
    const call = client.openRecordEvents();
    call.on('error', () => {}); // the kill ends the call
    const firstAck = new Promise<void>((resolve) =>
      call.on('data', (response: RecordEventsResponse) => {
        // Kill on the very first ack, while later payloads are still in flight.
        serve.child.kill('SIGKILL');
        for (const id of response.succeededEvents) acknowledged.add(id);
        resolve();
      }),
    );
    call.write(metadataRequest(unlicensed(`durability-${round}`)));
    for (let p = 0; p < 20; p++) call.write(eventsRequest(Array.from({ length: 200 }, () => testEvent())));
    await firstAck;
    await once(serve.child, 'exit');
    client.close();
  }
  assert.ok(acknowledged.size >= 600, `expected acks in every round, got ${acknowledged.size}`);

  const reader = openSqliteReader(path);
  try {
    const stored = new Set<string>();
    for (let afterSeq = 0; ; ) {
      const rows = await reader.listEvents({ limit: 5000, afterSeq });
      if (rows.length === 0) break;
      for (const row of rows) stored.add(row.id);
      afterSeq = rows[rows.length - 1]!.seq;
    }
    const missing = [...acknowledged].filter((id) => !stored.has(id));
    assert.deepEqual(missing, [], `${missing.length} acknowledged events were lost`);
  } finally {
    await reader.close();
  }
});
