import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, startServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('CLI: record, export, queue', () => {
  it('records with redaction, exports once to a served gateway, and shows what left', async () => {
    using dir = tempDir();
    const store = `sqlite:${join(dir.path, 'telemetry.db')}`;
    const env = { TELEMETRY_GATEWAY_QUEUE: `sqlite:${join(dir.path, 'queue.db')}` };
    const serve = await startServe(['--listen', '127.0.0.1:0', '--store', store, '--privacy-allowlist', 'search::submitted::repo']);
    try {
      const recorded = await runCli(
        ['record', 'search', 'submitted', '--metadata', 'results=12', '--private-metadata', '{"repo":"r1","query":"secret"}', '--allowlist', 'search::submitted::repo', '--marketing', '{"url":"https://ad.example"}', '--user-id', '7'],
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
    assert.match(noIdentity.stderr, /give --license-key, --instance-id \(unlicensed\) or --service-id/);

    const badName = await runCli(['record', 'Search', 'go'], { env });
    assert.equal(badName.code, 1);
    assert.match(badName.stderr, /cannot record Search\/go: feature must match/);

    const badAllowlist = await runCli(['record', 'search', 'go', '--allowlist', 'search::go'], { env });
    assert.match(badAllowlist.stderr, /allowlist entry "search::go": no private_metadata keys listed/);

    const disabled = await runCli(['record', 'search', 'go', '--export-mode', 'disabled'], { env });
    assert.deepEqual(JSON.parse(disabled.stdout), { queued: false, reason: 'export mode excludes search' });
    assert.equal(JSON.parse((await runCli(['queue', 'stats'], { env })).stdout).pending, 0);
  });

  it('--help lists every export setting with its env variable', async () => {
    const help = (await runCli(['export', '--help'])).stdout.replace(/\s+/g, ' ');
    for (const flag of ['gateway', 'queue', 'license-key', 'instance-id', 'external-url', 'interval', 'insecure', 'batch-size', 'retention', 'service-token']) {
      assert.match(help, new RegExp(`--${flag}\\b.*?\\[env: TELEMETRY_GATEWAY_${flag.toUpperCase().replace(/-/g, '_')}\\]`));
    }
    assert.match(help, /--once/);
  });
});
