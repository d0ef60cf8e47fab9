import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { AllowlistEntry } from '../core/privacy/allowlist.js';
import { parseAllowlistLine } from '../exporter/allowlist-text.js';
import type { ExporterIdentity } from '../exporter/exporter-identity.js';
import { MAX_EXPORT_INTERVAL_MS } from '../exporter/export-loop.js';
import { parseExportMode, type ExportMode } from '../exporter/export-mode.js';
import { parseGatewayUrl } from '../exporter/gateway-url.js';
import type { QueueLimits } from '../exporter/queue.js';
import { readAllowlistFile } from './allowlist-file.js';
import { readErrorCode } from './read-error.js';
import { LOG_LEVELS, parseHostPort } from './gateway-config.js';
import { parseSettings } from './parse-settings.js';
import { boolean, duration, flagName, integer, list, oneOf, optionalText, text } from './setting.js';
import { describeLegacySettings, type Setting, type SettingValues } from './settings-compat.js';

export { parseGatewayUrl } from '../exporter/gateway-url.js';

const queue = text({ valueName: 'url', default: 'sqlite:./data/queue.db', description: 'the durable export queue: sqlite:PATH, or postgres://... when several processes record' });

function checkExportMode(mode: string): void {
  parseExportMode(mode);
}

function checkHostPort(address: string): void {
  parseHostPort(address);
}

/** `record`: what decides what may leave the instance (env TELEMETRY_GATEWAY_RECORD_*, file section `record:`). */
export const RECORD_SCHEMA = z.object({
  queue,
  allowlist: list({ defaultText: 'none', valueName: 'entry', description: 'private_metadata keys that may leave: feature::action::key1[::key2...] (action may be *); repeatable, or comma-separated' }),
  allowlistFile: optionalText({ valueName: 'file', description: 'allowlist entries, one per line (# comments): the same file the gateway reads with --privacy-allowlist-file' }),
  redaction: oneOf(['default', 'public-service'], { valueName: 'mode', default: 'default', description: 'public-service keeps everything (only for the vendor\'s own hosted instance)' }),
  exportMode: text({ check: checkExportMode, valueName: 'mode', default: 'all', description: 'all, disabled (nothing is queued) or prefix:FEATURE_PREFIX' }),
  serverVersion: text({ valueName: 'version', default: '0.0.0', description: 'source.server.version of recorded events' }),
  legacyMetadata: boolean({ default: false, description: 'send integer metadata as int64 legacy_metadata, like instances before late 2023' }),
  maxEventBytes: integer({ min: 1, valueName: 'n', default: 1024 * 1024, description: 'refuse to record an event larger than this, encoded' }),
  maxQueueEvents: integer({ defaultText: '0 (no limit)', valueName: 'n', default: 0, description: 'refuse new events while this many are pending (0: no limit); queued events are never dropped' }),
  maxQueueBytes: integer({ valueName: 'n', default: 1024 * 1024 * 1024, description: 'refuse new events while pending events take this many bytes (0: no limit)' }),
});

export type RecordSettings = z.output<typeof RECORD_SCHEMA>;

export interface RecordConfig {
  queue: string;
  allowlist: AllowlistEntry[];
  redaction: RecordSettings['redaction'];
  exportMode: ExportMode;
  serverVersion: string;
  legacyMetadata: boolean;
  maxEventBytes: number;
  queueLimits: QueueLimits;
}

export function buildRecordConfig(settings: RecordSettings): RecordConfig {
  return {
    queue: settings.queue,
    allowlist: [...settings.allowlist.map((entry) => parseAllowlistLine(entry)), ...readAllowlistFile(settings.allowlistFile)],
    redaction: settings.redaction,
    exportMode: parseExportMode(settings.exportMode),
    serverVersion: settings.serverVersion,
    legacyMetadata: settings.legacyMetadata,
    maxEventBytes: settings.maxEventBytes,
    queueLimits: { maxPendingEvents: noLimitAtZero(settings.maxQueueEvents), maxPendingBytes: noLimitAtZero(settings.maxQueueBytes) },
  };
}

function noLimitAtZero(n: number): number | undefined {
  return n === 0 ? undefined : n;
}

/** `export`: the daemon that sends the queue (env TELEMETRY_GATEWAY_EXPORT_*, file section `export:`). */
export const EXPORT_SCHEMA = z.object({
  gateway: optionalText({ valueName: 'url', description: 'the gateway: https://HOST[:PORT] or HOST:PORT (TLS), or http://HOST:PORT with --insecure (required)' }),
  queue,
  licenseKey: optionalText({ valueName: 'key', secret: true, description: 'license key of this instance (prefer the env variable: flags show in ps)' }),
  instanceId: optionalText({ valueName: 'id', description: 'instance id (required when unlicensed)' }),
  externalUrl: text({ valueName: 'url', default: '', description: 'the instance\'s external URL' }),
  serviceId: optionalText({ valueName: 'id', description: 'managed-service mode: the service id (events go by unary RecordEvent)' }),
  serviceEnvironment: optionalText({ valueName: 'env', description: 'managed-service mode: environment name, e.g. prod' }),
  serviceToken: optionalText({ valueName: 'token', secret: true, description: 'managed-service mode: bearer token (prefer the env variable)' }),
  interval: duration({ minMs: 1000, maxMs: MAX_EXPORT_INTERVAL_MS, valueName: 'duration', default: '5m', description: 'time between export runs, e.g. 30s, 5m (at most 1h)' }),
  exportMode: text({ check: checkExportMode, valueName: 'mode', default: 'all', description: 'all, disabled (send nothing) or prefix:FEATURE_PREFIX (other queued events are set aside); applies to events already queued' }),
  timeout: duration({ minMs: 1, valueName: 'duration', default: '30s', description: 'deadline of connecting and of each export call; a run that hits it fails and is retried with back-off' }),
  shutdownTimeout: duration({ valueName: 'duration', default: '10s', description: 'on SIGTERM/SIGINT, how long the last flush may take before it is cancelled (then exit 0)' }),
  batchSize: integer({ min: 1, valueName: 'n', default: 10_000, description: 'events per stream' }),
  concurrentBatches: integer({ valueName: 'n', default: 2, description: 'streams in flight at once while a backlog drains' }),
  retention: duration({ valueName: 'duration', default: '24h', description: 'how long exported events are kept for inspection' }),
  insecure: boolean({ default: false, description: 'allow plaintext (http://) to the gateway' }),
  ca: optionalText({ valueName: 'file', defaultText: 'the system roots', description: 'PEM CA bundle to verify the gateway with' }),
  cert: optionalText({ valueName: 'file', description: 'PEM client certificate for mutual TLS (with --key)' }),
  key: optionalText({ valueName: 'file', description: 'PEM client key for mutual TLS (with --cert)' }),
  metricsListen: optionalText({ check: checkHostPort, valueName: 'host:port', description: 'serve Prometheus /metrics for the exporter here' }),
  logLevel: oneOf(LOG_LEVELS, { valueName: 'level', default: 'info', description: 'log level (JSON logs on stderr)' }),

});

export type ExportSettings = z.output<typeof EXPORT_SCHEMA>;

export interface ExportConfig {
  target: string;
  queue: string;
  identity: ExporterIdentity;
  intervalMs: number;
  exportMode: ExportMode;
  timeoutMs: number;
  shutdownTimeoutMs: number;
  batchSize: number;
  concurrentBatches: number;
  retentionMs: number;
  tls: { kind: 'tls'; rootCerts?: Buffer; clientCert?: { cert: Buffer; key: Buffer } } | { kind: 'plaintext' };
  metricsListen: string | undefined;
  logLevel: ExportSettings['logLevel'];
}

export function buildExportConfig(settings: ExportSettings): ExportConfig {
  const { gateway, cert, key, ca } = settings;
  if (!gateway) throw new Error('--gateway is required (e.g. --gateway https://telemetry.example.com; or TELEMETRY_GATEWAY_EXPORT_GATEWAY, or gateway: in the export: section of --config)');
  const { target, plaintext } = parseGatewayUrl(gateway);
  if (plaintext && !settings.insecure) throw new Error(`refusing plaintext to ${gateway}: pass --insecure to allow it, or use https://`);
  if ((cert === undefined) !== (key === undefined)) throw new Error('--cert and --key go together');
  return {
    target,
    queue: settings.queue,
    identity: toIdentity(settings),
    intervalMs: settings.interval,
    exportMode: parseExportMode(settings.exportMode),
    timeoutMs: settings.timeout,
    shutdownTimeoutMs: settings.shutdownTimeout,
    batchSize: settings.batchSize,
    concurrentBatches: Math.max(1, settings.concurrentBatches),
    retentionMs: settings.retention,
    tls: plaintext
      ? { kind: 'plaintext' }
      : {
          kind: 'tls',
          rootCerts: ca === undefined ? undefined : readPem(ca, '--ca', 'CERTIFICATE'),
          clientCert: cert === undefined || key === undefined ? undefined : { cert: readPem(cert, '--cert', 'CERTIFICATE'), key: readPem(key, '--key', 'PRIVATE KEY') },
        },
    metricsListen: settings.metricsListen,
    logLevel: settings.logLevel,
  };
}

/** Reads a PEM file and checks it holds what the flag needs, so a wrong file fails here and not in TLS later. */
function readPem(path: string, flag: string, label: 'CERTIFICATE' | 'PRIVATE KEY'): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new Error(`${flag} ${path}: cannot read it (${readErrorCode(error)})`);
  }
  const pattern = label === 'CERTIFICATE' ? /-----BEGIN CERTIFICATE-----/ : /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;
  if (!pattern.test(bytes.toString('latin1'))) {
    throw new Error(`${flag} ${path}: not a PEM file with a ${label.toLowerCase()} (expected a "-----BEGIN ${label}-----" block; DER files must be converted to PEM)`);
  }
  return bytes;
}

function toIdentity(settings: ExportSettings): ExporterIdentity {
  const { externalUrl, instanceId, licenseKey, serviceId, serviceToken } = settings;
  if (serviceId !== undefined) {
    if (!serviceToken) throw new Error('--service-id needs --service-token (or TELEMETRY_GATEWAY_EXPORT_SERVICE_TOKEN)');
    if (licenseKey !== undefined) throw new Error('give either --service-id or --license-key, not both');
    return { kind: 'managed_service', serviceId, serviceEnvironment: settings.serviceEnvironment, token: serviceToken };
  }
  if (licenseKey !== undefined) return { kind: 'licensed', licenseKey, instanceId: instanceId ?? '', externalUrl };
  if (!instanceId) throw new Error('give --license-key, --instance-id (unlicensed) or --service-id (managed service)');
  return { kind: 'unlicensed', instanceId, externalUrl };
}

/** @deprecated for tests written against the old settings list. */
export const RECORD_SETTINGS: readonly Setting[] = describeLegacySettings(RECORD_SCHEMA);

/** Parses camelCase values through the schema, then builds the config (for tests and embedding). */
export function toRecordConfig(values: SettingValues): RecordConfig {
  return buildRecordConfig(parseSettings(RECORD_SCHEMA, values, (key) => `--${flagName(key)}`));
}
