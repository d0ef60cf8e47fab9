/**
 * Regenerates the dashboard screenshots in docs/ (not a test: run it by hand,
 * after `npm run build`):
 *
 *   node --import tsx test/dashboard/take-screenshots.ts
 *
 * It seeds a store file with an hour of demo traffic from a few identities
 * (the store stamps rows when it writes them, so the seed moves those stamps
 * back over the past hour), starts a gateway on it, keeps a little live
 * traffic flowing, and photographs each page in Debian's Chromium.
 */
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { toBinary } from '@bufbuild/protobuf';
import { openSqliteStore } from '../../src/adapters/stores/sqlite/sqlite-store.js';
import type { StoreEntry, StreamOrigin } from '../../src/core/store.js';
import { EventSchema, RecordEventsRequestMetadataSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { sampleEvents } from '../../src/tools/sample-events.js';
import { testEvent } from '../helpers/gateway.js';
import { REPO } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';
import { launchChromium } from './browser.js';
import { asLicensed, asService, asUnlicensed, EXPIRED_LICENSE_KEY, startDashboardGateway } from './dashboard-gateway.js';

using dir = tempDir('tgw-screenshots-');
const dbPath = join(dir.path, 'telemetry.db');
await seedHistory(dbPath);

await using g = await startDashboardGateway({ store: `sqlite:${dbPath}` });
// Identities as the gateway sees them (instances page), with some duplicates and refusals now.
await g.send(asLicensed('sg-acme-prod'), sampleEvents(120, 0));
await g.send(asLicensed('sg-globex', EXPIRED_LICENSE_KEY), sampleEvents(40, 7));
const resent = sampleEvents(60, 3);
await g.send(asUnlicensed('sg-initech-dev'), resent);
await g.send(asUnlicensed('sg-initech-dev'), resent.slice(0, 25));
await g.sendAsService(testEvent({ feature: 'cody.gateway', action: 'completion' }));
await g.send(asUnlicensed('sg-hooli'), [
  testEvent({ feature: 'Search', action: 'submitted' }),
  testEvent({ feature: 'cody.chat', action: '' }),
  testEvent({ feature: 'x', action: 'clicked' }),
]);

const live = setInterval(() => {
  void g.send(asLicensed('sg-acme-prod'), sampleEvents(3, Math.floor(Math.random() * 100))).catch(() => {});
}, 300);

const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 });
  const shoot = (name: string) => page.screenshot({ path: join(REPO, 'docs', `dashboard-${name}.png`), fullPage: false });

  await page.goto(`${g.baseUrl}/`);
  await page.locator('[data-testid=volume-chart] canvas').first().waitFor();
  await page.waitForFunction("document.querySelector('[data-testid=stored-last-hour]')?.textContent !== '0'");
  await page.waitForTimeout(2500); // let one more poll fill the "now" rate
  await shoot('overview');

  await page.goto(`${g.baseUrl}/#/tail`);
  await page.locator('[data-testid=tail-table] tr[data-event-id]').nth(12).waitFor();
  await page.click('[data-testid=pause]');
  await page.locator('[data-testid=tail-table] tr[data-event-id]').first().click();
  // Scrolled to the stream metadata, where the license key shows masked.
  await page.locator('[data-testid=record-json]').evaluate((pre) => pre.scrollTo(0, pre.scrollHeight));
  await shoot('live-tail');

  await page.goto(`${g.baseUrl}/#/instances`);
  await page.locator('tr[data-instance-id="sg-hooli"]').waitFor();
  await shoot('instances');

  await page.goto(`${g.baseUrl}/#/rejected`);
  await page.locator('[data-testid=rejected-table] tr[data-event-id]').first().waitFor();
  await shoot('rejected');
} finally {
  clearInterval(live);
  await browser.close();
}
console.log('wrote docs/dashboard-{overview,live-tail,instances,rejected}.png');

/** An hour of traffic from three instances, shaped like a working day's curve, stamped back in time. */
async function seedHistory(path: string): Promise<void> {
  const store = openSqliteStore(path);
  const db = new BetterSqlite3(path);
  const nowMs = Date.now();
  const origins: StreamOrigin[] = ['sg-initech-dev', 'sg-umbrella', 'sg-wayne'].map((instanceId) => {
    const metadata = asUnlicensed(instanceId);
    const metadataBytes = toBinary(RecordEventsRequestMetadataSchema, metadata);
    return {
      source: { kind: 'unlicensed_instance', instanceId, externalUrl: `https://${instanceId}.example.com` },
      publisher: 'unlicensed_instance',
      metadataBytes,
      metadataDigest: `seed-${instanceId}`,
    };
  });
  const batches: { origin: StreamOrigin; entries: StoreEntry[]; receivedMs: number }[] = [];
  for (let minute = 60; minute >= 1; minute--) {
    const minuteMs = nowMs - minute * 60_000;
    const count = Math.round(260 + 180 * Math.sin(minute / 9) + 60 * Math.sin(minute * 1.7));
    origins.forEach((origin, i) => {
      const entries: StoreEntry[] = sampleEvents(Math.round(count / (i + 1)), minute * 31 + i).map((event) => ({
        kind: 'event',
        id: event.id,
        feature: event.feature,
        action: event.action,
        timestampMs: minuteMs,
        bytes: toBinary(EventSchema, event),
      }));
      if (minute % 11 === i) {
        const invalid = testEvent({ feature: 'Cody.Chat' });
        entries.push({ kind: 'rejected', id: invalid.id, feature: 'Cody.Chat', action: 'submitted', reason: 'feature must match ^[a-z][a-zA-Z-.]+$', bytes: toBinary(EventSchema, invalid) });
      }
      batches.push({ origin, entries, receivedMs: minuteMs + 30_000 });
    });
  }
  for (const { origin, entries, receivedMs } of batches) {
    await store.write({ origin, entries });
    // Rows just written carry "now"; move them to their minute.
    db.prepare('UPDATE events SET received_ms = ? WHERE received_ms > ?').run(receivedMs, nowMs - 1);
    db.prepare('UPDATE rejected_events SET received_ms = ? WHERE received_ms > ?').run(receivedMs, nowMs - 1);
  }
  db.prepare('UPDATE stream_metadata SET first_seen_ms = ?').run(nowMs - 3_600_000);
  await store.close();
  db.close();
}
