import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import type { z } from 'zod';
import { exportCommand } from '../../src/cli/export.js';
import { serveCommand } from '../../src/cli/serve.js';
import { sinkCommand } from '../../src/cli/sink.js';
import { EXPORT_SCHEMA } from '../../src/config/exporter-config.js';
import { SERVE_SCHEMA, buildGatewayConfig, defaultGatewayConfig } from '../../src/config/gateway-config.js';
import { SECTION_NAMES, type SectionName } from '../../src/config/sections.js';
import { describeSettings, type SettingsShape } from '../../src/config/setting.js';
import { addSettings, envName, resolveSettings, type ResolvedSettings } from '../../src/config/settings.js';
import { SINK_SCHEMA } from '../../src/config/sink-config.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Parses argv in-process like the CLI would and resolves the settings against `env` alone. */
function resolve<S extends SettingsShape>(
  section: SectionName,
  schema: z.ZodObject<S>,
  argv: string[],
  env: NodeJS.ProcessEnv = {},
): ResolvedSettings<z.output<z.ZodObject<S>>> {
  const command = addSettings(new Command(section).exitOverride().action(() => {}), section, schema);
  command.parse(argv, { from: 'user' });
  return resolveSettings(command, section, schema, env);
}

const help = (command: Command): string => command.helpInformation().replace(/\s+/g, ' ');

describe('settings schema: what is derived from it', () => {
  it('every flag of serve, sink and export is a setting of its schema, with its namespaced env variable in help', () => {
    for (const [section, command, schema] of [
      ['serve', serveCommand(), SERVE_SCHEMA],
      ['sink', sinkCommand(), SINK_SCHEMA],
      ['export', exportCommand(), EXPORT_SCHEMA],
    ] as const) {
      const text = command.helpInformation();
      const flags = describeSettings(schema).map((s) => s.flag);
      const longs = command.options.map((o) => o.long?.slice(2)).filter((f) => f !== 'config' && f !== 'once');
      assert.deepEqual(longs, flags, `${section}: flags are the schema's`);
      for (const flag of flags) {
        // From the option's own line (descriptions mention other flags), to its env variable.
        const after = text.slice(text.search(new RegExp(`\\n  --${flag}\\b`))).replace(/\s+/g, ' ');
        assert.equal(/\[env: (\w+)\]/.exec(after)?.[1], envName(flag, section), `${section} --${flag}`);
      }
    }
    assert.equal(envName('batch-size', 'export'), 'TELEMETRY_GATEWAY_EXPORT_BATCH_SIZE');
    assert.equal(envName('batch-size', 'sink'), 'TELEMETRY_GATEWAY_SINK_BATCH_SIZE');
    assert.equal(envName('listen', 'serve'), 'TELEMETRY_GATEWAY_SERVE_LISTEN');
    assert.deepEqual(SECTION_NAMES, ['serve', 'sink', 'record', 'export']);
  });

  it('help shows true defaults: what 0 or an empty list means, durations as written, never a secret', () => {
    const serve = help(serveCommand());
    assert.match(serve, /--rate-limit-burst <n>[^-]*\(default: 10 s of --rate-limit, at least 10000/);
    assert.doesNotMatch(serve, /--rate-limit-burst <n>[^-]*\(default: 0\)/);
    assert.match(serve, /--rate-limit <events-per-second>.*?\(default: 0 \(unlimited\)\)/);
    assert.match(serve, /--allowed-hosts <name>.*?\(default: the --listen host and localhost\)/);
    assert.match(serve, /--listen <host:port>.*?\(default: "127\.0\.0\.1:10080"\)/);
    assert.match(serve, /--diagnostics-secret <secret> bearer secret required by \/-\/healthz \[env: TELEMETRY_GATEWAY_SERVE_DIAGNOSTICS_SECRET\] --/);
    const exporter = help(exportCommand());
    assert.match(exporter, /--interval <duration>.*?\(default: "5m"\)/);
    assert.match(exporter, /--ca <file>.*?\(default: the system roots\)/);
    assert.doesNotMatch(exporter, /--license-key <key>[^-]*default/);
  });

  it('the config type is the schema output: defaults resolve to the values help shows', () => {
    const { values, warnings } = resolve('serve', SERVE_SCHEMA, []);
    assert.deepEqual(warnings, []);
    const config = buildGatewayConfig(values);
    assert.deepEqual(config, defaultGatewayConfig());
    assert.equal(config.listen, '127.0.0.1:10080');
    assert.equal(config.rateLimitBurst, 0, 'derived from --rate-limit by the gateway');
    const exported = resolve('export', EXPORT_SCHEMA, []).values;
    assert.deepEqual([exported.interval, exported.timeout, exported.retention], [300_000, 30_000, 86_400_000], 'durations in ms');
  });
});

describe('settings resolution', () => {
  it('precedence: flag > env > file > default', () => {
    using dir = tempDir();
    const file = join(dir.path, 'config.yaml');
    writeFileSync(file, 'serve:\n  listen: 127.0.0.1:1\n  store: "memory:"\n  max-streams: 7\n  rate-limit: 9\n');
    const env = { TELEMETRY_GATEWAY_SERVE_LISTEN: '127.0.0.1:2', TELEMETRY_GATEWAY_SERVE_MAX_STREAMS: '8' };
    const { values } = resolve('serve', SERVE_SCHEMA, ['--config', file, '--listen', '127.0.0.1:3'], env);
    assert.deepEqual([values.listen, values.maxStreams, values.rateLimit, values.store, values.dailyQuota], ['127.0.0.1:3', 8, 9, 'memory:', 0]);
  });

  it('env variables are per command: TELEMETRY_GATEWAY_SINK_BATCH_SIZE does not reach export', () => {
    const env = { TELEMETRY_GATEWAY_SINK_BATCH_SIZE: '7' };
    assert.equal(resolve('sink', SINK_SCHEMA, [], env).values.batchSize, 7);
    const exported = resolve('export', EXPORT_SCHEMA, [], env);
    assert.equal(exported.values.batchSize, 10_000);
    assert.deepEqual(exported.warnings, [], "another command's variable is not unknown");
    assert.equal(resolve('export', EXPORT_SCHEMA, [], { TELEMETRY_GATEWAY_EXPORT_BATCH_SIZE: '5' }).values.batchSize, 5);
  });

  it('the old unnamespaced names still work, with one warning each; the new name wins over the old', () => {
    const old = resolve('export', EXPORT_SCHEMA, [], { TELEMETRY_GATEWAY_BATCH_SIZE: '5', TELEMETRY_GATEWAY_QUEUE: 'sqlite:/tmp/q.db' });
    assert.deepEqual([old.values.batchSize, old.values.queue], [5, 'sqlite:/tmp/q.db']);
    assert.deepEqual(
      old.warnings.map((w) => [w.env, w.use]),
      [
        ['TELEMETRY_GATEWAY_QUEUE', 'TELEMETRY_GATEWAY_EXPORT_QUEUE'],
        ['TELEMETRY_GATEWAY_BATCH_SIZE', 'TELEMETRY_GATEWAY_EXPORT_BATCH_SIZE'],
      ],
    );
    const both = resolve('export', EXPORT_SCHEMA, [], { TELEMETRY_GATEWAY_BATCH_SIZE: '5', TELEMETRY_GATEWAY_EXPORT_BATCH_SIZE: '6' });
    assert.equal(both.values.batchSize, 6);
    assert.deepEqual(both.warnings, []);
  });

  it('unknown TELEMETRY_GATEWAY_* variables are warned about by name, never by value', () => {
    const { warnings } = resolve('serve', SERVE_SCHEMA, [], { TELEMETRY_GATEWAY_SERVE_LISTN: 'value-not-shown', TELEMETRY_GATEWAY_X: 'x', OTHER: '1' });
    assert.deepEqual(warnings.map((w) => w.env), ['TELEMETRY_GATEWAY_SERVE_LISTN', 'TELEMETRY_GATEWAY_X']);
    assert.ok(!JSON.stringify(warnings).includes('value-not-shown'));
  });

  it('errors name the flag, env variable or file key; a secret value is never shown', () => {
    assert.throws(() => resolve('serve', SERVE_SCHEMA, ['--max-streams', '0']), /^Error: --max-streams: expected an integer of at least 1, got "0"$/);
    assert.throws(() => resolve('serve', SERVE_SCHEMA, [], { TELEMETRY_GATEWAY_SERVE_LISTEN: 'nope' }), /^Error: TELEMETRY_GATEWAY_SERVE_LISTEN: invalid address "nope"/);
    assert.throws(() => resolve('export', EXPORT_SCHEMA, [], { TELEMETRY_GATEWAY_EXPORT_INTERVAL: '2h' }), /TELEMETRY_GATEWAY_EXPORT_INTERVAL: "2h" is above 1h/);
    assert.throws(() => resolve('sink', SINK_SCHEMA, [], { TELEMETRY_GATEWAY_BATCH_SIZE: 'many' }), /TELEMETRY_GATEWAY_BATCH_SIZE: expected a non-negative integer, got "many"/);
    using dir = tempDir();
    const file = join(dir.path, 'secret.yaml');
    writeFileSync(file, 'export:\n  license-key: 123456789\n');
    assert.throws(
      () => resolve('export', EXPORT_SCHEMA, ['--config', file]),
      (error: Error) => error.message === `${file}: "export.license-key": expected a string, got (hidden)` && !error.message.includes('123456789'),
    );
  });
});

describe('config files', () => {
  it('YAML with a section per command; each command reads its own section', () => {
    using dir = tempDir();
    const file = join(dir.path, 'telemetry.yaml');
    writeFileSync(
      file,
      ['serve:', '  listen: 0.0.0.0:10080', '  trusted-sources: [tag:a, tag:b]', '  metrics-public: true', 'sink:', '  batch-size: 50', 'export:', '  batch-size: 500', '  interval: 1m', ''].join('\n'),
    );
    const serve = resolve('serve', SERVE_SCHEMA, ['--config', file]).values;
    assert.deepEqual([serve.listen, serve.trustedSources, serve.metricsPublic], ['0.0.0.0:10080', ['tag:a', 'tag:b'], true]);
    assert.equal(resolve('sink', SINK_SCHEMA, ['--config', file]).values.batchSize, 50);
    const exported = resolve('export', EXPORT_SCHEMA, ['--config', file]).values;
    assert.deepEqual([exported.batchSize, exported.interval], [500, 60_000]);
  });

  it('a flat JSON file keyed by flag names (the format before sections) still works for the command run', () => {
    using dir = tempDir();
    const file = join(dir.path, 'gateway.json');
    writeFileSync(file, JSON.stringify({ listen: '127.0.0.1:0', store: 'memory:', 'max-streams': 5 }));
    const { values } = resolve('serve', SERVE_SCHEMA, ['--config', file]);
    assert.deepEqual([values.listen, values.store, values.maxStreams], ['127.0.0.1:0', 'memory:', 5]);
    assert.throws(() => resolve('sink', SINK_SCHEMA, ['--config', file]), new RegExp(`${file}: unknown setting "listen"`));
  });

  it('unknown keys and sections are refused, naming section.key and the file', () => {
    using dir = tempDir();
    const file = join(dir.path, 'typo.yaml');
    writeFileSync(file, 'serve:\n  lisen: 127.0.0.1:0\n');
    assert.throws(() => resolve('serve', SERVE_SCHEMA, ['--config', file]), new RegExp(`^Error: ${file}: unknown setting "serve\\.lisen"`));
    writeFileSync(file, 'serve:\n  listen: 127.0.0.1:0\nexprot:\n  batch-size: 1\n');
    assert.throws(() => resolve('serve', SERVE_SCHEMA, ['--config', file]), new RegExp(`${file}: unknown setting "exprot" \\(known sections: serve, sink, record, export\\)`));
    writeFileSync(file, 'export:\n  batch-size: 0\n');
    assert.throws(() => resolve('serve', SERVE_SCHEMA, ['--config', file]), new RegExp(`${file}: "export\\.batch-size": expected an integer of at least 1, got 0`), 'every section is checked');
    writeFileSync(file, 'serve: [1, 2\n');
    assert.throws(() => resolve('serve', SERVE_SCHEMA, ['--config', file]), /--config .*typo\.yaml: not valid YAML/);
  });
});
