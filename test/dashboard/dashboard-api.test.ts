import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  ApiError,
  InstanceRow,
  InstancesResponse,
  Overview,
  RejectedEventDetail,
  RejectedResponse,
  TailItem,
} from '../../src/dashboard/api-types.js';
import { testEvent } from '../helpers/gateway.js';
import { pollUntil } from '../helpers/poll.js';
import { asLicensed, asUnlicensed, LICENSE_KEY, startDashboardGateway } from './dashboard-gateway.js';
import { readSse } from './sse-reader.js';
import { postLogin } from './sign-in.js';

/** GETs an /api answer as the type the server declares for it (src/dashboard/api-types.ts). */
async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { headers });
  return { status: response.status, body: (await response.json()) as T };
}

/** The part of a downstream record (an api `record: unknown`) these tests look into. */
type LicensedRecord = { metadata: { identifier: { licensedInstance: { licenseKey: string } } } };

describe('dashboard JSON API (/api/...)', () => {
  it('overview counts stored, duplicate and rejected events, and the top feature/action pairs', async () => {
    await using t = await startDashboardGateway();
    const events = Array.from({ length: 7 }, (_, i) => testEvent({ feature: i < 5 ? 'search' : 'cody.chat', action: 'submitted' }));
    await t.send(asUnlicensed('inst-a'), events);
    await t.send(asUnlicensed('inst-a'), events.slice(0, 2)); // the same ids again: duplicates
    await t.send(asUnlicensed('inst-a'), [testEvent({ feature: 'Bad Feature' }), testEvent({ feature: '' })]);

    const overview = await pollUntil('overview with every payload', async () => {
      const { body } = await getJson<Overview>(`${t.baseUrl}/api/overview`);
      return body.lastHour.stored === 7 && body.lastHour.rejected === 2 ? body : undefined;
    });
    assert.equal(overview.perMinuteSource, 'store');
    assert.equal(overview.lastHour.duplicate, 2);
    assert.equal(overview.lastHour.retryable, 0);
    assert.deepEqual(overview.topFeatureActions, [
      { feature: 'search', action: 'submitted', events: 5 },
      { feature: 'cody.chat', action: 'submitted', events: 2 },
    ]);
    assert.equal(overview.store.ok, true);
    assert.equal(overview.perMinute.length, 60);
  });

  it('instances lists each identity with license facts, versions and 24 h counts', async () => {
    await using t = await startDashboardGateway();
    await t.send(asUnlicensed('inst-u'), [testEvent(), testEvent()]);
    await t.send(asLicensed('inst-l'), [testEvent({ source: { server: { version: '6.0.1' } } })]);
    await t.sendAsService(testEvent());
    const { body } = await pollUntil('three instances', async () => {
      const answer = await getJson<InstancesResponse>(`${t.baseUrl}/api/instances`);
      return answer.body.instances.length === 3 ? answer : undefined;
    });
    const byId = new Map<string, InstanceRow>(body.instances.map((row) => [row.identity.id, row]));
    const unlicensedRow = byId.get('inst-u')!;
    assert.equal(unlicensedRow.identity.kind, 'unlicensed_instance');
    assert.equal(unlicensedRow.eventsSince, 2);
    assert.deepEqual(unlicensedRow.serverVersions, ['5.11.0']);
    const licensedRow = byId.get('inst-l')!;
    assert.equal(licensedRow.license?.expired, false);
    assert.ok(Array.isArray(licensedRow.license?.tags));
    assert.deepEqual(licensedRow.serverVersions, ['6.0.1']);
    assert.equal(byId.get('cody-gateway')?.identity.kind, 'managed_service');
    assert.ok(!JSON.stringify(body).includes(LICENSE_KEY), 'the license key never leaves the gateway');
  });

  it('rejected events filter by reason and feature; the record view masks the license key', async () => {
    await using t = await startDashboardGateway();
    await t.send(asLicensed('inst-l'), [testEvent({ feature: 'Bad Feature' }), testEvent({ feature: 'ok', action: '' })]);
    const all = await pollUntil('two rejected', async () => {
      const { body } = await getJson<RejectedResponse>(`${t.baseUrl}/api/rejected`);
      return body.rejected.length === 2 ? body.rejected : undefined;
    });
    const byFeature = (await getJson<RejectedResponse>(`${t.baseUrl}/api/rejected?feature=Bad%20Feature`)).body.rejected;
    assert.equal(byFeature.length, 1);
    const reason = byFeature[0]!.reason;
    const byReason = (await getJson<RejectedResponse>(`${t.baseUrl}/api/rejected?reason=${encodeURIComponent(reason.slice(0, 12).toUpperCase())}`)).body.rejected;
    assert.ok(byReason.some((r) => r.seq === byFeature[0]!.seq));
    const badLimit = await getJson<ApiError>(`${t.baseUrl}/api/rejected?limit=0`);
    assert.deepEqual([badLimit.status, badLimit.body], [400, { error: 'limit must be an integer from 1 to 500' }]);

    const detail = (await getJson<RejectedEventDetail>(`${t.baseUrl}/api/rejected/${all[0]!.seq}`)).body;
    assert.equal((detail.record as LicensedRecord).metadata.identifier.licensedInstance.licenseKey, '[masked]');
    assert.ok(!JSON.stringify(detail).includes(LICENSE_KEY.slice(0, 40)));
    assert.equal((await getJson<ApiError>(`${t.baseUrl}/api/rejected/999999`)).status, 404);
  });

  it('the live tail streams records matching its filter, credentials masked', async () => {
    await using t = await startDashboardGateway();
    await using tail = await readSse(`${t.baseUrl}/api/tail?feature=cody.chat&source=licensed_instance`);
    await t.send(asUnlicensed('inst-u'), [testEvent({ feature: 'cody.chat' })]);
    const wanted = testEvent({ feature: 'cody.chat' });
    await t.send(asLicensed('inst-l'), [testEvent({ feature: 'search' }), wanted]);
    const item = await pollUntil('the matching record', () => tail.events.find((e) => e.event === 'record'));
    const data = JSON.parse(item.data) as TailItem;
    assert.equal(data.id, wanted.id);
    assert.equal(data.source.id, 'inst-l');
    assert.equal((data.record as LicensedRecord).metadata.identifier.licensedInstance.licenseKey, '[masked]');
    assert.equal(tail.events.filter((e) => e.event === 'record').length, 1, 'only the matching event');
    assert.ok(!tail.text().includes(LICENSE_KEY.slice(0, 40)));
  });

  it('without a store it can query, figures come from this gateway\'s counters', async () => {
    await using t = await startDashboardGateway({ store: 'memory:' });
    await t.send(asUnlicensed('inst-m'), [testEvent(), testEvent({ feature: 'Bad Feature' })]);
    const overview = await pollUntil('counted', async () => {
      const { body } = await getJson<Overview>(`${t.baseUrl}/api/overview`);
      return body.lastHour.stored === 1 ? body : undefined;
    });
    assert.equal(overview.perMinuteSource, 'memory');
    assert.equal(overview.lastHour.rejected, 1);
    assert.equal((await getJson<InstancesResponse>(`${t.baseUrl}/api/instances`)).body.instances[0]?.identity.id, 'inst-m');
    const rejected = (await getJson<RejectedResponse>(`${t.baseUrl}/api/rejected`)).body;
    assert.equal(rejected.source, 'memory');
    assert.equal((await getJson<RejectedEventDetail>(`${t.baseUrl}/api/rejected/${rejected.rejected[0]!.seq}`)).body.feature, 'Bad Feature');
  });

  it('--dashboard off serves none of it', async () => {
    await using t = await startDashboardGateway({ dashboard: 'off' });
    assert.equal((await fetch(`${t.baseUrl}/`)).status, 404);
    assert.equal((await fetch(`${t.baseUrl}/api/overview`)).status, 404);
  });
});

describe('dashboard access with a diagnostics secret', () => {
  const secret = 'dashboard-test-secret';

  it('refuses pages and APIs without it; a bearer header or the sign-in cookie opens them', async () => {
    await using t = await startDashboardGateway({ diagnosticsSecret: secret });
    const page = await fetch(`${t.baseUrl}/`);
    assert.equal(page.status, 401);
    const html = await page.text();
    assert.match(html, /<form method="post" action="\/login">/);
    assert.ok(!html.includes(secret));
    for (const path of ['/api/overview', '/api/instances', '/api/rejected', '/api/rejected/1', '/api/tail']) {
      assert.equal((await fetch(`${t.baseUrl}${path}`)).status, 401, path);
    }
    // Wrong secrets count against this client (3 free, then it must wait): only two here.
    assert.equal((await fetch(`${t.baseUrl}/api/overview`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await getJson<Overview>(`${t.baseUrl}/api/overview`, { authorization: `Bearer ${secret}` })).status, 200);

    const wrong = await postLogin(t.baseUrl, 'not-it');
    assert.equal(wrong.status, 401);
    assert.ok(!(wrong.headers['set-cookie'] ?? []).some((c) => c.startsWith('tgw_dashboard=')), 'no session for a wrong secret');
    const right = await postLogin(t.baseUrl, secret);
    assert.equal(right.status, 303);
    assert.equal(right.headers.location, '/');
    const cookie = right.headers['set-cookie']!.find((c) => c.startsWith('tgw_dashboard='))!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.ok(!cookie.includes(secret), 'the cookie holds a derived token, not the secret');
    const session = cookie.split(';')[0]!;
    assert.equal((await fetch(`${t.baseUrl}/`, { headers: { cookie: session } })).status, 200);
    assert.equal((await fetch(`${t.baseUrl}/api/overview`, { headers: { cookie: session } })).status, 200);
    assert.equal((await fetch(`${t.baseUrl}/api/overview`, { headers: { cookie: 'tgw_dashboard=forged' } })).status, 401);
    // The built assets hold no data and no secret: the sign-in form needs the stylesheet.
    assert.equal((await fetch(`${t.baseUrl}/assets/style.css`)).status, 200);
  });
});
