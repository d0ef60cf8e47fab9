import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createTestPki } from '../helpers/certs.js';
import { runCli } from '../helpers/cli.js';
import { POSTGRES_URL, requireService } from '../helpers/services.js';
import { tempDir } from '../helpers/temp-dir.js';

/** `serve` that cannot start must exit non-zero at once with one line naming the flag. */
async function failedStart(args: string[], cwd: string): Promise<{ line: string; ms: number }> {
  const started = Date.now();
  const result = await runCli(['serve', '--log-level', 'warn', ...args], { cwd });
  const ms = Date.now() - started;
  assert.equal(result.code, 1, `exit code; stderr:\n${result.stderr}`);
  assert.equal(result.stdout, '', 'nothing claims to be serving');
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  assert.ok(ms < 10_000, `exited after ${ms} ms`);
  return { line: lines[0]!, ms };
}

describe('serve fails fast and says why', () => {
  it('a port already in use exits non-zero, naming --listen, with the SQLite store opened first', async () => {
    using dir = tempDir();
    const holder = createServer().listen(0, '127.0.0.1');
    await once(holder, 'listening');
    try {
      const port = (holder.address() as AddressInfo).port;
      const { line } = await failedStart(['--listen', `127.0.0.1:${port}`, '--store', `sqlite:${join(dir.path, 'a.db')}`], dir.path);
      assert.match(line, new RegExp(`^telemetry-gateway: --listen 127\\.0\\.0\\.1:${port}: cannot listen \\(address already in use.*choose another --listen\\)$`));
    } finally {
      holder.close();
    }
  });

  it('a SQLite path that cannot be created exits non-zero, naming --store and the directory', async () => {
    using dir = tempDir();
    const { line } = await failedStart(['--listen', '127.0.0.1:0', '--store', 'sqlite:/proc/nope/x.db'], dir.path);
    assert.match(line, /--store: sqlite store \/proc\/nope\/x\.db: cannot create directory \/proc\/nope .*writable directory/);
  });

  it('a SQLite path that is a directory, or not a database, names the path', async () => {
    using dir = tempDir();
    assert.match((await failedStart(['--listen', '127.0.0.1:0', '--store', `sqlite:${dir.path}`], dir.path)).line, /--store: sqlite store .*is a directory/);
    writeFileSync(join(dir.path, 'junk.db'), 'not a database at all, but long enough to have a header '.repeat(20));
    const { line } = await failedStart(['--listen', '127.0.0.1:0', '--store', `sqlite:${join(dir.path, 'junk.db')}`], dir.path);
    assert.match(line, /--store: sqlite store .*junk\.db: .*; check --store/);
  });

  // A server that does not answer is retried in the background instead (store-down-at-start.test.ts).
  it('a PostgreSQL database that does not exist exits non-zero without printing the password', async (t) => {
    const skip = await requireService('postgres');
    if (skip) return t.skip(skip);
    using dir = tempDir();
    const url = new URL(POSTGRES_URL);
    const store = `postgres://${url.username || 'postgres'}:pw-not-shown@${url.host}/no_such_database_here`;
    const { line } = await failedStart(['--listen', '127.0.0.1:0', '--store', store], dir.path);
    assert.match(line, /^telemetry-gateway: --store: postgres store postgres:\/\/[^ ]+\/no_such_database_here: .*does not exist \(3D000\)/);
    assert.ok(!line.includes('pw-not-shown'));
  });

  it('files that cannot be read name their flag', async () => {
    using dir = tempDir();
    for (const flag of ['--service-tokens', '--revoked-licenses', '--license-public-key', '--config']) {
      const { line } = await failedStart(['--listen', '127.0.0.1:0', '--store', 'memory:', flag, './nope.json'], dir.path);
      assert.match(line, new RegExp(`^telemetry-gateway: ${flag} \\./nope\\.json: cannot read it`), flag);
    }
  });

  it('a bad PEM file names its flag and path, not OpenSSL', async () => {
    using dir = tempDir();
    const pki = createTestPki(dir.path);
    const junk = join(dir.path, 'junk.pem');
    writeFileSync(junk, 'hello\n');
    const tls = (cert: string, key: string): string[] => ['--listen', '127.0.0.1:0', '--store', 'memory:', '--tls-cert', cert, '--tls-key', key];
    assert.match((await failedStart(tls(junk, pki.serverKey), dir.path)).line, /--tls-cert .*junk\.pem: not a PEM certificate/);
    assert.match((await failedStart(tls(pki.serverCert, junk), dir.path)).line, /--tls-key .*junk\.pem: not an unencrypted PEM private key/);
    assert.match((await failedStart(tls(pki.serverCert, pki.clientKey), dir.path)).line, /--tls-key .* does not go with --tls-cert/);
    const { line } = await failedStart([...tls(pki.serverCert, pki.serverKey), '--tls-client-ca', junk], dir.path);
    assert.match(line, /--tls-client-ca .*junk\.pem: not a PEM CA certificate/);
  });
});
