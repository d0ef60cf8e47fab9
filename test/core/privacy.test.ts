import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { indexAllowlist, parseAllowlistEntry } from '../../src/core/privacy/allowlist.js';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { fromBinary } from '@bufbuild/protobuf';
import { enforcePrivacy, gatewayPrivacyPolicy, isExemptFromPrivacy, parseTrustedSource } from '../../src/core/privacy/gateway-privacy.js';
import { GATEWAY_SETTINGS, toGatewayConfig } from '../../src/config/gateway-config.js';
import type { SettingValues } from '../../src/config/settings.js';
import { EventSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { notAStringValue, redactEvent } from '../../src/core/privacy/redact-event.js';
import type { Source } from '../../src/core/identity/source.js';
import { licensed, startTestGateway, testEvent, unlicensed } from '../helpers/gateway.js';
import { eventsRequest, exchange, metadataRequest } from '../helpers/grpc-call.js';
import { TESTDATA } from '../helpers/paths.js';

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
  const policy = gatewayPrivacyPolicy({ enforce: true, allowlist: [parseAllowlistEntry('search::submitted::repo')], trustedSources: ['tag:public-service'] });
  const licensedInstance = (tags: string[], signatureSha256 = 'ab'.repeat(32)): Source => ({
    kind: 'licensed_instance',
    instanceId: 'i-2',
    externalUrl: 'https://sourcegraph.com',
    license: { info: { version: 3, nonce: [], tags, userCount: 1, createdAt: '', expiresAt: '' }, signatureSha256, vendorKeyFingerprint: 'SHA256:x', expired: false },
  });

  it('applies the allowlist to instances', () => {
    const event = withPrivate();
    const summary = enforcePrivacy(event, instance, policy);
    assert.deepEqual(event.parameters?.privateMetadata, { repo: 'github.com/a/b' });
    assert.deepEqual(summary, { privateKeysRemoved: 2, valuesReplaced: 0, marketingRemoved: true });
  });

  it('leaves managed services, trusted sources, and everything when switched off, untouched', () => {
    for (const [source, p] of [
      [service, policy],
      [licensedInstance(['public-service']), policy],
      [instance, gatewayPrivacyPolicy({ enforce: false, allowlist: [], trustedSources: [] })],
    ] as const) {
      const event = withPrivate();
      const before = structuredClone(event);
      assert.equal(enforcePrivacy(event, source, p).privateKeysRemoved, 0);
      assert.deepEqual(event, before);
    }
  });
});

describe('trusted sources bind to verified identity only', () => {
  const instance: Source = { kind: 'unlicensed_instance', instanceId: 'trusted-looking', externalUrl: 'https://sourcegraph.com' };
  const license = (tags: string[], signatureSha256: string): Source => ({
    kind: 'licensed_instance',
    instanceId: 'trusted-looking',
    externalUrl: 'https://sourcegraph.com',
    license: { info: { version: 3, nonce: [], tags, userCount: 1, createdAt: '', expiresAt: '' }, signatureSha256, vendorKeyFingerprint: 'SHA256:x', expired: false },
  });
  const digest = 'AB'.repeat(32);

  it('parses license digests, tags and service token names', () => {
    assert.deepEqual(parseTrustedSource(`license:${digest}`), { kind: 'license', signatureSha256: digest.toLowerCase() });
    assert.deepEqual(parseTrustedSource(digest), { kind: 'license', signatureSha256: digest.toLowerCase() });
    assert.deepEqual(parseTrustedSource(' tag:public-service '), { kind: 'tag', tag: 'public-service' });
    assert.deepEqual(parseTrustedSource('service:cody'), { kind: 'service', tokenName: 'cody' });
  });

  it('refuses URLs and instance ids with a message saying what to write instead', () => {
    for (const url of ['https://sourcegraph.com', 'http://sg.example.com/', 'sourcegraph://x']) {
      assert.throws(() => parseTrustedSource(url), /is a URL: an instance's external URL is self-declared and grants no trust.*license:<signatureSha256>/);
    }
    assert.throws(() => parseTrustedSource('my-instance-id'), /expected license:<64-hex signatureSha256>, tag:<license tag> or service:<token name>; instance ids are self-declared/);
    assert.throws(() => parseTrustedSource('license:abc'), /expected license:<64-hex/);
    assert.throws(() => gatewayPrivacyPolicy({ enforce: true, allowlist: [], trustedSources: ['https://sourcegraph.com'] }), /is a URL/);
  });

  it('exempts a license by digest or signed tag and a service by token name; never an id or URL', () => {
    const policy = gatewayPrivacyPolicy({ enforce: true, allowlist: [], trustedSources: [`license:${digest}`, 'tag:public', 'service:cody'] });
    assert.equal(isExemptFromPrivacy(instance, policy), false, 'unlicensed: never, whatever it claims');
    assert.equal(isExemptFromPrivacy(license([], digest.toLowerCase()), policy), true);
    assert.equal(isExemptFromPrivacy(license(['public'], 'cd'.repeat(32)), policy), true);
    assert.equal(isExemptFromPrivacy(license(['other'], 'cd'.repeat(32)), policy), false);
    assert.equal(isExemptFromPrivacy({ kind: 'managed_service', serviceId: 'x', serviceEnvironment: undefined, tokenName: 'any' }, policy), true, 'services are the vendor\'s own');
    assert.equal(isExemptFromPrivacy(instance, gatewayPrivacyPolicy({ enforce: false, allowlist: [], trustedSources: [] })), true);
  });

  it('over gRPC: an unlicensed sender claiming the trusted URL is filtered; a license with the trusted tag is kept whole', async () => {
    const LICENSE = join(TESTDATA, 'license');
    const key = readFileSync(join(LICENSE, 'valid-ssh-rsa.key'), 'utf8').trim(); // tags: dev, plan:enterprise-1
    await using t = await startTestGateway({
      licensePublicKeyFiles: [join(LICENSE, 'vendor_rsa.pub')],
      trustedSources: ['tag:plan:enterprise-1'],
    });
    const claimer = withPrivate();
    const claim = unlicensed('trusted-looking');
    if (claim.identifier?.identifier.case === 'unlicensedInstance') claim.identifier.identifier.value.externalUrl = 'https://sourcegraph.com';
    await exchange(t.client().openRecordEvents(), [metadataRequest(claim), eventsRequest([claimer])]);
    const trusted = withPrivate();
    await exchange(t.client().openRecordEvents(), [metadataRequest(licensed(key, 'trusted-looking')), eventsRequest([trusted])]);
    const rows = await t.reader.listEvents({ limit: 10 });
    const stored = new Map(rows.map((row) => [row.id, fromBinary(EventSchema, row.eventBytes)]));
    assert.equal(stored.get(claimer.id)?.marketingTracking, undefined, 'the claimed URL granted nothing');
    assert.equal(stored.get(claimer.id)?.parameters?.privateMetadata, undefined);
    assert.equal(stored.get(trusted.id)?.marketingTracking?.cohortId, 'c1', 'the signed tag is trusted');
    assert.equal(stored.get(trusted.id)?.parameters?.privateMetadata?.query, 'secret query');
  });

  it('serve refuses a config naming a URL, with a clear message', () => {
    const values: SettingValues = {};
    for (const setting of GATEWAY_SETTINGS) values[setting.flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = setting.defaultValue;
    assert.throws(() => toGatewayConfig({ ...values, trustedSources: ['https://sourcegraph.com'] }), /--trusted-sources "https:\/\/sourcegraph.com" is a URL/);
    assert.equal(toGatewayConfig({ ...values, trustedSources: ['tag:public'] }).trustedSources[0], 'tag:public');
  });
});
