import { z } from 'zod';
import { parseAllowlistEntry } from '../core/privacy/allowlist.js';
import { parseTrustedSource } from '../core/privacy/gateway-privacy.js';
import { formatAllowlistEntry, parseAllowlistLine } from '../exporter/allowlist-text.js';
import { readAllowlistFile } from './allowlist-file.js';
import { parseSettings } from './parse-settings.js';
import { boolean, duration, flagName, integer, list, oneOf, optionalText, text } from './setting.js';
import { describeLegacySettings, type Setting, type SettingValues } from './settings-compat.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Every `serve` setting: flags, env variables (TELEMETRY_GATEWAY_SERVE_*), the
 * `serve:` section of a config file and help are derived from this object.
 */
export const SERVE_SCHEMA = z.object({
  listen: text({ check: checkHostPort, valueName: 'host:port', default: '127.0.0.1:10080', description: 'address for gRPC and HTTP (one port, protocol detected per connection)' }),
  store: text({ valueName: 'url', default: 'sqlite:./data/telemetry.db', description: 'where events are written: sqlite:PATH, postgres://..., nats://..., memory:, or a comma-separated list of them (fan-out: acknowledged once all have it)' }),
  licensePublicKey: list({ defaultText: 'none', valueName: 'file', description: 'vendor public key file (OpenSSH authorized_keys lines) that license keys must verify against; repeatable, or comma-separated' }),
  rejectExpiredLicenses: boolean({ default: false, description: 'refuse licensed instances whose license has expired' }),
  revokedLicenses: optionalText({ valueName: 'file', description: 'file of revoked license signature digests (as `license inspect` prints signatureSha256), one per line' }),
  unlicensed: oneOf(['allow', 'deny'], { valueName: 'policy', default: 'allow', description: 'accept events from unlicensed instances' }),
  serviceTokens: optionalText({ valueName: 'file', description: 'JSON file of managed-service tokens: [{"name","sha256","scopes"}] (see `token create`)' }),
  diagnosticsSecret: optionalText({ valueName: 'secret', secret: true, description: 'bearer secret required by /-/healthz' }),
  privacyEnforcement: oneOf(['on', 'off'], { valueName: 'on|off', default: 'on', description: 'strip non-allowlisted private_metadata and marketing_tracking from instance events before storing them' }),
  privacyAllowlist: list({ defaultText: 'none', valueName: 'entry', description: 'private_metadata keys instances may send: feature::action::key1[::key2...] (action may be *); repeatable, or comma-separated' }),
  privacyAllowlistFile: optionalText({ valueName: 'file', description: 'allowlist entries, one per line (# comments), added to --privacy-allowlist: the same file exporters read with --allowlist-file' }),
  trustedSources: list({ defaultText: 'none', check: parseTrustedSource, valueName: 'entry', description: 'verified senders exempt from privacy enforcement, the only instances whose marketing_tracking is kept: license:<signatureSha256> (as `license inspect` prints it), tag:<license tag>, service:<token name>; instance ids and URLs are self-declared and refused' }),
  tlsCert: optionalText({ valueName: 'file', description: 'PEM certificate (chain) for TLS on the listening port (with --tls-key; reloaded on SIGHUP)' }),
  tlsKey: optionalText({ valueName: 'file', description: 'PEM private key for --tls-cert' }),
  tlsClientCa: optionalText({ valueName: 'file', description: 'PEM CA: require client certificates it signed (mutual TLS; needs --tls-cert)' }),
  maxMessageBytes: integer({ min: 1024, valueName: 'n', default: 16 * 1024 * 1024, description: 'largest gRPC message accepted or sent' }),
  maxInFlightPayloads: integer({ min: 1, valueName: 'n', default: 8, description: 'payloads of one stream written at once; reading pauses beyond it' }),
  maxStreams: integer({ min: 1, valueName: 'n', default: 1000, description: 'identified calls open at once across all connections; more are refused with RESOURCE_EXHAUSTED' }),
  maxUnidentifiedStreams: integer({ min: 1, valueName: 'n', default: 100, description: 'calls open at once that have not sent their metadata yet (a budget of their own, so they cannot take the slots of identified instances)' }),
  maxStreamsPerSource: integer({ min: 1, valueName: 'n', default: 64, description: 'identified calls open at once per instance, license or service' }),
  identifyTimeoutMs: integer({ defaultText: '10000 (10 s)', valueName: 'ms', default: 10_000, description: 'a stream must send its metadata within this long or ends DEADLINE_EXCEEDED (0: no limit)' }),
  memoryBudgetBytes: integer({ min: 1024 * 1024, valueName: 'n', default: 128 * 1024 * 1024, description: 'request bytes read and not yet answered, all streams together; reading pauses beyond it (HTTP/2 flow control holds clients)' }),
  maxStreamsPerConnection: integer({ min: 1, valueName: 'n', default: 100, description: 'calls one HTTP/2 connection may have open (SETTINGS_MAX_CONCURRENT_STREAMS)' }),
  streamIdleTimeoutMs: integer({ valueName: 'ms', default: 120_000, description: 'a stream that sends nothing for this long is ended DEADLINE_EXCEEDED (0: never)' }),
  maxConnectionAgeMs: integer({ valueName: 'ms', default: 1_800_000, description: 'close connections after about this long (+/-10% jitter) so clients rebalance across replicas (0: never)' }),
  maxConnectionAgeGraceMs: integer({ valueName: 'ms', default: 300_000, description: 'time open calls get after a connection reaches its maximum age' }),
  keepaliveTimeMs: integer({ valueName: 'ms', default: 60_000, description: 'ping idle connections this often to detect dead peers' }),
  keepaliveTimeoutMs: integer({ valueName: 'ms', default: 20_000, description: 'drop a connection whose ping is not answered within this time' }),
  rateLimit: integer({ defaultText: '0 (unlimited)', valueName: 'events-per-second', default: 0, description: 'events per second per source (instance, license or service); the excess is not acknowledged, so exporters retry later; on a postgres:// store shared by the replicas on its schema (approximately), else per replica (0: unlimited)' }),
  rateLimitBurst: integer({ valueName: 'n', default: 0, defaultText: '10 s of --rate-limit, at least 10000 (0 means the same)', description: 'events a source may send at once above its rate' }),
  dailyQuota: integer({ defaultText: '0 (unlimited)', valueName: 'events', default: 0, description: 'events per source per UTC day; beyond it nothing is acknowledged until the next day; on a postgres:// store shared by the replicas on its schema (approximately), else per replica (0: unlimited)' }),
  retention: duration({ valueName: 'duration', default: '0s', defaultText: '0s (keep everything)', description: 'keep events this long by event time, e.g. 30d or 2160h; older ones are deleted in the background (SQLite: batched deletes and incremental vacuum; PostgreSQL: daily partitions dropped whole; rejected events by received time). NATS streams: the max_age_s store parameter' }),
  shutdownTimeoutMs: integer({ valueName: 'ms', default: 30_000, description: 'on SIGTERM/SIGINT, how long in-flight calls may take before they are cut' }),
  dashboard: oneOf(['on', 'off'], { valueName: 'on|off', default: 'on', description: 'serve the operator dashboard (/) and its JSON API (/api/...) on the HTTP side, behind the diagnostics secret when one is set' }),
  maxConnections: integer({ valueName: 'n', default: 4000, description: 'connections open at once, gRPC and HTTP together; more are closed as they arrive (keep it under the process\'s open-file limit; 0: no limit)' }),
  maxConnectionsPerClient: integer({ valueName: 'n', default: 100, description: 'connections open at once from one client address (IPv6: one /64); raise it behind a proxy that does not keep client addresses (0: no limit)' }),
  handshakeTimeoutMs: integer({ min: 100, valueName: 'ms', default: 10_000, description: 'time a new connection has to finish TLS and send its first bytes; an HTTP/2 client, to send its SETTINGS' }),
  httpHeadersTimeoutMs: integer({ min: 100, valueName: 'ms', default: 10_000, description: 'HTTP/1.1: time to complete a request\'s headers, and the longest an idle keep-alive connection stays open' }),
  httpRequestTimeoutMs: integer({ min: 100, valueName: 'ms', default: 30_000, description: 'HTTP/1.1: time to deliver a request body once its headers are in' }),
  maxConnectionIdleMs: integer({ valueName: 'ms', default: 300_000, description: 'HTTP/2: close a connection with no call open for this long (0: never)' }),
  maxMetadataBytes: integer({ min: 1024, valueName: 'n', default: 16 * 1024, description: 'largest gRPC request metadata (headers) accepted, advertised to clients; larger calls end RESOURCE_EXHAUSTED' }),
  allowedHosts: list({ valueName: 'name', defaultText: 'the --listen host and localhost', description: 'Host header names the HTTP side answers (DNS-rebinding defence); IP addresses always pass; * allows any' }),
  metricsPublic: boolean({ default: false, description: 'serve /metrics without the diagnostics secret (it always needs it when one is set otherwise)' }),
  dashboardSessionTtlMs: integer({ min: 100, valueName: 'ms', default: 12 * 3600 * 1000, description: 'how long a dashboard sign-in lasts' }),
  logLevel: oneOf(LOG_LEVELS, { valueName: 'level', default: 'info', description: 'log level (JSON logs on stderr)' }),
});

/** The settings `serve` resolved, one typed field per setting. */
export type ServeSettings = z.output<typeof SERVE_SCHEMA>;

/** Settings that name files are resolved into what the gateway needs; the rest pass through unchanged. */
type FileSettings = 'licensePublicKey' | 'revokedLicenses' | 'serviceTokens' | 'privacyAllowlistFile' | 'tlsCert' | 'tlsKey' | 'tlsClientCa';

/** Everything `serve` needs: the settings, with files named and the allowlist merged. */
export type GatewayConfig = Omit<ServeSettings, FileSettings> & {
  /** Files of OpenSSH public keys (authorized_keys lines) that license keys must be signed by. */
  licensePublicKeyFiles: string[];
  /** File of revoked license signature digests (hex SHA-256, one per line, # comments). */
  revokedLicensesFile: string | undefined;
  /** JSON file of managed-service tokens: [{"name", "sha256", "scopes"}]. */
  serviceTokensFile: string | undefined;
  /** Certificate and key files (PEM) for TLS on the listening port; plaintext when undefined. */
  tls: { certFile: string; keyFile: string; clientCaFile?: string } | undefined;
};

/** Turns resolved settings into the gateway's config, reading the allowlist file and checking what crosses settings. */
export function buildGatewayConfig(settings: ServeSettings): GatewayConfig {
  const { licensePublicKey, revokedLicenses, serviceTokens, privacyAllowlistFile, tlsCert, tlsKey, tlsClientCa, privacyAllowlist, ...rest } = settings;
  const config: GatewayConfig = {
    ...rest,
    licensePublicKeyFiles: licensePublicKey,
    revokedLicensesFile: revokedLicenses,
    serviceTokensFile: serviceTokens,
    privacyAllowlist: [
      // Normalised like the exporter's: "search::submitted:: repo" means the key "repo".
      ...privacyAllowlist.map((entry) => formatAllowlistEntry(parseAllowlistLine(entry, `--privacy-allowlist "${entry}"`))),
      ...readAllowlistFile(privacyAllowlistFile, '--privacy-allowlist-file').map(formatAllowlistEntry),
    ],
    tls: tlsFiles(tlsCert, tlsKey, tlsClientCa),
  };
  config.privacyAllowlist.forEach((entry) => parseAllowlistEntry(entry));
  return config;
}

function tlsFiles(certFile: string | undefined, keyFile: string | undefined, clientCaFile: string | undefined): GatewayConfig['tls'] {
  if ((certFile === undefined) !== (keyFile === undefined)) throw new Error('--tls-cert and --tls-key go together');
  if (certFile === undefined || keyFile === undefined) {
    if (clientCaFile !== undefined) throw new Error('--tls-client-ca needs --tls-cert and --tls-key');
    return undefined;
  }
  return { certFile, keyFile, clientCaFile };
}

/** Defaults for programmatic use (tests, embedding); overrides are used unchecked. */
export function defaultGatewayConfig(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  return { ...buildGatewayConfig(SERVE_SCHEMA.parse({})), ...overrides };
}

/** @deprecated for tests written against the old settings list: the serve settings in flag/default records. */
export const GATEWAY_SETTINGS: readonly Setting[] = describeLegacySettings(SERVE_SCHEMA);

/** Parses camelCase values (as `resolveSettings` once returned) through the schema, then builds the config. */
export function toGatewayConfig(values: SettingValues): GatewayConfig {
  return buildGatewayConfig(parseSettings(SERVE_SCHEMA, values, (key) => `--${flagName(key)}`));
}

function checkHostPort(address: string): void {
  parseHostPort(address);
}

export function parseHostPort(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(address);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new Error(`invalid address "${address}": expected HOST:PORT, e.g. 127.0.0.1:10080`);
  return { host: match[1] ?? match[2] ?? '', port };
}
