import { readFileSync } from 'node:fs';
import type { AllowlistEntry } from '../core/privacy/allowlist.js';
import { parseAllowlistLine } from '../exporter/allowlist-text.js';
import { readAllowlistFile } from './allowlist-file.js';
import type { ExporterIdentity } from '../exporter/exporter-identity.js';
import { MAX_EXPORT_INTERVAL_MS } from '../exporter/export-loop.js';
import { parseExportMode, type ExportMode } from '../exporter/export-mode.js';
import { parseGatewayUrl } from '../exporter/gateway-url.js';

export { parseGatewayUrl } from '../exporter/gateway-url.js';
import type { QueueLimits } from '../exporter/queue.js';
import { parseDurationMs } from './duration.js';
import { parseHostPort } from './gateway-config.js';
import type { Setting, SettingValues } from './settings.js';

export const QUEUE_SETTING: Setting = { flag: 'queue', kind: 'string', valueName: 'url', defaultValue: 'sqlite:./data/queue.db', description: 'the durable export queue: sqlite:PATH, or postgres://... when several processes record' };

/** Settings shared by everything that records: they decide what may leave the instance. */
export const RECORD_SETTINGS: readonly Setting[] = [
  QUEUE_SETTING,
  { flag: 'allowlist', kind: 'list', valueName: 'entry', defaultValue: [], description: 'private_metadata keys that may leave: feature::action::key1[::key2...] (action may be *); repeatable, or comma-separated' },
  { flag: 'allowlist-file', kind: 'string', valueName: 'file', description: 'allowlist entries, one per line (# comments): the same file the gateway reads with --privacy-allowlist-file' },
  { flag: 'redaction', kind: 'string', valueName: 'mode', defaultValue: 'default', choices: ['default', 'public-service'], description: 'public-service keeps everything (only for the vendor\'s own hosted instance)' },
  { flag: 'export-mode', kind: 'string', valueName: 'mode', defaultValue: 'all', description: 'all, disabled (nothing is queued) or prefix:FEATURE_PREFIX' },
  { flag: 'server-version', kind: 'string', valueName: 'version', defaultValue: '0.0.0', description: 'source.server.version of recorded events' },
  { flag: 'legacy-metadata', kind: 'boolean', defaultValue: false, description: 'send integer metadata as int64 legacy_metadata, like instances before late 2023' },
  { flag: 'max-event-bytes', kind: 'integer', valueName: 'n', defaultValue: 1024 * 1024, description: 'refuse to record an event larger than this, encoded' },
  { flag: 'max-queue-events', kind: 'integer', valueName: 'n', defaultValue: 0, description: 'refuse new events while this many are pending (0: no limit); queued events are never dropped' },
  { flag: 'max-queue-bytes', kind: 'integer', valueName: 'n', defaultValue: 1024 * 1024 * 1024, description: 'refuse new events while pending events take this many bytes (0: no limit)' },
];

export interface RecordConfig {
  queue: string;
  allowlist: AllowlistEntry[];
  redaction: 'default' | 'public-service';
  exportMode: ExportMode;
  serverVersion: string;
  legacyMetadata: boolean;
  maxEventBytes: number;
  queueLimits: QueueLimits;
}

export function toRecordConfig(values: SettingValues): RecordConfig {
  return {
    queue: values.queue as string,
    allowlist: [
      ...((values.allowlist as string[] | undefined) ?? []).flatMap((value) => value.split(',')).filter((e) => e.trim() !== '').map((e) => parseAllowlistLine(e)),
      ...readAllowlistFile(values.allowlistFile as string | undefined),
    ],
    redaction: values.redaction as 'default' | 'public-service',
    exportMode: parseExportMode(values.exportMode as string),
    serverVersion: values.serverVersion as string,
    legacyMetadata: values.legacyMetadata as boolean,
    maxEventBytes: positive(values.maxEventBytes as number, '--max-event-bytes'),
    queueLimits: {
      maxPendingEvents: limit(values.maxQueueEvents as number, '--max-queue-events'),
      maxPendingBytes: limit(values.maxQueueBytes as number, '--max-queue-bytes'),
    },
  };
}

function positive(n: number, flag: string): number {
  if (!(n > 0)) throw new Error(`${flag} must be more than 0, got ${n}`);
  return n;
}

/** 0 means no limit. */
function limit(n: number, flag: string): number | undefined {
  if (n < 0) throw new Error(`${flag} must be 0 (no limit) or more, got ${n}`);
  return n === 0 ? undefined : n;
}

export const EXPORT_SETTINGS: readonly Setting[] = [
  { flag: 'gateway', kind: 'string', valueName: 'url', description: 'the gateway: https://HOST[:PORT] or HOST:PORT (TLS), or http://HOST:PORT with --insecure (required)' },
  QUEUE_SETTING,
  { flag: 'license-key', kind: 'string', valueName: 'key', secret: true, description: 'license key of this instance (prefer the env variable: flags show in ps)' },
  { flag: 'instance-id', kind: 'string', valueName: 'id', description: 'instance id (required when unlicensed)' },
  { flag: 'external-url', kind: 'string', valueName: 'url', defaultValue: '', description: 'the instance\'s external URL' },
  { flag: 'service-id', kind: 'string', valueName: 'id', description: 'managed-service mode: the service id (events go by unary RecordEvent)' },
  { flag: 'service-environment', kind: 'string', valueName: 'env', description: 'managed-service mode: environment name, e.g. prod' },
  { flag: 'service-token', kind: 'string', valueName: 'token', secret: true, description: 'managed-service mode: bearer token (prefer the env variable)' },
  { flag: 'interval', kind: 'string', valueName: 'duration', defaultValue: '5m', description: 'time between export runs, e.g. 30s, 5m (at most 1h)' },
  { flag: 'export-mode', kind: 'string', valueName: 'mode', defaultValue: 'all', description: 'all, disabled (send nothing) or prefix:FEATURE_PREFIX (other queued events are set aside); applies to events already queued' },
  { flag: 'timeout', kind: 'string', valueName: 'duration', defaultValue: '30s', description: 'deadline of connecting and of each export call; a run that hits it fails and is retried with back-off' },
  { flag: 'shutdown-timeout', kind: 'string', valueName: 'duration', defaultValue: '10s', description: 'on SIGTERM/SIGINT, how long the last flush may take before it is cancelled (then exit 0)' },
  { flag: 'batch-size', kind: 'integer', valueName: 'n', defaultValue: 10_000, description: 'events per stream' },
  { flag: 'concurrent-batches', kind: 'integer', valueName: 'n', defaultValue: 2, description: 'streams in flight at once while a backlog drains' },
  { flag: 'retention', kind: 'string', valueName: 'duration', defaultValue: '24h', description: 'how long exported events are kept for inspection' },
  { flag: 'insecure', kind: 'boolean', defaultValue: false, description: 'allow plaintext (http://) to the gateway' },
  { flag: 'ca', kind: 'string', valueName: 'file', description: 'PEM CA bundle to verify the gateway with (default: system roots)' },
  { flag: 'cert', kind: 'string', valueName: 'file', description: 'PEM client certificate for mutual TLS (with --key)' },
  { flag: 'key', kind: 'string', valueName: 'file', description: 'PEM client key for mutual TLS (with --cert)' },
  { flag: 'metrics-listen', kind: 'string', valueName: 'host:port', description: 'serve Prometheus /metrics for the exporter here' },
  { flag: 'log-level', kind: 'string', valueName: 'level', defaultValue: 'info', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], description: 'log level (JSON logs on stderr)' },
];

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
  logLevel: string;
}

export function toExportConfig(values: SettingValues): ExportConfig {
  const gateway = values.gateway as string | undefined;
  if (!gateway) throw new Error('--gateway is required (e.g. --gateway https://telemetry.example.com)');
  const { target, plaintext } = parseGatewayUrl(gateway);
  if (plaintext && !values.insecure) throw new Error(`refusing plaintext to ${gateway}: pass --insecure to allow it, or use https://`);
  const intervalMs = parseDurationMs(values.interval as string, '--interval');
  if (intervalMs < 1000 || intervalMs > MAX_EXPORT_INTERVAL_MS) throw new Error(`--interval must be between 1s and 1h, got ${values.interval as string}`);
  const batchSize = values.batchSize as number;
  if (batchSize < 1) throw new Error('--batch-size must be at least 1');
  const cert = values.cert as string | undefined;
  const key = values.key as string | undefined;
  if ((cert === undefined) !== (key === undefined)) throw new Error('--cert and --key go together');
  const ca = values.ca as string | undefined;
  const timeoutMs = parseDurationMs(values.timeout as string, '--timeout');
  if (timeoutMs < 1) throw new Error(`--timeout must be more than 0, got ${values.timeout as string}`);
  const metricsListen = values.metricsListen as string | undefined;
  if (metricsListen !== undefined) parseHostPort(metricsListen);
  return {
    target,
    queue: values.queue as string,
    identity: toIdentity(values),
    intervalMs,
    exportMode: parseExportMode(values.exportMode as string),
    timeoutMs,
    shutdownTimeoutMs: parseDurationMs(values.shutdownTimeout as string, '--shutdown-timeout'),
    batchSize,
    concurrentBatches: Math.max(1, values.concurrentBatches as number),
    retentionMs: parseDurationMs(values.retention as string, '--retention'),
    tls: plaintext
      ? { kind: 'plaintext' }
      : {
          kind: 'tls',
          rootCerts: ca === undefined ? undefined : readPem(ca, '--ca', 'CERTIFICATE'),
          clientCert: cert === undefined || key === undefined ? undefined : { cert: readPem(cert, '--cert', 'CERTIFICATE'), key: readPem(key, '--key', 'PRIVATE KEY') },
        },
    metricsListen,
    logLevel: values.logLevel as string,
  };
}

/** Reads a PEM file and checks it holds what the flag needs, so a wrong file fails here and not as a TLS error later. */
function readPem(path: string, flag: string, label: 'CERTIFICATE' | 'PRIVATE KEY'): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new Error(`${flag} ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const pattern = label === 'CERTIFICATE' ? /-----BEGIN CERTIFICATE-----/ : /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;
  if (!pattern.test(bytes.toString('latin1'))) {
    throw new Error(`${flag} ${path}: not a PEM file with a ${label.toLowerCase()} (expected a "-----BEGIN ${label}-----" block; DER files must be converted to PEM)`);
  }
  return bytes;
}

function toIdentity(values: SettingValues): ExporterIdentity {
  const externalUrl = (values.externalUrl as string | undefined) ?? '';
  const instanceId = values.instanceId as string | undefined;
  const licenseKey = values.licenseKey as string | undefined;
  const serviceId = values.serviceId as string | undefined;
  if (serviceId !== undefined) {
    const token = values.serviceToken as string | undefined;
    if (!token) throw new Error('--service-id needs --service-token (or TELEMETRY_GATEWAY_SERVICE_TOKEN)');
    if (licenseKey !== undefined) throw new Error('give either --service-id or --license-key, not both');
    return { kind: 'managed-service', serviceId, serviceEnvironment: values.serviceEnvironment as string | undefined, token };
  }
  if (licenseKey !== undefined) return { kind: 'licensed', licenseKey, instanceId: instanceId ?? '', externalUrl };
  if (!instanceId) throw new Error('give --license-key, --instance-id (unlicensed) or --service-id (managed service)');
  return { kind: 'unlicensed', instanceId, externalUrl };
}
