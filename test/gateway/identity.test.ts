import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { EVENTS_WRITE_SCOPE, sha256 } from '../../src/core/identity/service-tokens.js';
import { startTestGateway, licensed, managedService, testEvent } from '../helpers/gateway.js';
import { eventsRequest, exchange, metadataRequest } from '../helpers/grpc-call.js';
import { TESTDATA } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';
import { decodeLicenseKey } from '../../src/core/identity/license-key.js';

const LICENSE = join(TESTDATA, 'license');
const key = (name: string): string => readFileSync(join(LICENSE, name), 'utf8');
const VENDOR_KEYS = [join(LICENSE, 'vendor_rsa.pub'), join(LICENSE, 'vendor_ed25519.pub')];

async function sendAs(t: Awaited<ReturnType<typeof startTestGateway>>, metadata: Parameters<typeof metadataRequest>[0], authorization?: string) {
  const event = testEvent();
  const result = await exchange(t.client(authorization ? { authorization } : {}).openRecordEvents(), [
    metadataRequest(metadata),
    eventsRequest([event]),
  ]);
  return { ...result, event };
}

describe('licensed instances (license keys verified against vendor public keys)', () => {
  for (const name of [
    'valid-ssh-rsa.key',
    'valid-rsa-sha2-256.key',
    'valid-rsa-sha2-512-expired.key',
    'valid-ssh-rsa-v1.key',
    'valid-ssh-rsa-wrapped.key',
    'valid-ed25519.key',
  ]) {
    it(`accepts ${name}`, async () => {
      await using t = await startTestGateway({ licensePublicKeyFiles: VENDOR_KEYS });
      const result = await sendAs(t, licensed(key(name)));
      assert.equal(result.code, status.OK, result.details);
      assert.deepEqual(result.responses, [[result.event.id]]);
    });
  }

  it('ignores whitespace anywhere in a key', async () => {
    await using t = await startTestGateway({ licensePublicKeyFiles: VENDOR_KEYS });
    const spaced = key('valid-ed25519.key').replace(/(.{7})/g, '$1 \n\t\u2003');
    const result = await sendAs(t, licensed(spaced));
    assert.equal(result.code, status.OK, result.details);
  });

  for (const name of ['invalid-tampered-info.key', 'invalid-other-vendor.key', 'invalid-truncated.key', 'invalid-garbage.key']) {
    it(`refuses ${name} with INVALID_ARGUMENT "invalid license_key: ..." and never echoes the key`, async () => {
      await using t = await startTestGateway({ licensePublicKeyFiles: VENDOR_KEYS });
      const text = key(name).trim();
      const result = await sendAs(t, licensed(text));
      assert.equal(result.code, status.INVALID_ARGUMENT);
      assert.match(result.details, /^invalid license_key: .+/);
      assert.ok(!result.details.includes(text.slice(0, 16)), 'the status message must not contain the key');
      assert.equal(await t.reader.countEvents(), 0);
    });
  }

  it('refuses a valid key when only the other vendor key is configured', async () => {
    await using t = await startTestGateway({ licensePublicKeyFiles: [join(LICENSE, 'vendor_ed25519.pub')] });
    const result = await sendAs(t, licensed(key('valid-ssh-rsa.key')));
    assert.equal(result.code, status.INVALID_ARGUMENT);
    assert.match(result.details, /^invalid license_key: /);
  });

  it('refuses expired licenses only when asked to', async () => {
    await using t = await startTestGateway({ licensePublicKeyFiles: VENDOR_KEYS, rejectExpiredLicenses: true });
    const expired = await sendAs(t, licensed(key('valid-rsa-sha2-512-expired.key')));
    assert.deepEqual([expired.code, expired.details], [status.INVALID_ARGUMENT, 'invalid license_key: license has expired']);
    const current = await sendAs(t, licensed(key('valid-ssh-rsa.key')));
    assert.equal(current.code, status.OK);
  });

  it('refuses keys whose signature is on the revocation list', async () => {
    using dir = tempDir();
    const revoked = join(dir.path, 'revoked.txt');
    writeFileSync(revoked, `# revoked after a leak\n${decodeLicenseKey(key('valid-ed25519.key')).signatureSha256}\n`);
    await using t = await startTestGateway({ licensePublicKeyFiles: VENDOR_KEYS, revokedLicensesFile: revoked });
    const result = await sendAs(t, licensed(key('valid-ed25519.key')));
    assert.deepEqual([result.code, result.details], [status.INVALID_ARGUMENT, 'invalid license_key: license has been revoked']);
    assert.equal((await sendAs(t, licensed(key('valid-ssh-rsa.key')))).code, status.OK);
  });
});

describe('managed services (bearer tokens configured as SHA-256 hashes with scopes)', () => {
  const writer = 'tgw_writer-token';
  const reader = 'tgw_reader-token';

  async function gatewayWithTokens() {
    const dir = tempDir();
    const file = join(dir.path, 'tokens.json');
    writeFileSync(
      file,
      JSON.stringify([
        { name: 'writer', sha256: sha256(writer).toString('hex'), scopes: [EVENTS_WRITE_SCOPE] },
        { name: 'reader', sha256: sha256(reader).toString('hex'), scopes: ['telemetry_gateway::events::read'] },
      ]),
    );
    const t = await startTestGateway({ serviceTokensFile: file });
    const stopGateway = t[Symbol.asyncDispose].bind(t);
    return Object.assign(t, {
      async [Symbol.asyncDispose]() {
        await stopGateway();
        dir[Symbol.dispose]();
      },
    });
  }

  it('accepts a token with the write scope', async () => {
    await using t = await gatewayWithTokens();
    const result = await sendAs(t, managedService(), `Bearer ${writer}`);
    assert.equal(result.code, status.OK, result.details);
    assert.deepEqual(result.responses, [[result.event.id]]);
    const [row] = await t.reader.listEvents({ limit: 1 });
    assert.equal(row?.publisher, 'cody-gateway');
  });

  it('requires the authorization header (UNAUTHENTICATED)', async () => {
    await using t = await gatewayWithTokens();
    assert.equal((await sendAs(t, managedService())).code, status.UNAUTHENTICATED);
  });

  it('refuses unknown and under-scoped tokens with PERMISSION_DENIED "permission denied"', async () => {
    await using t = await gatewayWithTokens();
    for (const token of ['tgw_wrong', reader]) {
      const result = await sendAs(t, managedService(), `Bearer ${token}`);
      assert.deepEqual([result.code, result.details], [status.PERMISSION_DENIED, 'permission denied']);
    }
  });

  it('requires service_id', async () => {
    await using t = await gatewayWithTokens();
    const result = await sendAs(t, managedService(''), `Bearer ${writer}`);
    assert.deepEqual([result.code, result.details], [status.INVALID_ARGUMENT, 'service_id is required for managed services']);
  });

  it('reports invalid events as failed for managed services, and keeps them as rejected', async () => {
    await using t = await gatewayWithTokens();
    const valid = testEvent();
    const invalid = testEvent({ feature: 'Nope' });
    const result = await exchange(t.client({ authorization: `Bearer ${writer}` }).openRecordEvents(), [
      metadataRequest(managedService()),
      eventsRequest([valid, invalid]),
    ]);
    assert.deepEqual(result.responses, [[valid.id]]);
    assert.equal(await t.reader.countRejected(), 1);
  });
});
