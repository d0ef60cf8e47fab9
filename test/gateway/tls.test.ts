import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { describe, it } from 'node:test';
import { createExportLoop } from '../../src/exporter/export-loop.js';
import { grpcGatewayConnector } from '../../src/adapters/grpc/export-transport.js';
import type { ExportTransportOptions } from '../../src/adapters/grpc/export-transport.js';
import { createTestPki } from '../helpers/certs.js';
import { createTestExporter, testInstance } from '../helpers/exporter.js';
import { recordSearches } from '../helpers/export-checks.js';
import { startTestGateway } from '../helpers/gateway.js';
import { tempDir } from '../helpers/temp-dir.js';

const exportOnce = async (target: string, tls: ExportTransportOptions['tls']) => {
  await using exporter = createTestExporter();
  await recordSearches(exporter.recorder, 5);
  return await createExportLoop({ queue: exporter.queue, connect: grpcGatewayConnector({ target, identity: testInstance(), tls }), batchSize: 10 }).runOnce();
};

function httpsGet(address: string, path: string, ca: Buffer): Promise<{ status: number; body: string }> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    request({ host, port, path, ca }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('TLS on the gateway port', () => {
  it('serves gRPC and HTTP over TLS; the exporter verifies the server certificate by default', async () => {
    using dir = tempDir();
    const pki = createTestPki(dir.path);
    await using gateway = await startTestGateway({ tls: { certFile: pki.serverCert, keyFile: pki.serverKey } });
    const address = gateway.gateway.address;

    const trusted = await exportOnce(address, { kind: 'tls', rootCerts: readFileSync(pki.caCert) });
    assert.deepEqual([trusted.acknowledged, trusted.error], [5, undefined]);

    const unverified = await exportOnce(address, { kind: 'tls' });
    assert.equal(unverified.acknowledged, 0, 'a certificate from an unknown CA is refused');
    assert.match(unverified.error ?? '', /UNAVAILABLE|certificate|could not connect/i);

    const plaintext = await exportOnce(address, { kind: 'plaintext' });
    assert.equal(plaintext.acknowledged, 0);

    assert.deepEqual(await httpsGet(address, '/-/healthz', readFileSync(pki.caCert)), { status: 200, body: 'healthz: ok\n' });
  });

  it('mutual TLS: clients without a certificate, or with one from another CA, are refused', async () => {
    using dir = tempDir();
    const pki = createTestPki(dir.path);
    await using gateway = await startTestGateway({ tls: { certFile: pki.serverCert, keyFile: pki.serverKey, clientCaFile: pki.caCert } });
    const address = gateway.gateway.address;
    const rootCerts = readFileSync(pki.caCert);

    const withCert = await exportOnce(address, { kind: 'tls', rootCerts, clientCert: { cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey) } });
    assert.deepEqual([withCert.acknowledged, withCert.error], [5, undefined]);

    const without = await exportOnce(address, { kind: 'tls', rootCerts });
    assert.equal(without.acknowledged, 0);
    const stranger = await exportOnce(address, { kind: 'tls', rootCerts, clientCert: { cert: readFileSync(pki.strangerCert), key: readFileSync(pki.strangerKey) } });
    assert.equal(stranger.acknowledged, 0);
    assert.equal(await gateway.reader.countEvents(), 5);
  });

  it('reloads certificates: a new server certificate is used by new connections', async () => {
    using dir = tempDir();
    using next = tempDir();
    const pki = createTestPki(dir.path);
    const renewed = createTestPki(next.path);
    const { copyFileSync } = await import('node:fs');
    await using gateway = await startTestGateway({ tls: { certFile: pki.serverCert, keyFile: pki.serverKey } });
    copyFileSync(renewed.serverCert, pki.serverCert);
    copyFileSync(renewed.serverKey, pki.serverKey);
    gateway.gateway.reloadTls();
    const withNewCa = await exportOnce(gateway.gateway.address, { kind: 'tls', rootCerts: readFileSync(renewed.caCert) });
    assert.deepEqual([withNewCa.acknowledged, withNewCa.error], [5, undefined]);
    const withOldCa = await exportOnce(gateway.gateway.address, { kind: 'tls', rootCerts: readFileSync(pki.caCert) });
    assert.equal(withOldCa.acknowledged, 0);
  });
});
