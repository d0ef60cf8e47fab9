import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openSqliteStore } from '../../src/adapters/stores/sqlite/sqlite-store.js';
import { runCli, startServe } from '../helpers/cli.js';
import { pollUntil } from '../helpers/poll.js';
import { tempDir } from '../helpers/temp-dir.js';
import { eventEntry, origin } from '../stores/store-contract.js';

describe('serve --retention', () => {
  it('--help shows --retention, its env variable and that the default keeps everything', async () => {
    const help = await runCli(['serve', '--help']);
    assert.equal(help.code, 0, help.stderr);
    const text = help.stdout.replace(/\s+/g, ' ');
    assert.match(text, /--retention <duration>/);
    assert.match(text, /\[env: TELEMETRY_GATEWAY_SERVE_RETENTION\]/);
    assert.match(text, /keep everything/);
  });

  it('a bad value exits 1 naming the flag (or the env variable) before anything is opened', async () => {
    using dir = tempDir();
    const store = `sqlite:${join(dir.path, 'never.db')}`;
    const bad = await runCli(['serve', '--listen', '127.0.0.1:0', '--store', store, '--retention', 'forever']);
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /--retention/);
    assert.match(bad.stderr, /forever/);
    const badEnv = await runCli(['serve', '--listen', '127.0.0.1:0', '--store', store], { env: { TELEMETRY_GATEWAY_SERVE_RETENTION: '10 days' } });
    assert.equal(badEnv.code, 1, badEnv.stderr);
    assert.match(badEnv.stderr, /TELEMETRY_GATEWAY_SERVE_RETENTION/);
  });

  it('a valid value starts the gateway with it (SQLite)', async () => {
    using dir = tempDir();
    const store = `sqlite:${join(dir.path, 'kept.db')}`;
    const serve = await startServe(['--listen', '127.0.0.1:0', '--store', store, '--retention', '30d']);
    try {
      const sent = await runCli(['send-sample', '--target', serve.address, '--count', '5']);
      assert.equal(sent.code, 0, sent.stderr);
    } finally {
      await serve.stop();
    }
    const count = await runCli(['events', 'count', '--store', store]);
    assert.deepEqual([count.code, count.stdout.trim()], [0, '5'], 'events within 30 days are kept');
  });

  it('what a pass removes is logged and counted on /metrics', async () => {
    using dir = tempDir();
    const path = join(dir.path, 'aged.db');
    const daysAgo = (days: number) => ({ ...eventEntry(), timestampMs: Date.now() - days * 86_400_000 });
    const before = openSqliteStore(path);
    await before.write({ origin: origin(), entries: [daysAgo(40), daysAgo(35), daysAgo(31), daysAgo(1)] });
    await before.close();

    const serve = await startServe(['--listen', '127.0.0.1:0', '--store', `sqlite:${path}`, '--retention', '30d']);
    try {
      const metric = /^telemetry_gateway_retention_deleted_total\{table="events"\} (\d+)$/m;
      const deleted = await pollUntil('retention counted on /metrics', async () => {
        const text = await (await fetch(`http://${serve.address}/metrics`)).text();
        const n = Number(metric.exec(text)?.[1] ?? 0);
        return n > 0 ? { n, text } : undefined;
      }, 20_000);
      assert.equal(deleted.n, 3, 'the three events older than 30 days');
      assert.match(deleted.text, /^telemetry_gateway_store_maintenance_passes_total\{result="ok"\} [1-9]/m);
      const line = await pollUntil('retention logged', () =>
        serve.stderr().split('\n').find((l) => l.includes('retention removed old events')), 10_000);
      assert.equal(JSON.parse(line).deletedEvents, 3);
    } finally {
      await serve.stop();
    }
    const count = await runCli(['events', 'count', '--store', `sqlite:${path}`]);
    assert.deepEqual([count.code, count.stdout.trim()], [0, '1']);
  });
});
