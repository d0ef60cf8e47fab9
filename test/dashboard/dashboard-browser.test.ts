import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { testEvent } from '../helpers/gateway.js';
import { pollUntil } from '../helpers/poll.js';
import { launchChromium, requireChromium } from './browser.js';
import { asLicensed, asUnlicensed, EXPIRED_LICENSE_KEY, LICENSE_KEY, startDashboardGateway } from './dashboard-gateway.js';

let shared: Promise<Browser> | undefined;
/** One Chromium for the file; each test gets its own page. Skips (or fails in CI) without Chromium. */
async function openPage(t: TestContext, url: string): Promise<Page | undefined> {
  if (!requireChromium(t)) return undefined;
  shared ??= launchChromium();
  const browser = await shared;
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  t.after(() => page.close());
  await page.goto(url);
  return page;
}
after(async () => (await shared)?.close());

/** The text of the first element matching `selector` once `check` accepts it. */
function textOf(page: Page, selector: string, check: (text: string) => boolean, what = selector): Promise<string> {
  return pollUntil(what, async () => {
    const text = (await page.locator(selector).first().textContent({ timeout: 1000 }).catch(() => null)) ?? '';
    return check(text) ? text : undefined;
  });
}

const rowWithId = (id: string): string => `tr[data-event-id="${id}"]`;

describe('dashboard in Chromium', () => {
  it('overview shows the numbers of the events sent, and the chart', async (t) => {
    await using g = await startDashboardGateway();
    const events = Array.from({ length: 7 }, () => testEvent());
    await g.send(asUnlicensed('inst-a'), events);
    await g.send(asUnlicensed('inst-a'), events.slice(0, 3));
    await g.send(asUnlicensed('inst-a'), [testEvent({ feature: 'Bad Feature' }), testEvent({ feature: 'x' })]);
    const page = await openPage(t, `${g.baseUrl}/`);
    if (!page) return;
    await textOf(page, '[data-testid=stored-last-hour]', (s) => s === '7');
    assert.equal(await textOf(page, '[data-testid=duplicate-last-hour]', (s) => s !== ''), '3');
    assert.equal(await textOf(page, '[data-testid=rejected-last-hour]', (s) => s !== ''), '2');
    assert.equal(await textOf(page, '[data-testid=store-ok]', (s) => s !== ''), 'writable');
    assert.match(await textOf(page, '[data-testid=top-feature-actions] tbody', (s) => s.includes('search')), /searchsubmitted7/);
    assert.ok((await page.locator('[data-testid=volume-chart] canvas').count()) >= 1, 'uPlot drew the chart');
  });

  it('live tail shows events sent after the page opened; filters, pause and the record view work', async (t) => {
    await using g = await startDashboardGateway();
    const page = await openPage(t, `${g.baseUrl}/#/tail`);
    if (!page) return;
    await textOf(page, '[data-testid=tail-status]', (s) => s === 'live');

    const first = testEvent({ feature: 'cody.chat' });
    await g.send(asLicensed('inst-l'), [first]);
    await page.locator(rowWithId(first.id)).waitFor({ timeout: 5000 });

    await page.fill('[data-testid=tail-filters] input[name=feature]', 'search');
    await page.click('[data-testid=tail-filters] button[type=submit]');
    await textOf(page, '[data-testid=tail-status]', (s) => s === 'live');
    const filteredOut = testEvent({ feature: 'cody.chat' });
    const kept = testEvent({ feature: 'search' });
    await g.send(asUnlicensed('inst-u'), [filteredOut, kept]);
    await page.locator(rowWithId(kept.id)).waitFor({ timeout: 5000 });
    assert.equal(await page.locator(rowWithId(filteredOut.id)).count(), 0, 'the filter hides other features');

    await page.click('[data-testid=pause]');
    await textOf(page, '[data-testid=tail-status]', (s) => s === 'paused');
    const whilePaused = testEvent({ feature: 'search' });
    await g.send(asUnlicensed('inst-u'), [whilePaused]);
    await page.click('[data-testid=pause]');
    await textOf(page, '[data-testid=tail-status]', (s) => s === 'live');
    const afterResume = testEvent({ feature: 'search' });
    await g.send(asLicensed('inst-l'), [afterResume]);
    await page.locator(rowWithId(afterResume.id)).waitFor({ timeout: 5000 });
    assert.equal(await page.locator(rowWithId(whilePaused.id)).count(), 0, 'nothing arrives while paused');

    await page.click(rowWithId(afterResume.id));
    const json = await textOf(page, '[data-testid=record-json]', (s) => s.includes(afterResume.id));
    assert.match(json, /"licenseKey": "\[masked\]"/);
    assert.ok(!json.includes(LICENSE_KEY.slice(0, 40)), 'the license key is not shown');
  });

  it('instances page lists every identity used, expired licenses highlighted', async (t) => {
    await using g = await startDashboardGateway();
    await g.send(asUnlicensed('inst-unlicensed'), [testEvent()]);
    await g.send(asLicensed('inst-licensed'), [testEvent()]);
    await g.send(asLicensed('inst-expired', EXPIRED_LICENSE_KEY), [testEvent()]);
    await g.sendAsService(testEvent());
    const page = await openPage(t, `${g.baseUrl}/#/instances`);
    if (!page) return;
    const table = await textOf(page, '[data-testid=instances-table] tbody', (s) => s.includes('cody-gateway') && s.includes('inst-expired'));
    for (const id of ['inst-unlicensed', 'inst-licensed', 'inst-expired', 'cody-gateway']) assert.ok(table.includes(id), id);
    assert.equal(await page.locator('tr[data-instance-id="inst-expired"] .expired').count(), 1);
    assert.equal(await page.locator('tr[data-instance-id="inst-licensed"] .expired').count(), 0);
  });

  it('rejected page shows an invalid event with its reason, filters, and opens its record', async (t) => {
    await using g = await startDashboardGateway();
    const invalid = testEvent({ feature: 'Bad Feature' });
    const other = testEvent({ feature: 'search', action: '' });
    await g.send(asUnlicensed('inst-u'), [invalid, other]);
    const page = await openPage(t, `${g.baseUrl}/#/rejected`);
    if (!page) return;
    const row = await textOf(page, `${rowWithId(invalid.id)} .reason`, (s) => s !== '');
    assert.match(row, /feature/i);
    await page.locator(rowWithId(other.id)).waitFor();

    await page.fill('[data-testid=rejected-filters] input[name=feature]', 'Bad Feature');
    await page.click('[data-testid=rejected-filters] button[type=submit]');
    await pollUntil('the filter applied', async () => ((await page.locator(rowWithId(other.id)).count()) === 0 ? true : undefined));
    assert.equal(await page.locator(rowWithId(invalid.id)).count(), 1);

    await page.click(rowWithId(invalid.id));
    await textOf(page, '[data-testid=record-json]', (s) => s.includes(invalid.id) && s.includes('"Bad Feature"'));
  });

  it('with a diagnostics secret, pages refuse access until signed in (secret never in a URL)', async (t) => {
    const secret = 'browser-test-secret';
    await using g = await startDashboardGateway({ diagnosticsSecret: secret });
    const page = await openPage(t, `${g.baseUrl}/`);
    if (!page) return;
    await page.locator('input[name=secret]').waitFor();
    assert.equal(await page.locator('[data-testid=stored-last-hour]').count(), 0);
    const api = await page.evaluate(async () => (await fetch('/api/overview')).status);
    assert.equal(api, 401);

    await page.fill('input[name=secret]', 'wrong');
    await page.click('button[type=submit]');
    await textOf(page, '.error', (s) => s.includes('not the diagnostics secret'));

    await page.fill('input[name=secret]', secret);
    await page.click('button[type=submit]');
    await textOf(page, '[data-testid=stored-last-hour]', (s) => s === '0');
    assert.ok(!page.url().includes(secret));
    const cookies = await page.context().cookies();
    assert.ok(cookies.every((c) => c.httpOnly && !c.value.includes(secret)));

    await page.click('[data-testid=sign-out]');
    await page.locator('input[name=secret]').waitFor();
    assert.equal(await page.evaluate(async () => (await fetch('/api/overview')).status), 401, 'signed out');
  });

  it('runs under its Content-Security-Policy: no violation on any page, framing refused', async (t) => {
    await using g = await startDashboardGateway();
    await g.send(asUnlicensed('inst-csp'), [testEvent(), testEvent({ feature: 'Bad Feature' })]);
    const page = await openPage(t, `${g.baseUrl}/`);
    if (!page) return;
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    page.on('pageerror', (error) => violations.push(error.message));
    for (const name of ['overview', 'tail', 'instances', 'rejected']) {
      await page.goto(`${g.baseUrl}/#/${name}`);
      await page.reload();
      await page.locator('main h1').waitFor();
    }
    await textOf(page, '[data-testid=nav-overview]', (s) => s !== '');
    await page.goto(`${g.baseUrl}/#/overview`);
    await page.locator('[data-testid=volume-chart] canvas').first().waitFor({ timeout: 10_000 });
    assert.deepEqual(violations, []);
    // A page elsewhere cannot frame the dashboard (clickjacking).
    const response = await page.request.get(`${g.baseUrl}/`);
    assert.match(response.headers()['content-security-policy'] ?? '', /frame-ancestors 'none'/);
  });
});
