import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, startServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('CLI tour: serve, send-sample, events list/count', () => {
  it('stores what send-sample sends and lists it as NDJSON records, oldest first', async () => {
    using dir = tempDir();
    const store = `sqlite:${join(dir.path, 'data/telemetry.db')}`;
    const serve = await startServe(['--listen', '127.0.0.1:0', '--store', store]);
    try {
      const sent = await runCli(['send-sample', '--target', serve.address, '--count', '25', '--payload-size', '10']);
      assert.equal(sent.code, 0, sent.stderr);
      assert.deepEqual(JSON.parse(sent.stdout), { sent: 25, acknowledged: 25, payloads: 3 });

      const listed = await runCli(['events', 'list', '--store', store]);
      assert.equal(listed.code, 0, listed.stderr);
      const records = listed.stdout.trim().split('\n').map((line) => JSON.parse(line));
      assert.equal(records.length, 25);
      for (const record of records) {
        assert.deepEqual(Object.keys(record), ['event', 'metadata']);
        assert.equal(record.metadata.identifier.unlicensedInstance.instanceId, 'sample-instance');
      }
      const times = records.map((r) => r.event.id);
      assert.deepEqual(times, [...times].sort(), 'UUID v7 ids of one run sort by time: oldest first');

      const limited = await runCli(['events', 'list', '--store', store, '--limit', '3']);
      assert.equal(limited.stdout.trim().split('\n').length, 3);

      const count = await runCli(['events', 'count'], { env: { TELEMETRY_GATEWAY_STORE: store } });
      assert.deepEqual([count.code, count.stdout.trim()], [0, '25']);

      const rejected = await runCli(['events', 'list', '--rejected', '--store', store]);
      assert.deepEqual([rejected.code, rejected.stdout], [0, '']);
    } finally {
      assert.equal(await serve.stop(), 0, serve.stderr());
    }
  });

  it('serves on 127.0.0.1:10080 with ./data/telemetry.db by default (the `npm start` setup)', async (t) => {
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer().once('error', () => resolve(false));
      probe.listen(10080, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (!free) {
      t.skip('port 10080 is in use on this machine');
      return;
    }
    using dir = tempDir();
    const serve = await startServe([], { cwd: dir.path });
    try {
      assert.equal(serve.address, '127.0.0.1:10080');
      const sent = await runCli(['send-sample', '--count', '3']);
      assert.equal(sent.code, 0, sent.stderr);
      const count = await runCli(['events', 'count'], { cwd: dir.path });
      assert.equal(count.stdout.trim(), '3');
    } finally {
      assert.equal(await serve.stop(), 0);
    }
  });

  it('explains bad settings clearly and exits non-zero', async () => {
    const badStore = await runCli(['serve', '--store', 'mysql://x']);
    assert.equal(badStore.code, 1);
    assert.match(badStore.stderr, /unsupported store scheme "mysql:"/);
    const badListen = await runCli(['serve', '--listen', 'nope']);
    assert.equal(badListen.code, 1);
    assert.match(badListen.stderr, /invalid address "nope"/);
    const badEnv = await runCli(['serve'], { env: { TELEMETRY_GATEWAY_MAX_MESSAGE_BYTES: 'lots' } });
    assert.equal(badEnv.code, 1);
    assert.match(badEnv.stderr, /TELEMETRY_GATEWAY_MAX_MESSAGE_BYTES: expected an integer of at least 1024, got "lots"/);
    const missing = await runCli(['events', 'count', '--store', 'sqlite:/nonexistent/dir/t.db']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot open store/);
  });

  it('--help lists every serve flag with its env variable and default', async () => {
    const help = await runCli(['serve', '--help']);
    assert.equal(help.code, 0, help.stderr);
    for (const flag of ['--listen', '--store', '--license-public-key', '--unlicensed', '--service-tokens', '--diagnostics-secret', '--config']) {
      assert.ok(help.stdout.includes(flag), `${flag} missing from --help`);
    }
    const text = help.stdout.replace(/\s+/g, ' ');
    assert.match(text, /\[env: TELEMETRY_GATEWAY_SERVE_LISTEN\]/);
    assert.match(text, /default: "127\.0\.0\.1:10080"/);
    assert.match(text, /default: "sqlite:\.\/data\/telemetry\.db"/);
  });

  it('reads settings from --config FILE, with env and flags taking precedence', async () => {
    using dir = tempDir();
    const config = join(dir.path, 'gateway.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(config, JSON.stringify({ listen: '127.0.0.1:0', store: `sqlite:${join(dir.path, 'from-file.db')}` }));
    const serve = await startServe(['--config', config], {
      env: { TELEMETRY_GATEWAY_STORE: `sqlite:${join(dir.path, 'from-env.db')}` },
    });
    try {
      const sent = await runCli(['send-sample', '--target', serve.address, '--count', '2']);
      assert.equal(sent.code, 0, sent.stderr);
      const count = await runCli(['events', 'count', '--store', `sqlite:${join(dir.path, 'from-env.db')}`]);
      assert.deepEqual([count.code, count.stdout.trim()], [0, '2']);
    } finally {
      await serve.stop();
    }
    writeFileSync(config, JSON.stringify({ lisen: '127.0.0.1:0' }));
    const typo = await runCli(['serve', '--config', config]);
    assert.equal(typo.code, 1);
    assert.match(typo.stderr, /unknown setting "lisen"/);
  });
});
