import { Command } from 'commander';
import { grpcGatewayConnector } from '../adapters/grpc/export-transport.js';
import { createExporterMetrics } from '../adapters/http/exporter-metrics.js';
import { startMetricsServer } from '../adapters/http/metrics-server.js';
import { openQueue } from '../adapters/queues/open-queue.js';
import { startTracing } from '../adapters/tracing/start-tracing.js';
import { tracingSettings } from '../config/tracing-config.js';
import { TRACING_HELP } from './tracing-help.js';
import { EXPORT_SCHEMA, buildExportConfig } from '../config/exporter-config.js';
import { addSettings, resolveSettings } from '../config/settings.js';
import { logWarnings } from './settings-warnings.js';
import { describeIdentity } from '../exporter/exporter-identity.js';
import { createExportLoop } from '../exporter/export-loop.js';
import { createLogger } from '../logger.js';

export function exportCommand(): Command {
  const command = new Command('export')
    .description('the export daemon: send queued events to a gateway in batches, mark what it acknowledged, retry the rest')
    .option('--once', 'run one export and exit; non-zero if anything was left unacknowledged');
  command.addHelpText('after', TRACING_HELP);
  addSettings(command, 'export', EXPORT_SCHEMA).action(async (options: { once?: boolean }) => {
    const settings = resolveSettings(command, 'export', EXPORT_SCHEMA);
    const config = buildExportConfig(settings.values);
    const logger = createLogger({ level: config.logLevel });
    logWarnings(logger, settings.warnings);
    // Off (and the SDK not loaded) unless OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set; the library's spans
    // (a run, each call, its context sent to the gateway) go through the provider this registers.
    const tracing = await startTracing(tracingSettings(), { serviceName: 'telemetry-gateway-exporter', logger });
    const queue = await openQueue(config.queue);
    const metrics = createExporterMetrics({ queue });
    const loop = createExportLoop({
      queue,
      connect: grpcGatewayConnector({ target: config.target, identity: config.identity, tls: config.tls, timeoutMs: config.timeoutMs }),
      intervalMs: config.intervalMs,
      batchSize: config.batchSize,
      exportMode: config.exportMode,
      concurrentBatches: config.concurrentBatches,
      unary: config.identity.kind === 'managed_service',
      retentionMs: config.retentionMs,
      keepProcessAlive: true,
      observer: {
        ...metrics.observer,
        runStarted() {
          logger.debug('export run starting');
        },
        runFinished(result, durationMs, nextRunInMs) {
          metrics.observer.runFinished?.(result, durationMs, nextRunInMs);
          const next = nextRunInMs === undefined ? {} : { nextRunInMs, nextRunAt: new Date(Date.now() + nextRunInMs).toISOString() };
          const fields = { sent: result.sent, acknowledged: result.acknowledged, failed: result.failed, batches: result.batches, durationMs: Math.round(durationMs), ...next };
          if (result.error === undefined) logger.info(fields, 'export run finished');
          else if (result.permanent) logger.error({ ...fields, code: result.errorCode, error: result.error }, 'export run refused by the gateway; fix the configuration (retried after a long back-off)');
          else logger.warn({ ...fields, code: result.errorCode, error: result.error }, 'export run incomplete; the rest is retried');
        },
        eventsFailed(events) {
          metrics.observer.eventsFailed?.(events);
          for (const { id, reason } of events) logger.error({ id, reason }, 'the gateway refused an event on its own; set aside as failed (see `queue list --failed`)');
        },
        retentionApplied(deleted) {
          metrics.observer.retentionApplied?.(deleted);
          if (deleted > 0) logger.info({ deleted }, 'deleted exported and failed events past retention');
        },
      },
    });
    logger.info(
      { gateway: config.target, queue: queue.description, as: describeIdentity(config.identity), tls: config.tls.kind, timeoutMs: config.timeoutMs, intervalMs: config.intervalMs },
      'exporter starting',
    );

    // SIGTERM/SIGINT: stop scheduling, flush within --shutdown-timeout (a run past it is cancelled), exit 0.
    let stopping = false;
    const stop = (signal: string, finish: () => Promise<void>): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal, shutdownTimeoutMs: config.shutdownTimeoutMs }, 'exporter stopping');
      // A last resort should anything hang past the deadline.
      setTimeout(() => process.exit(0), config.shutdownTimeoutMs + 2000).unref();
      void (async () => {
        const result = await loop.shutdown({ timeoutMs: config.shutdownTimeoutMs });
        logger.info({ acknowledged: result.acknowledged, error: result.error }, 'exporter stopped');
        await finish();
        await queue.close();
        await tracing.shutdown();
        logger.flush(() => process.exit(0));
      })();
    };

    if (options.once) {
      process.once('SIGTERM', () => stop('SIGTERM', async () => {}));
      process.once('SIGINT', () => stop('SIGINT', async () => {}));
      const result = await loop.runOnce();
      if (stopping) return; // the signal handler exits
      await queue.close();
      process.stdout.write(`${JSON.stringify(result)}\n`);
      if (result.error !== undefined) process.exitCode = 1;
      // Spans the collector did not take in time: the OTLP exporter's retries would keep the process up.
      if (!(await tracing.shutdown())) logger.flush(() => process.exit());
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
      return;
    }

    const metricsServer = config.metricsListen === undefined ? undefined : await startMetricsServer(config.metricsListen, metrics.registry);
    loop.start();
    const finish = async (): Promise<void> => {
      await metricsServer?.close();
    };
    process.once('SIGTERM', () => stop('SIGTERM', finish));
    process.once('SIGINT', () => stop('SIGINT', finish));
  });
  return command;
}
