import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, startServe } from '../helpers/cli.js';
import { pollUntil } from '../helpers/poll.js';
import { tempDir } from '../helpers/temp-dir.js';

const SECRET = 'diag-secret-in-config-7c1e';

describe('CLI: config files, config validate, env names', () => {
  it('config validate: exit 0 and a summary for a valid file, secrets hidden', async () => {
    using dir = tempDir();
    const file = join(dir.path, 'telemetry.yaml');
    writeFileSync(
      file,
      ['serve:', '  listen: 0.0.0.0:10080', `  diagnostics-secret: ${SECRET}`, '  max-streams: 500', 'export:', '  gateway: https://telemetry.example.com', '  license-key: license-key-not-shown', '  interval: 10m', ''].join('\n'),
    );
    const result = await runCli(['config', 'validate', '--config', file]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /valid \(sections: serve, export\)/);
    assert.match(result.stdout, /serve\.listen = "0\.0\.0\.0:10080"/);
    assert.match(result.stdout, /serve\.max-streams = 500/);
    assert.match(result.stdout, /serve\.diagnostics-secret = \(hidden\)/);
    assert.match(result.stdout, /export\.license-key = \(hidden\)/);
    assert.ok(!(result.stdout + result.stderr).includes(SECRET) && !(result.stdout + result.stderr).includes('license-key-not-shown'));

    const flat = join(dir.path, 'gateway.json');
    writeFileSync(flat, JSON.stringify({ listen: '127.0.0.1:0', store: 'memory:' }));
    const flatResult = await runCli(['config', 'validate', '--config', flat]);
    assert.equal(flatResult.code, 0, flatResult.stderr);
    assert.match(flatResult.stdout, /valid \(flat, .*fits: serve\)/);
  });

  it('config validate: non-zero naming section.key for an unknown key, a bad value, a bad file; a bad secret is not echoed', async () => {
    using dir = tempDir();
    const file = join(dir.path, 'bad.yaml');
    const validate = async (text: string): Promise<{ code: number; stderr: string; stdout: string }> => {
      writeFileSync(file, text);
      return runCli(['config', 'validate', '--config', file]);
    };
    const unknown = await validate('serve:\n  lisen: 127.0.0.1:0\n');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /bad\.yaml: unknown setting "serve\.lisen"/);
    const section = await validate('exprot:\n  batch-size: 10\n');
    assert.equal(section.code, 1);
    assert.match(section.stderr, /unknown setting "exprot" \(known sections: serve, sink, record, export\)/);
    const value = await validate('sink:\n  batch-size: lots\n');
    assert.equal(value.code, 1);
    assert.match(value.stderr, /bad\.yaml: "sink\.batch-size": expected a non-negative integer, got "lots"/);
    const duration = await validate('export:\n  interval: 3h\n');
    assert.match(duration.stderr, /"export\.interval": "3h" is above 1h/);
    const secret = await validate(`serve:\n  diagnostics-secret: [${SECRET}]\n`);
    assert.equal(secret.code, 1);
    assert.match(secret.stderr, /"serve\.diagnostics-secret": expected a string, got \(hidden\)/);
    assert.ok(!secret.stderr.includes(SECRET));
    const broken = await validate('serve: [1, 2\n');
    assert.match(broken.stderr, /--config .*bad\.yaml: not valid YAML/);
    const missing = await runCli(['config', 'validate', '--config', join(dir.path, 'nope.yaml')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /--config .*nope\.yaml: cannot read it \(ENOENT\)/);
  });

  it('serve and events read one YAML file, each its section; an old env name works and is warned about in a JSON log line', async () => {
    using dir = tempDir();
    const store = `sqlite:${join(dir.path, 'telemetry.db')}`;
    const file = join(dir.path, 'telemetry.yaml');
    writeFileSync(file, `serve:\n  listen: 127.0.0.1:0\n  store: "${store}"\n  log-level: info\nsink:\n  batch-size: 10\n`);
    const serve = await startServe(['--config', file], { env: { TELEMETRY_GATEWAY_DIAGNOSTICS_SECRET: SECRET, TELEMETRY_GATEWAY_SERVE_LISTN: 'typo-value' } });
    try {
      const sent = await runCli(['send-sample', '--target', serve.address, '--count', '3']);
      assert.equal(sent.code, 0, sent.stderr);
      const count = await runCli(['events', 'count', '--config', file]);
      assert.deepEqual([count.code, count.stdout.trim()], [0, '3'], count.stderr);
      // The old name was read: /-/healthz wants the secret.
      assert.equal((await fetch(`http://${serve.address}/-/healthz`)).status, 401);
      await pollUntil('the settings warnings', () => (serve.stderr().includes('TELEMETRY_GATEWAY_SERVE_LISTN') ? true : undefined));
    } finally {
      assert.equal(await serve.stop(), 0);
    }
    const lines = serve.stderr().trim().split('\n').map((line) => JSON.parse(line) as { level: string; msg: string; env?: string; use?: string });
    const old = lines.find((l) => l.env === 'TELEMETRY_GATEWAY_DIAGNOSTICS_SECRET');
    assert.deepEqual([old?.level, old?.use], ['warn', 'TELEMETRY_GATEWAY_SERVE_DIAGNOSTICS_SECRET']);
    assert.equal(lines.filter((l) => l.env === 'TELEMETRY_GATEWAY_DIAGNOSTICS_SECRET').length, 1, 'warned once');
    assert.ok(lines.some((l) => l.env === 'TELEMETRY_GATEWAY_SERVE_LISTN' && /not a setting of any command/.test(l.msg)));
    assert.ok(!serve.stderr().includes(SECRET) && !serve.stderr().includes('typo-value'), 'names only, never values');
  });

  it('env variables are per command: a sink variable does not reach export, and the error names the variable', async () => {
    using dir = tempDir();
    const env = { TELEMETRY_GATEWAY_SINK_BATCH_SIZE: 'junk', TELEMETRY_GATEWAY_EXPORT_QUEUE: `sqlite:${join(dir.path, 'queue.db')}` };
    const sink = await runCli(['sink'], { env });
    assert.equal(sink.code, 1);
    assert.match(sink.stderr, /TELEMETRY_GATEWAY_SINK_BATCH_SIZE: expected a non-negative integer, got "junk"/);
    const exported = await runCli(['export', '--gateway', 'http://127.0.0.1:1', '--insecure', '--instance-id', 'x', '--once', '--timeout', '1s', '--log-level', 'error'], { env });
    assert.doesNotMatch(exported.stderr, /BATCH_SIZE/);
    assert.deepEqual(JSON.parse(exported.stdout).sent, 0, 'ran with its own batch size (an empty queue)');
  });

  it('record and queue: the old TELEMETRY_GATEWAY_QUEUE still works, with a plain warning line', async () => {
    using dir = tempDir();
    const recorded = await runCli(['record', 'search', 'submitted'], { env: { TELEMETRY_GATEWAY_QUEUE: `sqlite:${join(dir.path, 'queue.db')}` } });
    assert.equal(recorded.code, 0, recorded.stderr);
    assert.match(recorded.stderr, /^telemetry-gateway: warning: TELEMETRY_GATEWAY_QUEUE is an old name: use TELEMETRY_GATEWAY_RECORD_QUEUE/m);
    const stats = await runCli(['queue', 'stats'], { env: { TELEMETRY_GATEWAY_EXPORT_QUEUE: `sqlite:${join(dir.path, 'queue.db')}` } });
    assert.equal(stats.code, 0, stats.stderr);
    assert.equal(stats.stderr, '');
    assert.equal(JSON.parse(stats.stdout).pending, 1);
  });
});
