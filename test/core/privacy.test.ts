import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { indexAllowlist, parseAllowlistEntry } from '../../src/core/privacy/allowlist.js';
import { enforcePrivacy, gatewayPrivacyPolicy } from '../../src/core/privacy/gateway-privacy.js';
import { notAStringValue, redactEvent } from '../../src/core/privacy/redact-event.js';
import type { Source } from '../../src/core/identity/source.js';
import { testEvent } from '../helpers/gateway.js';

const withPrivate = (feature = 'search', action = 'submitted') =>
  testEvent({
    feature,
    action,
    parameters: { privateMetadata: { query: 'secret query', repo: 'github.com/a/b', count: 3 } },
    marketingTracking: { url: 'https://x.example/?utm=1', cohortId: 'c1' },
  });

describe('allowlist entries', () => {
  it('parses feature::action::keys, with * for every action', () => {
    assert.deepEqual(parseAllowlistEntry('search::submitted::repo::count'), { feature: 'search', action: 'submitted', keys: ['repo', 'count'] });
    assert.deepEqual(parseAllowlistEntry(' cody::*::model '), { feature: 'cody', action: '*', keys: ['model'] });
  });

  it('refuses malformed entries, naming the entry and the problem', () => {
    assert.throws(() => parseAllowlistEntry('search::submitted'), /allowlist entry "search::submitted": no private_metadata keys listed/);
    assert.throws(() => parseAllowlistEntry('Search::submitted::k'), /feature must match/);
    assert.throws(() => parseAllowlistEntry('search::a b::k'), /action must match/);
    assert.throws(() => parseAllowlistEntry('search::go::::k'), /empty key/);
  });
});

describe('redaction (BEHAVIOR.md 5.2)', () => {
  it('by default removes marketing_tracking and private_metadata entirely', () => {
    const event = withPrivate();
    const summary = redactEvent(event, indexAllowlist([]));
    assert.equal(event.marketingTracking, undefined);
    assert.equal(event.parameters?.privateMetadata, undefined);
    assert.deepEqual(summary, { privateKeysRemoved: 3, valuesReplaced: 0, marketingRemoved: true });
  });

  it('for an allowlisted feature/action keeps only listed keys, and only string values', () => {
    const event = withPrivate();
    redactEvent(event, indexAllowlist([parseAllowlistEntry('search::submitted::repo::count')]));
    assert.deepEqual(event.parameters?.privateMetadata, { repo: 'github.com/a/b', count: notAStringValue('number') });
    assert.equal(event.marketingTracking, undefined);
  });

  it('feature/* allowlists every action of the feature, and nothing of other features', () => {
    const allowlist = indexAllowlist([parseAllowlistEntry('search::*::repo')]);
    const kept = withPrivate('search', 'viewed');
    redactEvent(kept, allowlist);
    assert.deepEqual(kept.parameters?.privateMetadata, { repo: 'github.com/a/b' });
    const other = withPrivate('cody', 'viewed');
    redactEvent(other, allowlist);
    assert.equal(other.parameters?.privateMetadata, undefined);
  });
});

describe('gateway-side enforcement', () => {
  const instance: Source = { kind: 'unlicensed_instance', instanceId: 'i-1', externalUrl: 'https://sg.example.com' };
  const service: Source = { kind: 'managed_service', serviceId: 'cody-gateway', serviceEnvironment: 'prod', tokenName: 'cody' };
  const policy = gatewayPrivacyPolicy({ enforce: true, allowlist: [parseAllowlistEntry('search::submitted::repo')], trustedSources: ['https://sourcegraph.com'] });

  it('applies the allowlist to instances', () => {
    const event = withPrivate();
    const summary = enforcePrivacy(event, instance, policy);
    assert.deepEqual(event.parameters?.privateMetadata, { repo: 'github.com/a/b' });
    assert.deepEqual(summary, { privateKeysRemoved: 2, valuesReplaced: 0, marketingRemoved: true });
  });

  it('leaves managed services, trusted sources, and everything when switched off, untouched', () => {
    for (const [source, p] of [
      [service, policy],
      [{ ...instance, externalUrl: 'https://sourcegraph.com' }, policy],
      [instance, gatewayPrivacyPolicy({ enforce: false, allowlist: [], trustedSources: [] })],
    ] as const) {
      const event = withPrivate();
      const before = structuredClone(event);
      assert.equal(enforcePrivacy(event, source, p).privateKeysRemoved, 0);
      assert.deepEqual(event, before);
    }
  });
});
