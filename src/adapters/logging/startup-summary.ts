import type { GatewayConfig } from '../../config/gateway-config.js';
import { redactUrl, splitStoreUrls } from '../stores/store-url.js';
import { VERSION } from '../../version.js';

/**
 * The settings a `serve` runs with, as one log record an operator can read at
 * the default level. Secrets never appear: the diagnostics secret is reduced
 * to whether it is set, store URLs lose their credentials, files are named by
 * path only (their contents, keys and tokens, are never read into the log).
 */
export function startupSummary(config: GatewayConfig, address: string): Record<string, unknown> {
  return {
    version: VERSION,
    node: process.version,
    pid: process.pid,
    address,
    store: safeStores(config.store),
    tls: config.tls === undefined ? 'off' : config.tls.clientCaFile !== undefined ? 'mutual' : 'on',
    licensePublicKeyFiles: config.licensePublicKeyFiles,
    rejectExpiredLicenses: config.rejectExpiredLicenses,
    revokedLicensesFile: config.revokedLicensesFile ?? null,
    unlicensed: config.unlicensed,
    serviceTokensFile: config.serviceTokensFile ?? null,
    diagnosticsSecretSet: config.diagnosticsSecret !== undefined,
    privacyEnforcement: config.privacyEnforcement,
    privacyAllowlistEntries: config.privacyAllowlist.length,
    trustedSources: config.trustedSources.length,
    limits: {
      maxMessageBytes: config.maxMessageBytes,
      maxInFlightPayloads: config.maxInFlightPayloads,
      maxStreams: config.maxStreams,
      maxStreamsPerConnection: config.maxStreamsPerConnection,
      streamIdleTimeoutMs: config.streamIdleTimeoutMs,
      maxConnectionAgeMs: config.maxConnectionAgeMs,
      maxConnectionAgeGraceMs: config.maxConnectionAgeGraceMs,
      rateLimit: config.rateLimit,
      rateLimitBurst: config.rateLimitBurst,
      dailyQuota: config.dailyQuota,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
    },
    dashboard: config.dashboard,
    logLevel: config.logLevel,
  };
}

function safeStores(store: string): string[] {
  try {
    return splitStoreUrls(store).map(redactUrl);
  } catch {
    return ['[unparseable store URL]'];
  }
}
