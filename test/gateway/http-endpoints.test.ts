import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestGateway, testEvent, unlicensed } from '../helpers/gateway.js';
import { eventsRequest, exchange, metadataRequest } from '../helpers/grpc-call.js';
import { VERSION } from '../../src/version.js';

describe('HTTP on the gRPC port', () => {
  it('serves /-/version, /-/healthz and /metrics over HTTP/1.1 next to gRPC', async () => {
    await using t = await startTestGateway();
    const event = testEvent();
    await exchange(t.client().openRecordEvents(), [metadataRequest(unlicensed()), eventsRequest([event, testEvent({ feature: '' })])]);

    const base = `http://${t.gateway.address}`;
    const version = await fetch(`${base}/-/version`);
    assert.equal(version.status, 200);
    assert.equal((await version.text()).trim(), VERSION);

    const health = await fetch(`${base}/-/healthz`);
    assert.deepEqual([health.status, (await health.text()).trim()], [200, 'healthz: ok']);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /telemetry_gateway_events_total\{outcome="stored",source="unlicensed_instance"\} 1/);
    assert.match(metrics, /telemetry_gateway_events_total\{outcome="rejected",source="unlicensed_instance"\} 1/);
    assert.match(metrics, /telemetry_gateway_streams_ended_total\{rpc="RecordEvents",code="OK"\} 1/);
    assert.match(metrics, /telemetry_gateway_store_write_seconds_count 1/);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
  });

  it('guards /-/healthz with the diagnostics secret: 400 malformed, 401 missing or wrong, 200 right', async () => {
    await using t = await startTestGateway({ diagnosticsSecret: 's3cret-diag' });
    const base = `http://${t.gateway.address}/-/healthz`;
    const status = async (authorization?: string) =>
      (await fetch(base, authorization ? { headers: { authorization } } : {})).status;
    assert.equal(await status('Basic abc'), 400);
    assert.equal(await status(), 401);
    assert.equal(await status('Bearer wrong'), 401);
    assert.equal(await status('Bearer s3cret-diag'), 200);
    const body = await (await fetch(base, { headers: { authorization: 'Bearer wrong' } })).text();
    assert.ok(!body.includes('s3cret-diag'));
  });

  it('reports 500 when the store is not writable', async () => {
    await using t = await startTestGateway();
    await t.gateway.store.close();
    const response = await fetch(`http://${t.gateway.address}/-/healthz`);
    assert.equal(response.status, 500);
    assert.match(await response.text(), /not writable/);
  });
});
