import { parseAllowlistEntry } from '../core/privacy/allowlist.js';
import { parseTrustedSource } from '../core/privacy/gateway-privacy.js';
import { formatAllowlistEntry, parseAllowlistLine } from '../exporter/allowlist-text.js';
import { readAllowlistFile } from './allowlist-file.js';
import type { Setting, SettingValues } from './settings.js';

/** Everything `serve` needs, after flags, environment and config file are resolved. */
export interface GatewayConfig {
  /** HOST:PORT for gRPC and HTTP together (the protocol is detected per connection). */
  listen: string;
  /** Store URL, e.g. sqlite:./data/telemetry.db. */
  store: string;
  /** Files of OpenSSH public keys (authorized_keys lines) that license keys must be signed by. */
  licensePublicKeyFiles: string[];
  rejectExpiredLicenses: boolean;
  /** File of revoked license signature digests (hex SHA-256, one per line, # comments). */
  revokedLicensesFile: string | undefined;
  unlicensed: 'allow' | 'deny';
  /** JSON file of managed-service tokens: [{"name", "sha256", "scopes"}]. */
  serviceTokensFile: string | undefined;
  diagnosticsSecret: string | undefined;
  /** Apply the private_metadata allowlist and marketing rule to events from instances. */
  privacyEnforcement: 'on' | 'off';
  /** `feature::action::key1::key2` entries (action may be `*`), checked at start. */
  privacyAllowlist: string[];
  /** Verified senders whose events are kept whole: license:<signatureSha256>, tag:<license tag>, service:<token name>. */
  trustedSources: string[];
  /** Certificate and key files (PEM) for TLS on the listening port; plaintext when undefined. */
  tls: { certFile: string; keyFile: string; clientCaFile?: string } | undefined;
  maxMessageBytes: number;
  maxInFlightPayloads: number;
  /** RecordEvents/RecordEvent calls open at once, gateway-wide. */
  maxStreams: number;
  maxUnidentifiedStreams: number;
  maxStreamsPerSource: number;
  identifyTimeoutMs: number;
  memoryBudgetBytes: number;
  maxStreamsPerConnection: number;
  streamIdleTimeoutMs: number;
  maxConnectionAgeMs: number;
  maxConnectionAgeGraceMs: number;
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  /** Events per second per source (token bucket); 0: unlimited. */
  rateLimit: number;
  rateLimitBurst: number;
  /** Events per source per UTC day; 0: unlimited. */
  dailyQuota: number;
  shutdownTimeoutMs: number;
  logLevel: string;
  /** The operator dashboard and its /api/... on the HTTP side. */
  dashboard: 'on' | 'off';
  /** Connections open at once, every protocol together (0: no limit). */
  maxConnections: number;
  /** Connections open at once from one client address, IPv6 by /64 (0: no limit). */
  maxConnectionsPerClient: number;
  /** Time a new connection has to finish TLS and show its protocol; HTTP/2 clients to send SETTINGS. */
  handshakeTimeoutMs: number;
  /** HTTP/1.1: time to complete a request's headers (also the keep-alive idle limit). */
  httpHeadersTimeoutMs: number;
  /** HTTP/1.1: time to deliver a request body once the headers are in. */
  httpRequestTimeoutMs: number;
  /** HTTP/2: a connection with no call open this long is closed (0: never). */
  maxConnectionIdleMs: number;
  /** Largest gRPC request metadata (header list), advertised in SETTINGS_MAX_HEADER_LIST_SIZE. */
  maxMetadataBytes: number;
  /** Host header values (names) the HTTP side answers; empty: the --listen host and localhost. IP literals always pass. */
  allowedHosts: string[];
  /** Serve /metrics without the diagnostics secret. */
  metricsPublic: boolean;
  /** How long a dashboard sign-in lasts. */
  dashboardSessionTtlMs: number;
}

export const GATEWAY_SETTINGS: readonly Setting[] = [
  { flag: 'listen', kind: 'string', valueName: 'host:port', defaultValue: '127.0.0.1:10080', description: 'address for gRPC and HTTP (one port, protocol detected per connection)' },
  { flag: 'store', kind: 'string', valueName: 'url', defaultValue: 'sqlite:./data/telemetry.db', description: 'where events are written: sqlite:PATH, postgres://..., nats://..., memory:, or a comma-separated list of them (fan-out: acknowledged once all have it)' },
  { flag: 'license-public-key', kind: 'list', valueName: 'file', defaultValue: [], description: 'vendor public key file (OpenSSH authorized_keys lines) that license keys must verify against; repeatable, or comma-separated' },
  { flag: 'reject-expired-licenses', kind: 'boolean', defaultValue: false, description: 'refuse licensed instances whose license has expired' },
  { flag: 'revoked-licenses', kind: 'string', valueName: 'file', description: 'file of revoked license signature digests (as `license inspect` prints signatureSha256), one per line' },
  { flag: 'unlicensed', kind: 'string', valueName: 'policy', defaultValue: 'allow', choices: ['allow', 'deny'], description: 'accept events from unlicensed instances' },
  { flag: 'service-tokens', kind: 'string', valueName: 'file', description: 'JSON file of managed-service tokens: [{"name","sha256","scopes"}] (see `token create`)' },
  { flag: 'diagnostics-secret', kind: 'string', valueName: 'secret', secret: true, description: 'bearer secret required by /-/healthz' },
  { flag: 'privacy-enforcement', kind: 'string', valueName: 'on|off', defaultValue: 'on', choices: ['on', 'off'], description: 'strip non-allowlisted private_metadata and marketing_tracking from instance events before storing them' },
  { flag: 'privacy-allowlist', kind: 'list', valueName: 'entry', defaultValue: [], description: 'private_metadata keys instances may send: feature::action::key1[::key2...] (action may be *); repeatable, or comma-separated' },
  { flag: 'privacy-allowlist-file', kind: 'string', valueName: 'file', description: 'allowlist entries, one per line (# comments), added to --privacy-allowlist: the same file exporters read with --allowlist-file' },
  { flag: 'trusted-sources', kind: 'list', valueName: 'entry', defaultValue: [], description: 'verified senders exempt from privacy enforcement, the only instances whose marketing_tracking is kept: license:<signatureSha256> (as `license inspect` prints it), tag:<license tag>, service:<token name>; instance ids and URLs are self-declared and refused' },
  { flag: 'tls-cert', kind: 'string', valueName: 'file', description: 'PEM certificate (chain) for TLS on the listening port (with --tls-key; reloaded on SIGHUP)' },
  { flag: 'tls-key', kind: 'string', valueName: 'file', description: 'PEM private key for --tls-cert' },
  { flag: 'tls-client-ca', kind: 'string', valueName: 'file', description: 'PEM CA: require client certificates it signed (mutual TLS; needs --tls-cert)' },
  { flag: 'max-message-bytes', kind: 'integer', valueName: 'n', defaultValue: 16 * 1024 * 1024, description: 'largest gRPC message accepted or sent' },
  { flag: 'max-in-flight-payloads', kind: 'integer', valueName: 'n', defaultValue: 8, description: 'payloads of one stream written at once; reading pauses beyond it' },
  { flag: 'max-streams', kind: 'integer', valueName: 'n', defaultValue: 1000, description: 'identified calls open at once across all connections; more are refused with RESOURCE_EXHAUSTED' },
  { flag: 'max-unidentified-streams', kind: 'integer', valueName: 'n', defaultValue: 100, description: 'calls open at once that have not sent their metadata yet (a budget of their own, so they cannot take the slots of identified instances)' },
  { flag: 'max-streams-per-source', kind: 'integer', valueName: 'n', defaultValue: 64, description: 'identified calls open at once per instance, license or service' },
  { flag: 'identify-timeout-ms', kind: 'integer', valueName: 'ms', defaultValue: 10_000, description: 'a stream must send its metadata within this long or ends DEADLINE_EXCEEDED (0: no limit)' },
  { flag: 'memory-budget-bytes', kind: 'integer', valueName: 'n', defaultValue: 128 * 1024 * 1024, description: 'request bytes read and not yet answered, all streams together; reading pauses beyond it (HTTP/2 flow control holds clients)' },
  { flag: 'max-streams-per-connection', kind: 'integer', valueName: 'n', defaultValue: 100, description: 'calls one HTTP/2 connection may have open (SETTINGS_MAX_CONCURRENT_STREAMS)' },
  { flag: 'stream-idle-timeout-ms', kind: 'integer', valueName: 'ms', defaultValue: 120_000, description: 'a stream that sends nothing for this long is ended DEADLINE_EXCEEDED (0: never)' },
  { flag: 'max-connection-age-ms', kind: 'integer', valueName: 'ms', defaultValue: 1_800_000, description: 'close connections after about this long (+/-10% jitter) so clients rebalance across replicas (0: never)' },
  { flag: 'max-connection-age-grace-ms', kind: 'integer', valueName: 'ms', defaultValue: 300_000, description: 'time open calls get after a connection reaches its maximum age' },
  { flag: 'keepalive-time-ms', kind: 'integer', valueName: 'ms', defaultValue: 60_000, description: 'ping idle connections this often to detect dead peers' },
  { flag: 'keepalive-timeout-ms', kind: 'integer', valueName: 'ms', defaultValue: 20_000, description: 'drop a connection whose ping is not answered within this time' },
  { flag: 'rate-limit', kind: 'integer', valueName: 'events-per-second', defaultValue: 0, description: 'events per second per source (instance, license or service); the excess is not acknowledged, so exporters retry later (0: unlimited)' },
  { flag: 'rate-limit-burst', kind: 'integer', valueName: 'n', defaultValue: 0, description: 'events a source may send at once above its rate (default: 10 seconds\' worth, at least 10,000)' },
  { flag: 'daily-quota', kind: 'integer', valueName: 'events', defaultValue: 0, description: 'events per source per UTC day; beyond it nothing is acknowledged until the next day (0: unlimited)' },
  { flag: 'shutdown-timeout-ms', kind: 'integer', valueName: 'ms', defaultValue: 30_000, description: 'on SIGTERM/SIGINT, how long in-flight calls may take before they are cut' },
  { flag: 'dashboard', kind: 'string', valueName: 'on|off', defaultValue: 'on', choices: ['on', 'off'], description: 'serve the operator dashboard (/) and its JSON API (/api/...) on the HTTP side, behind the diagnostics secret when one is set' },
  { flag: 'max-connections', kind: 'integer', valueName: 'n', defaultValue: 4000, description: 'connections open at once, gRPC and HTTP together; more are closed as they arrive (keep it under the process\'s open-file limit; 0: no limit)' },
  { flag: 'max-connections-per-client', kind: 'integer', valueName: 'n', defaultValue: 100, description: 'connections open at once from one client address (IPv6: one /64); raise it behind a proxy that does not keep client addresses (0: no limit)' },
  { flag: 'handshake-timeout-ms', kind: 'integer', valueName: 'ms', defaultValue: 10_000, description: 'time a new connection has to finish TLS and send its first bytes; an HTTP/2 client, to send its SETTINGS' },
  { flag: 'http-headers-timeout-ms', kind: 'integer', valueName: 'ms', defaultValue: 10_000, description: 'HTTP/1.1: time to complete a request\'s headers, and the longest an idle keep-alive connection stays open' },
  { flag: 'http-request-timeout-ms', kind: 'integer', valueName: 'ms', defaultValue: 30_000, description: 'HTTP/1.1: time to deliver a request body once its headers are in' },
  { flag: 'max-connection-idle-ms', kind: 'integer', valueName: 'ms', defaultValue: 300_000, description: 'HTTP/2: close a connection with no call open for this long (0: never)' },
  { flag: 'max-metadata-bytes', kind: 'integer', valueName: 'n', defaultValue: 16 * 1024, description: 'largest gRPC request metadata (headers) accepted, advertised to clients; larger calls end RESOURCE_EXHAUSTED' },
  { flag: 'allowed-hosts', kind: 'list', valueName: 'name', defaultValue: [], description: 'Host header names the HTTP side answers (DNS-rebinding defence); default: the --listen host and localhost; IP addresses always pass; * allows any' },
  { flag: 'metrics-public', kind: 'boolean', defaultValue: false, description: 'serve /metrics without the diagnostics secret (it always needs it when one is set otherwise)' },
  { flag: 'dashboard-session-ttl-ms', kind: 'integer', valueName: 'ms', defaultValue: 12 * 3600 * 1000, description: 'how long a dashboard sign-in lasts' },
  { flag: 'log-level', kind: 'string', valueName: 'level', defaultValue: 'info', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], description: 'log level (JSON logs on stderr)' },
];

/** Turns resolved setting values into the typed config, checking what types alone cannot. */
export function toGatewayConfig(values: SettingValues): GatewayConfig {
  const config: GatewayConfig = {
    listen: values.listen as string,
    store: values.store as string,
    licensePublicKeyFiles: (values.licensePublicKey as string[] | undefined) ?? [],
    rejectExpiredLicenses: values.rejectExpiredLicenses as boolean,
    revokedLicensesFile: values.revokedLicenses as string | undefined,
    unlicensed: values.unlicensed as 'allow' | 'deny',
    serviceTokensFile: values.serviceTokens as string | undefined,
    diagnosticsSecret: values.diagnosticsSecret as string | undefined,
    privacyEnforcement: values.privacyEnforcement as 'on' | 'off',
    privacyAllowlist: [
      // Normalised like the exporter's: "search::submitted:: repo" means the key "repo".
      ...((values.privacyAllowlist as string[] | undefined) ?? []).map((entry) => formatAllowlistEntry(parseAllowlistLine(entry, `--privacy-allowlist "${entry}"`))),
      ...readAllowlistFile(values.privacyAllowlistFile as string | undefined, '--privacy-allowlist-file').map(formatAllowlistEntry),
    ],
    trustedSources: (values.trustedSources as string[] | undefined) ?? [],
    tls: tlsFiles(values),
    maxMessageBytes: values.maxMessageBytes as number,
    maxInFlightPayloads: values.maxInFlightPayloads as number,
    maxStreams: values.maxStreams as number,
    maxUnidentifiedStreams: values.maxUnidentifiedStreams as number,
    maxStreamsPerSource: values.maxStreamsPerSource as number,
    identifyTimeoutMs: values.identifyTimeoutMs as number,
    memoryBudgetBytes: values.memoryBudgetBytes as number,
    maxStreamsPerConnection: values.maxStreamsPerConnection as number,
    streamIdleTimeoutMs: values.streamIdleTimeoutMs as number,
    maxConnectionAgeMs: values.maxConnectionAgeMs as number,
    maxConnectionAgeGraceMs: values.maxConnectionAgeGraceMs as number,
    keepaliveTimeMs: values.keepaliveTimeMs as number,
    keepaliveTimeoutMs: values.keepaliveTimeoutMs as number,
    rateLimit: values.rateLimit as number,
    rateLimitBurst: values.rateLimitBurst as number,
    dailyQuota: values.dailyQuota as number,
    shutdownTimeoutMs: values.shutdownTimeoutMs as number,
    logLevel: values.logLevel as string,
    dashboard: values.dashboard as 'on' | 'off',
    maxConnections: values.maxConnections as number,
    maxConnectionsPerClient: values.maxConnectionsPerClient as number,
    handshakeTimeoutMs: values.handshakeTimeoutMs as number,
    httpHeadersTimeoutMs: values.httpHeadersTimeoutMs as number,
    httpRequestTimeoutMs: values.httpRequestTimeoutMs as number,
    maxConnectionIdleMs: values.maxConnectionIdleMs as number,
    maxMetadataBytes: values.maxMetadataBytes as number,
    allowedHosts: (values.allowedHosts as string[] | undefined) ?? [],
    metricsPublic: values.metricsPublic as boolean,
    dashboardSessionTtlMs: values.dashboardSessionTtlMs as number,
  };
  parseHostPort(config.listen);
  config.privacyAllowlist.forEach((entry) => parseAllowlistEntry(entry));
  config.trustedSources.forEach((entry) => parseTrustedSource(entry));
  if (config.maxInFlightPayloads < 1) throw new Error('--max-in-flight-payloads must be at least 1');
  if (config.maxStreams < 1 || config.maxStreamsPerConnection < 1) throw new Error('--max-streams and --max-streams-per-connection must be at least 1');
  if (config.maxUnidentifiedStreams < 1 || config.maxStreamsPerSource < 1) throw new Error('--max-unidentified-streams and --max-streams-per-source must be at least 1');
  if (config.identifyTimeoutMs < 0) throw new Error('--identify-timeout-ms must be 0 or more');
  if (config.memoryBudgetBytes < 1024 * 1024) throw new Error('--memory-budget-bytes must be at least 1048576 (1 MiB)');
  if (config.maxMessageBytes < 1024) throw new Error('--max-message-bytes must be at least 1024');
  if (config.maxMetadataBytes < 1024) throw new Error('--max-metadata-bytes must be at least 1024');
  for (const [flag, ms] of [['handshake-timeout-ms', config.handshakeTimeoutMs], ['http-headers-timeout-ms', config.httpHeadersTimeoutMs], ['http-request-timeout-ms', config.httpRequestTimeoutMs], ['dashboard-session-ttl-ms', config.dashboardSessionTtlMs]] as const) {
    if (ms < 100) throw new Error(`--${flag} must be at least 100`);
  }
  return config;
}

function tlsFiles(values: SettingValues): GatewayConfig['tls'] {
  const certFile = values.tlsCert as string | undefined;
  const keyFile = values.tlsKey as string | undefined;
  const clientCaFile = values.tlsClientCa as string | undefined;
  if ((certFile === undefined) !== (keyFile === undefined)) throw new Error('--tls-cert and --tls-key go together');
  if (certFile === undefined || keyFile === undefined) {
    if (clientCaFile !== undefined) throw new Error('--tls-client-ca needs --tls-cert and --tls-key');
    return undefined;
  }
  return { certFile, keyFile, clientCaFile };
}

/** Defaults for programmatic use (tests, embedding). */
export function defaultGatewayConfig(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  const values: SettingValues = {};
  for (const s of GATEWAY_SETTINGS) values[s.flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = s.defaultValue;
  return { ...toGatewayConfig(values), ...overrides };
}

export function parseHostPort(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(address);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new Error(`invalid address "${address}": expected HOST:PORT, e.g. 127.0.0.1:10080`);
  return { host: match[1] ?? match[2] ?? '', port };
}
