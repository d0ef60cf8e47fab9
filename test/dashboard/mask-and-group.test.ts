import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupInstances } from '../../src/core/group-instances.js';
import { maskSecrets } from '../../src/core/mask-secrets.js';

describe('dashboard core helpers', () => {
  it('maskSecrets replaces credential-named values at any depth and keeps the rest', () => {
    const masked = maskSecrets({
      metadata: { identifier: { licensedInstance: { licenseKey: 'k', instanceId: 'i' } } },
      event: { parameters: { privateMetadata: { token: 't', nested: [{ password: 'p', ok: 1 }] }, empty: { secret: '' } } },
    });
    assert.deepEqual(masked, {
      metadata: { identifier: { licensedInstance: { licenseKey: '[masked]', instanceId: 'i' } } },
      event: { parameters: { privateMetadata: { token: '[masked]', nested: [{ password: '[masked]', ok: 1 }] }, empty: { secret: '' } } },
    });
  });

  it('groupInstances folds the streams of one instance into one row', () => {
    const source = { kind: 'unlicensed_instance', instanceId: 'a', externalUrl: 'https://a' } as const;
    const rows = groupInstances([
      { source, firstSeenMs: 10, lastSeenMs: 20, eventsSince: 1, rejectedSince: 0, serverVersion: '5.1' },
      { source: { ...source, externalUrl: 'https://a2' }, firstSeenMs: 5, lastSeenMs: 30, eventsSince: 2, rejectedSince: 1, serverVersion: '5.2' },
      { source: { kind: 'managed_service', serviceId: 's', serviceEnvironment: undefined, tokenName: 't' }, firstSeenMs: 1, lastSeenMs: 2, eventsSince: 0, rejectedSince: 0, serverVersion: undefined },
    ]);
    assert.equal(rows.length, 2);
    assert.deepEqual(rows[0], {
      source: { ...source, externalUrl: 'https://a2' },
      serverVersions: ['5.1', '5.2'],
      firstSeenMs: 5,
      lastSeenMs: 30,
      eventsSince: 3,
      rejectedSince: 1,
    });
  });
});
