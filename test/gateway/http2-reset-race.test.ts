import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestGateway } from '../helpers/gateway.js';
import { runHttp2Case, type Http2Case } from '../fuzz/http-inputs.js';

/**
 * Found by the HTTP fuzzer (test/fuzz/http-fuzz.test.ts, seed 20261201): grpc-js
 * answers a request whose content type is not gRPC with stream.respond(), on a
 * stream the client may already have reset (HEADERS, DATA and RST_STREAM in one
 * go); that throws ERR_HTTP2_INVALID_STREAM inside an event handler and the
 * process exits. One unauthenticated request was enough. Guarded in
 * src/adapters/grpc/http2-session-guard.ts.
 */
describe('HTTP/2 requests reset right after their headers', () => {
  it('a non-gRPC request (no or another content type) with a body, reset at once, does not end the process', async () => {
    await using t = await startTestGateway();
    const cases: Http2Case[] = [
      { method: 'OPTIONS', path: '/api/tail', headers: {}, body: Buffer.from('8ea207ddc989e150', 'hex'), finish: 'reset' },
      { method: 'POST', path: '/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from('secret=x'), finish: 'reset' },
      { method: 'POST', path: '/telemetrygateway.v1.TelemeteryGatewayService/RecordEvents', headers: { 'content-type': 'text/plain' }, body: Buffer.from('x'), finish: 'reset' },
    ];
    for (let round = 0; round < 10; round++) {
      for (const c of cases) assert.equal(await runHttp2Case(t.gateway.address, c, 3000), undefined);
    }
    assert.equal((await fetch(`http://${t.gateway.address}/-/version`)).status, 200, 'still serving');
  });
});
