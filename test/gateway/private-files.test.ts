import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { licenseCommand } from '../../src/cli/license.js';
import { openSqliteStore } from '../../src/adapters/stores/sqlite/sqlite-store.js';
import { startTestGateway, testEvent, unlicensed } from '../helpers/gateway.js';
import { eventsRequest, exchange, metadataRequest } from '../helpers/grpc-call.js';
import { tempDir } from '../helpers/temp-dir.js';

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('files holding secrets or events are owner-only', () => {
  it('the SQLite store, its -wal and -shm, and a directory created for it: 0600 / 0700, even under umask 022', async () => {
    using dir = tempDir();
    const previous = process.umask(0o022);
    try {
      const dbPath = join(dir.path, 'new-dir', 'telemetry.db');
      const store = openSqliteStore(dbPath);
      await store.close();
      assert.equal(mode(join(dir.path, 'new-dir')).toString(8), '700');
      // A store file left 0644 by an earlier version is narrowed when the gateway opens it.
      chmodSync(dbPath, 0o644);
      await using t = await startTestGateway({ store: `sqlite:${dbPath}` });
      await exchange(t.client().openRecordEvents(), [metadataRequest(unlicensed()), eventsRequest([testEvent()])]);
      for (const file of [t.dbPath, `${t.dbPath}-wal`, `${t.dbPath}-shm`]) assert.equal(mode(file).toString(8), '600', file);
      const reopened = openSqliteStore(dbPath);
      for (const file of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) assert.equal(mode(file).toString(8), '600', file);
      await reopened.close();
    } finally {
      process.umask(previous);
    }
  });

  it('license keygen --force over an existing 0644 private.pem leaves it 0600', async () => {
    using dir = tempDir();
    const out = join(dir.path, 'keys');
    mkdirSync(out);
    writeFileSync(join(out, 'private.pem'), 'old', { mode: 0o644 });
    chmodSync(join(out, 'private.pem'), 0o644);
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      await licenseCommand().parseAsync(['keygen', '--out', out, '--force'], { from: 'user' });
    } finally {
      process.stdout.write = write;
    }
    assert.equal(mode(join(out, 'private.pem')).toString(8), '600');
    assert.equal(mode(join(out, 'public.pub')).toString(8), '644', 'the public key is meant to be shared');

    const fresh = join(dir.path, 'fresh');
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      await licenseCommand().parseAsync(['keygen', '--out', fresh], { from: 'user' });
    } finally {
      process.stdout.write = write;
    }
    assert.equal(mode(fresh).toString(8), '700');
    assert.equal(mode(join(fresh, 'private.pem')).toString(8), '600');
  });
});
