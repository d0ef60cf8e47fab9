import { Command } from 'commander';
import { startGateway, type Gateway } from '../app.js';
import { startTracing } from '../adapters/tracing/start-tracing.js';
import { tracingSettings } from '../config/tracing-config.js';
import { TRACING_HELP } from './tracing-help.js';
import { SERVE_SCHEMA, buildGatewayConfig } from '../config/gateway-config.js';
import { addSettings, resolveSettings } from '../config/settings.js';
import { logWarnings } from './settings-warnings.js';
import { createLogger } from '../logger.js';
import { describeStartupError } from './startup-error.js';

export function serveCommand(): Command {
  const command = new Command('serve').description(
    'serve telemetrygateway.v1 over gRPC, with /-/version, /-/healthz and /metrics over HTTP on the same port',
  );
  command.addHelpText('after', TRACING_HELP);
  addSettings(command, 'serve', SERVE_SCHEMA).action(async () => {
    const settings = resolveSettings(command, 'serve', SERVE_SCHEMA);
    const config = buildGatewayConfig(settings.values);
    const logger = createLogger({ level: config.logLevel });
    logWarnings(logger, settings.warnings);
    // Off (and the SDK not loaded) unless OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set.
    const tracing = await startTracing(tracingSettings(), { serviceName: 'telemetry-gateway', logger });
    let gateway: Gateway;
    try {
      gateway = await startGateway(config, { logger, tracer: tracing.ingestTracer });
    } catch (error) {
      // One line naming the flag or file and what to do, then exit: a supervisor must see a failed start.
      process.stderr.write(`telemetry-gateway: ${describeStartupError(error, config)}\n`);
      await tracing.shutdown();
      logger.flush(() => process.exit(1));
      return;
    }
    process.stdout.write(`telemetry-gateway serving on ${gateway.address} (store ${gateway.store.description})\n`);

    const stop = (signal: string): void => {
      logger.info({ signal }, 'shutting down');
      // The last calls' spans are sent after they end, within a bound.
      gateway.close().then(() => tracing.shutdown()).then(
        () => logger.flush(() => process.exit(0)),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          logger.flush(() => process.exit(1));
        },
      );
    };
    process.on('SIGHUP', () => {
      if (config.tls === undefined) return;
      try {
        gateway.reloadTls();
        logger.info('TLS certificates reloaded');
      } catch (error) {
        logger.error({ err: error }, 'TLS reload failed; keeping the previous certificates');
      }
    });
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return command;
}
