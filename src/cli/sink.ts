import { Command } from 'commander';
import { runSink } from '../adapters/stores/nats/nats-sink.js';
import { openStore } from '../adapters/stores/open-store.js';
import { parseStoreUrl, redactUrl } from '../adapters/stores/store-url.js';
import { addSettings, envName, resolveSettings } from '../config/settings.js';
import { SINK_SCHEMA } from '../config/sink-config.js';
import { createLogger } from '../logger.js';
import { logWarnings } from './settings-warnings.js';


export function sinkCommand(): Command {
  const command = new Command('sink').description(
    'move events from a NATS JetStream stream into a SQL store, at least once, deduplicated by event id',
  );
  addSettings(command, 'sink', SINK_SCHEMA).action(async () => {
    const { values: settings, warnings } = resolveSettings(command, 'sink', SINK_SCHEMA);
    const from = required(settings.from, 'from');
    const to = required(settings.to, 'to');
    if (parseStoreUrl(from).scheme !== 'nats') throw new Error('--from must be a nats:// URL');
    const target = parseStoreUrl(to).scheme;
    if (target !== 'postgres' && target !== 'sqlite') throw new Error('--to must be a postgres:// or sqlite: store');
    const logger = createLogger({ level: settings.logLevel });
    logWarnings(logger, warnings);
    const store = await openStore(to);
    const stop = new AbortController();
    const onSignal = (signal: string): void => {
      logger.info({ signal }, 'sink: finishing the current batch, then stopping');
      stop.abort();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    process.stdout.write(`telemetry-gateway sink: ${redactUrl(from)} -> ${store.description}\n`);
    try {
      const stats = await runSink({
        from,
        to: store,
        durableName: settings.durable,
        batchSize: Math.max(1, settings.batchSize),
        retryDelayMs: settings.retryDelayMs,
        exitWhenIdle: settings.exitWhenIdle,
        signal: stop.signal,
        logger,
      });
      process.stdout.write(`${JSON.stringify(stats)}\n`);
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      await store.close();
    }
  });
  return command;
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new Error(`--${flag} is required (or ${envName(flag, 'sink')}, or ${flag}: in the sink: section of --config)`);
  return value;
}
