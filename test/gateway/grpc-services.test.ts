import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client, credentials, makeClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { startTestGateway } from '../helpers/gateway.js';

const identity = (b: Buffer): Buffer => b;

/** One request on the reflection stream, encoded by hand (ServerReflectionRequest is a tiny message). */
function reflect(address: string, request: Buffer): Promise<Buffer> {
  const client = new Client(address, credentials.createInsecure());
  const call = client.makeBidiStreamRequest('/grpc.reflection.v1.ServerReflection/ServerReflectionInfo', identity, identity);
  return new Promise((resolve, reject) => {
    call.on('data', (response: Buffer) => {
      resolve(response);
      call.end();
      client.close();
    });
    call.on('error', reject);
    call.write(request);
  });
}

const stringField = (field: number, value: string): Buffer =>
  Buffer.concat([Buffer.from([(field << 3) | 2, Buffer.byteLength(value)]), Buffer.from(value)]);

describe('standard gRPC services', () => {
  it('answers grpc.health.v1 Check with SERVING', async () => {
    await using t = await startTestGateway();
    const Health = makeClientConstructor(healthService, 'Health');
    const client = new Health(t.gateway.address, credentials.createInsecure()) as unknown as {
      check(req: { service: string }, cb: (e: ServiceError | null, r: { status: string }) => void): void;
      close(): void;
    };
    for (const name of ['', 'telemetrygateway.v1.TelemeteryGatewayService']) {
      const response = await new Promise<{ status: string }>((resolve, reject) =>
        client.check({ service: name }, (error, r) => (error ? reject(error) : resolve(r))),
      );
      assert.equal(response.status, 'SERVING');
    }
    client.close();
  });

  it('lists the gateway service and serves its descriptor through reflection (v1)', async () => {
    await using t = await startTestGateway();
    const services = await reflect(t.gateway.address, stringField(7, '*'));
    assert.ok(services.includes(Buffer.from('telemetrygateway.v1.TelemeteryGatewayService')));
    const file = await reflect(t.gateway.address, stringField(4, 'telemetrygateway.v1.Event'));
    assert.ok(file.includes(Buffer.from('telemetrygateway/v1/telemetrygateway.proto')));
    assert.ok(file.includes(Buffer.from('legacy_metadata')));
  });
});
