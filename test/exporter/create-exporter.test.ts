import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createExporter } from '../../src/exporter/create-exporter.js';
import { QueueFullError } from '../../src/exporter/queue.js';
import { allStoredEvents } from '../helpers/export-checks.js';
import { startTestGateway } from '../helpers/gateway.js';
import { TESTDATA } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('createExporter: the embedded exporter in one object', () => {
  it('records, flushes on shutdown, closes the queue it opened; refuses plaintext unless asked; bounded', async () => {
    using dir = tempDir();
    await using gateway = await startTestGateway({ privacyAllowlist: ['search::submitted::repo'] });
    const options = {
      gateway: `http://${gateway.gateway.address}`,
      identity: { kind: 'unlicensed' as const, instanceId: 'embedded', externalUrl: '' },
      serverVersion: '1.0.0',
      queue: `sqlite:${join(dir.path, 'queue.db')}`,
      allowlist: ['search::submitted:: repo'],
      maxQueueEvents: 3,
      logger: null,
    };
    await assert.rejects(createExporter({ ...options }), /refusing plaintext to http:\/\/.*insecure: true/);
    const exporter = await createExporter({ ...options, insecure: true, intervalMs: 3_600_000 });
    exporter.start(); // already started: harmless
    const ids = await exporter.recordBatch([1, 2, 3].map((i) => ({ feature: 'search', action: 'submitted', params: { privateMetadata: { repo: `r${i}`, q: 'secret' } } })));
    await assert.rejects(exporter.record('search', 'submitted'), QueueFullError);
    const result = await exporter.shutdown();
    assert.equal(result.error, undefined); // the first scheduled run or this final flush sent them
    assert.equal(await exporter.shutdown(), result, 'idempotent');
    await assert.rejects(exporter.queue.stats(0), /closed/);
    const stored = await allStoredEvents(gateway.reader);
    assert.deepEqual([...stored.keys()].sort(), [...ids].sort());
  });

  it('the default logger reports a permanent refusal at error, without the license key', async () => {
    using dir = tempDir();
    await using gateway = await startTestGateway();
    const licenseKey = readFileSync(join(TESTDATA, 'license/invalid-other-vendor.key'), 'utf8').trim();
    const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
    await using exporter = await createExporter({
      gateway: `http://${gateway.gateway.address}`,
      insecure: true,
      identity: { kind: 'licensed', licenseKey, instanceId: 'forged', externalUrl: '' },
      serverVersion: '1.0.0',
      queue: `sqlite:${join(dir.path, 'queue.db')}`,
      intervalMs: 3_600_000,
      logger: { warn: (message, fields) => lines.push({ level: 'warn', message, fields }), error: (message, fields) => lines.push({ level: 'error', message, fields }) },
    });
    await exporter.record('search', 'submitted');
    const result = await exporter.forceFlush();
    assert.equal(result.permanent, true);
    assert.equal(result.errorCode, 'INVALID_ARGUMENT');
    const refused = lines.find((l) => l.level === 'error');
    assert.ok(refused, JSON.stringify(lines));
    assert.match(refused.message, /refused the export; fix the configuration/);
    assert.doesNotMatch(JSON.stringify(lines), new RegExp(licenseKey.slice(0, 30).replace(/[^\w]/g, '.')));
  });
});
