import { Command } from 'commander';
import { grpcGatewayConnector } from '../adapters/grpc/export-transport.js';
import { createExporterMetrics } from '../adapters/http/exporter-metrics.js';
import { startMetricsServer } from '../adapters/http/metrics-server.js';
import { openQueue } from '../adapters/queues/open-queue.js';
import { EXPORT_SETTINGS, toExportConfig } from '../config/exporter-config.js';
import { addSettings, resolveSettings } from '../config/settings.js';
import { describeIdentity } from '../exporter/exporter-identity.js';
import { createExportLoop } from '../exporter/export-loop.js';
import { createLogger } from '../logger.js';

export function exportCommand(): Command {
  const command = new Command('export')
    .description('the export daemon: send queued events to a gateway in batches, mark what it acknowledged, retry the rest')
    .option('--once', 'run one export and exit; non-zero if anything was left unacknowledged');
  addSettings(command, EXPORT_SETTINGS).action(async (options: { once?: boolean }) => {
    const config = toExportConfig(resolveSettings(command, EXPORT_SETTINGS));
    const logger = createLogger({ level: config.logLevel });
    const queue = await openQueue(config.queue);
    const metrics = createExporterMetrics(queue);
    const loop = createExportLoop({
      queue,
      connect: grpcGatewayConnector({ target: config.target, identity: config.identity, tls: config.tls }),
      intervalMs: config.intervalMs,
      batchSize: config.batchSize,
      concurrentBatches: config.concurrentBatches,
      unary: config.identity.kind === 'managed-service',
      retentionMs: config.retentionMs,
      keepProcessAlive: true,
      observer: {
        runFinished(result, durationMs) {
          metrics.observer.runFinished(result, durationMs);
          const fields = { sent: result.sent, acknowledged: result.acknowledged, batches: result.batches, durationMs: Math.round(durationMs) };
          if (result.error === undefined) logger.info(fields, 'export run finished');
          else logger.warn({ ...fields, error: result.error }, 'export run incomplete; the rest is retried');
        },
        retentionApplied(deleted) {
          metrics.observer.retentionApplied(deleted);
          if (deleted > 0) logger.info({ deleted }, 'deleted exported events past retention');
        },
      },
    });
    logger.info({ gateway: config.target, queue: queue.description, as: describeIdentity(config.identity), tls: config.tls.kind }, 'exporter starting');

    if (options.once) {
      const result = await loop.runOnce();
      await queue.close();
      process.stdout.write(`${JSON.stringify(result)}\n`);
      if (result.error !== undefined) process.exitCode = 1;
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
      return;
    }

    const metricsServer = config.metricsListen === undefined ? undefined : await startMetricsServer(config.metricsListen, metrics.registry);
    loop.start();
    const stop = (signal: string): void => {
      logger.info({ signal }, 'exporter stopping');
      void (async () => {
        await loop.close();
        await metricsServer?.close();
        await queue.close();
        logger.flush(() => process.exit(0));
      })();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return command;
}
