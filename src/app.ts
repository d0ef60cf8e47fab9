import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IdentityPolicy } from './core/identity/identify.js';
import type { EventStore, MaintenanceListener } from './core/store.js';
import { createGatewayGrpcServer, createGatewayInjector } from './adapters/grpc/grpc-server.js';
import { createGatewayMetrics } from './adapters/http/gateway-metrics.js';
import { createHttpHandler } from './adapters/http/http-handler.js';
import { createHostCheck } from './adapters/http/host-allowlist.js';
import { createSecretGuard } from './adapters/http/secret-guard.js';
import { createReadiness } from './adapters/http/readiness.js';
import { startDashboard } from './adapters/http/dashboard/start-dashboard.js';
import { createGatewayListener } from './adapters/net/gateway-listener.js';
import { limitConnections } from './adapters/net/connection-limits.js';
import { createHttp1Timeouts } from './adapters/http/http1-timeouts.js';
import { openStoreRetryingWhenDown } from './adapters/stores/retrying-store.js';
import { openSharedRateUsage } from './adapters/stores/shared-rate-usage.js';
import { parseHostPort, type GatewayConfig } from './config/gateway-config.js';
import { loadIdentityPolicy } from './config/identity-policy.js';
import { parseAllowlistEntry } from './core/privacy/allowlist.js';
import { gatewayPrivacyPolicy } from './core/privacy/gateway-privacy.js';
import { combineObservers, type IngestObserver } from './gateway/ingest-observer.js';
import type { IngestTracer } from './gateway/ingest-tracing.js';
import { createMemoryBudget } from './gateway/memory-budget.js';
import { createStreamAdmission } from './gateway/stream-admission.js';
import { createSourceRateLimiter } from './gateway/source-rate-limiter.js';
import { defaultBurst } from './core/token-bucket.js';
import { createLogObserver } from './adapters/logging/log-observer.js';
import { logMaintenance } from './adapters/logging/maintenance-log.js';
import { startupSummary } from './adapters/logging/startup-summary.js';
import { silentLogger, type Logger } from './logger.js';
import { VERSION } from './version.js';
import { TelemeteryGatewayService } from './gen/telemetrygateway/v1/telemetrygateway_pb.js';

export interface GatewayOverrides {
  logger?: Logger;
  /** Use this store instead of opening config.store (tests wrap real stores to inject faults). */
  store?: EventStore;
  observer?: IngestObserver;
  policy?: IdentityPolicy;
  /** Spans per call, payload and store write (serve passes OpenTelemetry's when OTEL_* turn it on); none by default. */
  tracer?: IngestTracer;
}

export interface Gateway {
  /** Bound address, e.g. 127.0.0.1:10080 (the real port when 0 was asked for). */
  readonly address: string;
  readonly store: EventStore;
  /** Re-reads the TLS certificate files (on SIGHUP); throws, keeping the old ones, if they are unreadable. */
  reloadTls(): void;
  /** Stops accepting, lets in-flight calls finish (up to shutdownTimeoutMs), closes the store. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Assembles and starts a gateway: store, identity policy, gRPC service and HTTP
 * endpoints on one listening socket. Used by `serve` and by the tests.
 */
export async function startGateway(config: GatewayConfig, overrides: GatewayOverrides = {}): Promise<Gateway> {
  const logger = overrides.logger ?? silentLogger();
  const policy = overrides.policy ?? loadIdentityPolicy(config);
  const metrics = createGatewayMetrics();
  const logMaintenanceReport = logMaintenance(logger);
  const onMaintenance: MaintenanceListener = (report) => {
    metrics.maintenance(report);
    logMaintenanceReport(report);
  };
  const store =
    overrides.store ??
    (await openStoreRetryingWhenDown(config.store, config.retention > 0 ? { retentionMs: config.retention, onMaintenance } : { onMaintenance }, {
      // Serving, not ready, until it answers: a replica that starts before its database must not crash-loop.
      unreachable: (reason, nextAttemptMs) => logger.warn({ reason, nextAttemptMs }, 'store not reachable; not ready, retrying in the background'),
      opened: () => logger.info('store reachable; ready once the next health check passes'),
    }));
  // Every check of the diagnostics secret (dashboard, /-/healthz, /metrics) is throttled per client here.
  const guard = createSecretGuard({ secret: config.diagnosticsSecret, logger });
  // The dashboard reads the store file itself only when it is the one in the config (not a test's override).
  const dashboard = config.dashboard === 'on'
    ? startDashboard({ store, storeUrl: overrides.store ? undefined : config.store, guard, sessionTtlMs: config.dashboardSessionTtlMs })
    : undefined;
  // On a shared store (PostgreSQL) the per-source limits are the cluster's: the replicas exchange their counts.
  const rateUsage = !overrides.store && (config.rateLimit > 0 || config.dailyQuota > 0) ? openSharedRateUsage(config.store) : undefined;
  const rateLimiter = createSourceRateLimiter(
    { eventsPerSecond: config.rateLimit, burst: config.rateLimitBurst || defaultBurst(config.rateLimit), dailyQuota: config.dailyQuota },
    rateUsage
      ? {
          shared: {
            usage: rateUsage,
            warn: (failures, error) =>
              logger.warn(
                { failures, reason: error instanceof Error ? error.message : String(error) },
                'rate limits: exchanging counts with the store failed; limits fall back to this replica\'s own until it answers',
              ),
          },
        }
      : {},
  );
  const logObserver = createLogObserver({ logger });
  const observers = [metrics.observer, logObserver, dashboard?.observer, overrides.observer].filter((o) => o !== undefined);
  const observer = combineObservers(...observers);

  const draining = new AbortController();
  const { server: grpcServer, health } = createGatewayGrpcServer({
    draining: draining.signal,
    privacy: gatewayPrivacyPolicy({
      enforce: config.privacyEnforcement === 'on',
      allowlist: config.privacyAllowlist.map(parseAllowlistEntry),
      trustedSources: config.trustedSources,
    }),
    rateLimiter,
    store,
    observer,
    tracer: overrides.tracer,
    policy: () => policy,
    limits: { maxInFlightPayloads: config.maxInFlightPayloads, idleTimeoutMs: config.streamIdleTimeoutMs, identifyTimeoutMs: config.identifyTimeoutMs },
    admission: createStreamAdmission({
      maxStreams: config.maxStreams,
      maxUnidentifiedStreams: config.maxUnidentifiedStreams,
      maxStreamsPerSource: config.maxStreamsPerSource,
    }),
    memory: createMemoryBudget(config.memoryBudgetBytes),
    connection: {
      maxStreamsPerConnection: config.maxStreamsPerConnection,
      maxConnectionAgeMs: config.maxConnectionAgeMs,
      maxConnectionAgeGraceMs: config.maxConnectionAgeGraceMs,
      keepaliveTimeMs: config.keepaliveTimeMs,
      keepaliveTimeoutMs: config.keepaliveTimeoutMs,
      maxMetadataBytes: config.maxMetadataBytes,
      maxConnectionIdleMs: config.maxConnectionIdleMs,
    },
    logger,
    maxMessageBytes: config.maxMessageBytes,
  });
  const injector = createGatewayInjector(grpcServer, config.handshakeTimeoutMs, logger);
  // Store writable and not draining: /-/readyz, and the gRPC health status (NOT_SERVING otherwise).
  const readiness = createReadiness({
    store,
    draining: draining.signal,
    onChange: (state) => {
      const status = state.ready ? 'SERVING' : 'NOT_SERVING';
      health.setStatus('', status);
      health.setStatus(TelemeteryGatewayService.typeName, status);
      if (!state.ready && state.reason !== 'draining') logger.warn({ reason: state.reason }, 'not ready: gRPC health NOT_SERVING');
    },
  });
  const httpServer = createHttpServer(
    createHttpHandler({
      version: VERSION,
      store,
      registry: metrics.registry,
      guard,
      metricsPublic: config.metricsPublic,
      hostAllowed: createHostCheck(config.allowedHosts, parseHostPort(config.listen).host),
      dashboard: dashboard?.handler,
      readiness,
      logger,
    }),
  );
  const http1Timeouts = createHttp1Timeouts(httpServer, { headersTimeoutMs: config.httpHeadersTimeoutMs, requestTimeoutMs: config.httpRequestTimeoutMs });
  const { server: listener, reloadTls } = createGatewayListener(config.tls, (protocol, s) => {
    if (protocol === 'http2') return injector.injectConnection(s);
    http1Timeouts.watch(s);
    httpServer.emit('connection', s);
    s.resume(); // node:http reads through stream events; the sniffer may have left the socket paused
  }, config.handshakeTimeoutMs);

  limitConnections(listener, { maxConnections: config.maxConnections, maxConnectionsPerClient: config.maxConnectionsPerClient, logger });
  const { host, port } = parseHostPort(config.listen);
  try {
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(port, host, () => {
        listener.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    // Nothing may keep the process alive after a failed start (a SQLite thread, a pool, timers).
    grpcServer.forceShutdown();
    injector.destroy();
    readiness.close();
    await rateLimiter?.close();
    await dashboard?.close();
    await store.close();
    throw error;
  }
  const bound = listener.address() as AddressInfo;
  const address = `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
  logger.info({ ...startupSummary(config, address), store: store.description, vendorKeys: policy.vendorKeys.length, serviceTokens: policy.serviceTokens.length }, 'gateway serving');
  if (config.privacyEnforcement === 'on' && config.privacyAllowlist.length === 0) {
    logger.warn(
      'privacy enforcement is on with an empty allowlist: every private_metadata key instances send is removed, including keys their exporters allowlisted; give the gateway the exporters\' allowlist file with --privacy-allowlist-file',
    );
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      health.setStatus('', 'NOT_SERVING');
      listener.close();
      draining.abort();
      await shutdownGrpc(grpcServer, config.shutdownTimeoutMs, logger);
      injector.destroy();
      readiness.close();
      httpServer.closeAllConnections();
      httpServer.close();
      await rateLimiter?.close();
      await dashboard?.close();
      await store.close();
      logger.info(logObserver.totals(), 'gateway stopped');
    })());
  return { address, store, reloadTls, close, [Symbol.asyncDispose]: close };
}

/** Graceful first (GOAWAY, in-flight calls finish), then forced once the timeout passes. */
function shutdownGrpc(server: import('@grpc/grpc-js').Server, timeoutMs: number, logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      logger.warn({ timeoutMs }, 'in-flight calls did not finish in time; cutting them');
      server.forceShutdown();
      resolve();
    }, timeoutMs);
    timer.unref();
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
