import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import {
  RecordEventsRequestSchema,
  RecordEventsResponseSchema,
  type RecordEventsRequest,
} from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { startTestGateway, testEvent, unlicensed } from '../helpers/gateway.js';
import { eventsRequest, metadataRequest } from '../helpers/grpc-call.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./c_core_client.py', import.meta.url));
const available = spawnSync(PYTHON, ['-c', 'import grpc'], { stdio: 'ignore' }).status === 0;
const skip = available ? false : 'needs Debian python3-grpcio (a gRPC C-core client): apt-get install python3-grpcio';

/** Runs the C-core client in a child process (asynchronously: the gateway under test shares this event loop). */
function runCCore(job: object): Promise<{ responses: string[]; code: number; details: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, [SCRIPT], { timeout: 60_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    );
    child.stdin?.end(JSON.stringify(job));
  });
}

const hex = (request: RecordEventsRequest): string => Buffer.from(toBinary(RecordEventsRequestSchema, request)).toString('hex');

describe('interop with a gRPC C-core client (python3-grpcio)', { skip }, () => {
  it('streams payloads and reads one response per payload, ending OK', async () => {
    await using t = await startTestGateway();
    const payloads = [3, 0, 2].map((n) => Array.from({ length: n }, () => testEvent()));
    const result = await runCCore({
      target: t.gateway.address,
      requests: [hex(metadataRequest(unlicensed('c-core'))), ...payloads.map((p) => hex(eventsRequest(p)))],
    });
    assert.equal(result.code, status.OK, result.details);
    const acks = result.responses.map((r) => fromBinary(RecordEventsResponseSchema, Buffer.from(r, 'hex')).succeededEvents);
    assert.deepEqual(acks, payloads.map((p) => p.map((e) => e.id)));
    assert.equal(await t.reader.countEvents(), 5);
  });

  it('receives the protocol error status and message', async () => {
    await using t = await startTestGateway();
    const result = await runCCore({ target: t.gateway.address, requests: [hex(eventsRequest([testEvent()]))] });
    assert.deepEqual([result.code, result.details], [status.INVALID_ARGUMENT, 'got events when metadata not yet received']);
  });
});
