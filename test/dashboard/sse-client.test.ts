import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { it } from 'node:test';
import { createSseClient } from '../../src/adapters/http/dashboard/sse-client.js';

/** A response whose socket never drains: what a stalled browser looks like from the server. */
function stalledResponse() {
  const written: string[] = [];
  const res = {
    destroyed: false,
    writableLength: 0,
    writeHead() {},
    write(chunk: string) {
      written.push(chunk);
      res.writableLength += chunk.length;
      return false;
    },
    once() {},
  };
  return { res, written };
}

it('an SSE client that stops reading misses events instead of growing the buffer, then learns how many', () => {
  const { res, written } = stalledResponse();
  const client = createSseClient(res as unknown as ServerResponse, { maxBufferedBytes: 1000, heartbeatMs: 60_000 });
  let sent = 0;
  for (let i = 0; i < 100; i++) if (client.send('record', { i, padding: 'x'.repeat(100) })) sent++;
  assert.ok(sent < 12, `only what fits in the bound was written (${sent})`);
  assert.ok(res.writableLength < 1000 + 200);
  res.writableLength = 0; // the client caught up
  assert.equal(client.send('record', { i: 'next' }), true);
  assert.equal(written.at(-2), `event: skipped\ndata: ${100 - sent}\n\n`);
});
