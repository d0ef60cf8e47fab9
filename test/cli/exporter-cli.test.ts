import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { builtCli, runCli, startServe } from '../helpers/cli.js';
import { startSilentServer } from '../helpers/exporter.js';
import { pollUntil } from '../helpers/poll.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('CLI: record, export, queue', () => {
  it('records with redaction, exports once to a served gateway, and shows what left', async () => {
    using dir = tempDir();
    const store = `sqlite:${join(dir.path, 'telemetry.db')}`;
    const env = { TELEMETRY_GATEWAY_QUEUE: `sqlite:${join(dir.path, 'queue.db')}` };
    const allowlistFile = join(dir.path, 'allowlist.txt');
    writeFileSync(allowlistFile, '# shared by the exporter and the gateway\nsearch::submitted::repo\n');
    const serve = await startServe(['--listen', '127.0.0.1:0', '--store', store, '--privacy-allowlist-file', allowlistFile]);
    try {
      const recorded = await runCli(
        ['record', 'search', 'submitted', '--metadata', 'results=12', '--private-metadata', '{"repo":"r1","query":"secret"}', '--allowlist-file', allowlistFile, '--marketing', '{"url":"https://ad.example"}', '--user-id', '7'],
        { env },
      );
      assert.equal(recorded.code, 0, recorded.stderr);
      const { id } = JSON.parse(recorded.stdout) as { id: string };

      const stats = JSON.parse((await runCli(['queue', 'stats'], { env })).stdout);
      assert.equal(stats.pending, 1);

      const exported = await runCli(['export', '--gateway', `http://${serve.address}`, '--insecure', '--instance-id', 'cli-instance', '--once'], { env });
      assert.equal(exported.code, 0, exported.stderr);
      assert.deepEqual(JSON.parse(exported.stdout), { sent: 1, acknowledged: 1, failed: 0, batches: 1 });

      const [left] = (await runCli(['queue', 'list'], { env })).stdout.trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(left.id, id);
      assert.deepEqual(left.event.parameters, { privateMetadata: { repo: 'r1' }, metadata: { results: 12 } });
      assert.equal(left.event.marketingTracking, undefined);
      assert.equal(left.event.user.userId, '7');

      const [record] = (await runCli(['events', 'list', '--store', store])).stdout.trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(record.event.id, id);
      assert.equal(record.metadata.identifier.unlicensedInstance.instanceId, 'cli-instance');
      assert.deepEqual(record.event.parameters.privateMetadata, { repo: 'r1' }, 'the gateway kept what the shared file allows');
      assert.doesNotMatch(serve.stderr(), /empty allowlist/);
    } finally {
      await serve.stop();
    }
  });

  it('refuses what it cannot do safely, with a clear message', async () => {
    using dir = tempDir();
    const env = { TELEMETRY_GATEWAY_QUEUE: `sqlite:${join(dir.path, 'queue.db')}` };
    const plaintext = await runCli(['export', '--gateway', 'http://127.0.0.1:1', '--instance-id', 'x', '--once'], { env });
    assert.equal(plaintext.code, 1);
    assert.match(plaintext.stderr, /refusing plaintext to http:\/\/127\.0\.0\.1:1: pass --insecure/);

    const noIdentity = await runCli(['export', '--gateway', 'https://gw.example.com', '--once'], { env });
    assert.equal(noIdentity.code, 1);
    assert.match(noIdentity.stderr, /give --license-key, --instance-id \(unlicensed\) or --service-id/);

    const badName = await runCli(['record', 'Search', 'go'], { env });
    assert.equal(badName.code, 1);
    assert.match(badName.stderr, /cannot record Search\/go: feature must match/);

    const badAllowlist = await runCli(['record', 'search', 'go', '--allowlist', 'search::go'], { env });
    assert.equal(badAllowlist.code, 1);
    assert.match(badAllowlist.stderr, /allowlist entry "search::go": no private_metadata keys listed/);

    const disabled = await runCli(['record', 'search', 'go', '--export-mode', 'disabled'], { env });
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.deepEqual(JSON.parse(disabled.stdout), { queued: false, reason: 'export mode excludes search' });
    assert.equal(JSON.parse((await runCli(['queue', 'stats'], { env })).stdout).pending, 0);
  });

  it('a gateway that accepts and never answers: export --once fails within --timeout; SIGTERM stops the daemon within --shutdown-timeout, exit 0', async () => {
    using dir = tempDir();
    await using silent = await startSilentServer();
    const env = { TELEMETRY_GATEWAY_QUEUE: `sqlite:${join(dir.path, 'queue.db')}` };
    assert.equal((await runCli(['record', 'search', 'submitted'], { env })).code, 0);
    const args = ['export', '--gateway', `http://${silent.address}`, '--insecure', '--instance-id', 'hung'];

    const started = Date.now();
    const once_ = await runCli([...args, '--once', '--timeout', '1s'], { env });
    const elapsed = Date.now() - started;
    assert.equal(once_.code, 1, once_.stderr);
    assert.equal(JSON.parse(once_.stdout).errorCode, 'DEADLINE_EXCEEDED');
    assert.ok(elapsed < 10_000, `export --once took ${elapsed} ms`);
    assert.match(once_.stderr, /"code":"DEADLINE_EXCEEDED".*"nextRunInMs"|export run incomplete/);

    const daemon = spawn(process.execPath, [builtCli(), ...args, '--interval', '1h', '--timeout', '60s', '--shutdown-timeout', '1s'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    daemon.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(daemon, 'exit');
    const connectionsBefore = silent.connections();
    await pollUntil('the daemon to connect', () => (silent.connections() > connectionsBefore ? true : undefined), 15_000);
    const signalled = Date.now();
    daemon.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    const stopMs = Date.now() - signalled;
    assert.equal(code, 0, stderr);
    assert.ok(stopMs < 4_000, `stopped ${stopMs} ms after SIGTERM (shutdown timeout 1 s)`);
    assert.match(stderr, /exporter stopping/);
    assert.match(stderr, /exporter stopped.*CANCELLED|CANCELLED.*exporter stopped|cancelled/);
    assert.equal(JSON.parse((await runCli(['queue', 'stats'], { env })).stdout).pending, 1, 'the event stays queued');
  });

  it('poison sequence through the CLI: six small events delivered, the big one in queue stats and queue list --failed', async () => {
    using dir = tempDir();
    const env = { TELEMETRY_GATEWAY_QUEUE: `sqlite:${join(dir.path, 'queue.db')}`, TELEMETRY_GATEWAY_ALLOWLIST: 'search::submitted::repo' };
    const serve = await startServe(['--listen', '127.0.0.1:0', '--store', `sqlite:${join(dir.path, 'telemetry.db')}`, '--max-message-bytes', '65536', '--privacy-allowlist', 'search::submitted::repo']);
    try {
      const record = async (privateMetadata: object) => {
        const result = await runCli(['record', 'search', 'submitted', '--private-metadata', JSON.stringify(privateMetadata)], { env });
        assert.equal(result.code, 0, result.stderr);
        return (JSON.parse(result.stdout) as { id: string }).id;
      };
      await record({ repo: 'first' });
      const poison = await record({ repo: 'y'.repeat(80_000) });
      for (let i = 0; i < 5; i++) await record({ repo: `r${i}` });

      const exported = await runCli(['export', '--gateway', `http://${serve.address}`, '--insecure', '--instance-id', 'cli-poison', '--once'], { env });
      assert.equal(exported.code, 0, exported.stderr);
      const result = JSON.parse(exported.stdout) as { acknowledged: number; failed: number; sent: number; error?: string };
      assert.deepEqual({ ...result, sent: undefined }, { sent: undefined, acknowledged: 6, failed: 1, batches: 1 });
      assert.ok(result.sent >= 7, 'bisection re-sends count as sent');
      assert.match(exported.stderr, /set aside as failed/);

      const stats = JSON.parse((await runCli(['queue', 'stats'], { env })).stdout);
      assert.equal(stats.pending, 0);
      assert.equal(stats.failed, 1);
      const [failed, ...more] = (await runCli(['queue', 'list', '--failed'], { env })).stdout.trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(more.length, 0);
      assert.equal(failed.id, poison);
      assert.match(failed.reason, /RESOURCE_EXHAUSTED/);
    } finally {
      await serve.stop();
    }
  });

  it('a bounded queue refuses with a clear message; a --ca that is not PEM is refused at start', async () => {
    using dir = tempDir();
    const env = { TELEMETRY_GATEWAY_QUEUE: `sqlite:${join(dir.path, 'queue.db')}` };
    assert.equal((await runCli(['record', 'search', 'submitted', '--max-queue-events', '1'], { env })).code, 0);
    const full = await runCli(['record', 'search', 'submitted', '--max-queue-events', '1'], { env });
    assert.equal(full.code, 1);
    assert.match(full.stderr, /the export queue is full: 1 events pending \(limit 1\)/);

    const serve = await startServe(['--listen', '127.0.0.1:0', '--store', 'memory:']);
    try {
      await pollUntil('the empty-allowlist warning', () => (/privacy enforcement is on with an empty allowlist.*--privacy-allowlist-file/.test(serve.stderr()) ? true : undefined));
    } finally {
      await serve.stop();
    }

    const notPem = join(dir.path, 'ca.der');
    writeFileSync(notPem, Buffer.from([0x30, 0x82, 0x01, 0x0a]));
    const ca = await runCli(['export', '--gateway', 'https://gw.example.com', '--instance-id', 'x', '--ca', notPem, '--once'], { env });
    assert.equal(ca.code, 1);
    assert.match(ca.stderr, /--ca .*ca\.der: not a PEM file with a certificate/);
  });

  it('--help lists every export setting with its env variable', async () => {
    const help = (await runCli(['export', '--help'])).stdout.replace(/\s+/g, ' ');
    for (const flag of ['gateway', 'queue', 'license-key', 'instance-id', 'external-url', 'interval', 'timeout', 'shutdown-timeout', 'insecure', 'batch-size', 'retention', 'service-token']) {
      assert.match(help, new RegExp(`--${flag}\\b.*?\\[env: TELEMETRY_GATEWAY_EXPORT_${flag.toUpperCase().replace(/-/g, '_')}\\]`));
    }
    assert.match(help, /--once/);
  });
});
