import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { toBinary } from '@bufbuild/protobuf';
import { rejectionReasonLabel } from '../../src/adapters/http/gateway-metrics.js';
import { EVENTS_WRITE_SCOPE, sha256 } from '../../src/core/identity/service-tokens.js';
import { EventSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { VERSION } from '../../src/version.js';
import { managedService, startTestGateway, testEvent, unlicensed } from '../helpers/gateway.js';
import { eventsRequest, exchange, metadataRequest } from '../helpers/grpc-call.js';
import { tempDir } from '../helpers/temp-dir.js';

/** The value of one series in a Prometheus text exposition, or undefined when it is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('Prometheus conventions on /metrics', () => {
  it('standard unprefixed process and Node.js metrics, build info, unary and streaming calls apart, bytes, rejections by reason', async () => {
    using dir = tempDir();
    const token = 'tgw_metrics-unary-token';
    const tokens = join(dir.path, 'tokens.json');
    writeFileSync(tokens, JSON.stringify([{ name: 'svc', sha256: sha256(token).toString('hex'), scopes: [EVENTS_WRITE_SCOPE] }]));
    await using t = await startTestGateway({ serviceTokensFile: tokens });

    const stored = [testEvent(), testEvent()];
    const invalid = [testEvent({ feature: '' }), testEvent({ feature: 'Not A Feature!' }), testEvent({ action: '' })];
    const result = await exchange(t.client().openRecordEvents(), [metadataRequest(unlicensed()), eventsRequest([...stored, ...invalid])]);
    assert.equal(result.code, 0);
    await t.client({ authorization: `Bearer ${token}` }).recordEvent(managedService('svc-a'), testEvent());

    const text = await (await fetch(`http://${t.gateway.address}/metrics`)).text();
    // Stock process/Node dashboards look for these exact names.
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes']) {
      assert.ok(sample(text, name) !== undefined, `${name} present`);
    }
    assert.ok(!text.includes('telemetry_gateway_process_'), 'no prefixed process metrics');
    assert.ok(!text.includes('telemetry_gateway_nodejs_'), 'no prefixed Node.js metrics');
    assert.equal(sample(text, `telemetry_gateway_build_info{version="${VERSION}",node_version="${process.version}"}`), 1);

    assert.equal(sample(text, 'telemetry_gateway_calls_started_total{rpc="RecordEvents",type="bidi_stream"}'), 1);
    assert.equal(sample(text, 'telemetry_gateway_calls_started_total{rpc="RecordEvent",type="unary"}'), 1);
    assert.equal(sample(text, 'telemetry_gateway_calls_ended_total{rpc="RecordEvent",type="unary",code="OK"}'), 1);
    assert.equal(sample(text, 'telemetry_gateway_calls_active{rpc="RecordEvent",type="unary"}'), 0);
    assert.equal(sample(text, 'telemetry_gateway_streams_ended_total{rpc="RecordEvents",code="OK"}'), 1);
    assert.ok(!/telemetry_gateway_streams_\w+\{rpc="RecordEvent"/.test(text), 'unary calls are not counted as streams');

    const bytes = sample(text, 'telemetry_gateway_event_bytes_total{source="unlicensed_instance"}');
    const sent = [...stored, ...invalid].reduce((n, e) => n + toBinary(EventSchema, e).byteLength, 0);
    assert.ok(bytes !== undefined && bytes > 0 && bytes <= sent * 1.1, `event bytes ${bytes} for ${sent} sent`);
    assert.ok((sample(text, 'telemetry_gateway_event_bytes_total{source="svc-a"}') ?? 0) > 0);

    assert.equal(sample(text, 'telemetry_gateway_events_rejected_total{reason="invalid_feature",source="unlicensed_instance"}'), 2);
    assert.equal(sample(text, 'telemetry_gateway_events_rejected_total{reason="invalid_action",source="unlicensed_instance"}'), 1);
  });

  it('maps free-text rejection reasons onto a closed set of labels', () => {
    assert.equal(rejectionReasonLabel('malformed event: premature EOF'), 'malformed');
    assert.equal(rejectionReasonLabel('record of 20000000 bytes exceeds the 10485760-byte limit'), 'too_large');
    assert.equal(rejectionReasonLabel('feature is required'), 'invalid_feature');
    assert.equal(rejectionReasonLabel('action must match ^[a-z]+$'), 'invalid_action');
    assert.equal(rejectionReasonLabel('event id is required'), 'missing_id');
    assert.equal(rejectionReasonLabel('event timestamp is outside 0001-01-01 to 9999-12-31'), 'invalid_timestamp');
    assert.equal(rejectionReasonLabel('private_metadata holds NaN or an infinite number, which JSON cannot carry'), 'invalid_private_metadata');
    assert.equal(rejectionReasonLabel('anything a future rule says'), 'other');
  });
});
