import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { RECORD_SETTINGS, toRecordConfig } from '../../src/config/exporter-config.js';
import { GATEWAY_SETTINGS, toGatewayConfig } from '../../src/config/gateway-config.js';
import type { Setting, SettingValues } from '../../src/config/settings.js';
import { parseAllowlistLine, parseAllowlistText } from '../../src/exporter/allowlist-text.js';
import { createExportLoop } from '../../src/exporter/export-loop.js';
import { EventSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { createTestExporter, plaintextConnector } from '../helpers/exporter.js';
import { allStoredEvents } from '../helpers/export-checks.js';
import { startTestGateway } from '../helpers/gateway.js';
import { tempDir } from '../helpers/temp-dir.js';

const defaults = (settings: readonly Setting[]): SettingValues =>
  Object.fromEntries(settings.map((s) => [s.flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), s.defaultValue]));

describe('one allowlist for both ends', () => {
  it('entries are trimmed; single colons and empty keys get messages that say what to do', () => {
    assert.deepEqual(parseAllowlistLine('search::submitted:: repo '), { feature: 'search', action: 'submitted', keys: ['repo'] });
    assert.throws(() => parseAllowlistLine('search:submitted:repo'), /allowlist entry "search:submitted:repo": parts are separated by "::" \(two colons\)/);
    assert.throws(() => parseAllowlistLine('search::submitted::'), /has an empty key/);
    assert.deepEqual(
      parseAllowlistText('# shared by exporters and the gateway\n\nsearch::submitted::repo::lang\r\n  codeintel::*::language , search::viewed::repo\n', 'allow.txt'),
      [
        { feature: 'search', action: 'submitted', keys: ['repo', 'lang'] },
        { feature: 'codeintel', action: '*', keys: ['language'] },
        { feature: 'search', action: 'viewed', keys: ['repo'] },
      ],
    );
    assert.throws(() => parseAllowlistText('search::ok::repo\nBad::x::y\n', 'allow.txt'), /^Error: allow\.txt:2: allowlist entry "Bad::x::y": feature/);
  });

  it('the same file read by record (--allowlist-file) and the gateway (--privacy-allowlist-file): the allowlisted key arrives', async () => {
    using dir = tempDir();
    const file = join(dir.path, 'allowlist.txt');
    writeFileSync(file, '# private keys that may leave\nsearch::submitted:: repo\n');
    const record = toRecordConfig({ ...defaults(RECORD_SETTINGS), allowlistFile: file });
    const gatewayConfig = toGatewayConfig({ ...defaults(GATEWAY_SETTINGS), privacyAllowlistFile: file });
    assert.deepEqual(gatewayConfig.privacyAllowlist, ['search::submitted::repo']);
    assert.deepEqual(toGatewayConfig({ ...defaults(GATEWAY_SETTINGS), privacyAllowlist: ['search::viewed:: repo '] }).privacyAllowlist, ['search::viewed::repo'], 'the flag is trimmed too');
    assert.throws(() => toGatewayConfig({ ...defaults(GATEWAY_SETTINGS), privacyAllowlist: ['search:viewed:repo'] }), /--privacy-allowlist "search:viewed:repo": parts are separated by "::"/);
    assert.throws(() => toGatewayConfig({ ...defaults(GATEWAY_SETTINGS), privacyAllowlistFile: join(dir.path, 'missing.txt') }), /--privacy-allowlist-file .*missing\.txt: cannot read it \(ENOENT\)/);

    const privateMetadata = { repo: 'github.com/acme/x', query: 'secret' };
    const send = async (privacyAllowlist: string[]) => {
      await using gateway = await startTestGateway({ privacyAllowlist });
      await using exporter = createTestExporter({ allowlist: record.allowlist });
      const id = await exporter.recorder.record('search', 'submitted', { privateMetadata });
      assert.equal((await createExportLoop({ queue: exporter.queue, connect: plaintextConnector(gateway.gateway.address) }).runOnce()).acknowledged, 1);
      return fromBinary(EventSchema, (await allStoredEvents(gateway.reader)).get(id!)!.eventBytes).parameters?.privateMetadata;
    };
    assert.deepEqual(await send(gatewayConfig.privacyAllowlist), { repo: 'github.com/acme/x' });
    assert.equal(await send([]), undefined, 'without the shared file the gateway strips it (what the file prevents)');
  });
});
