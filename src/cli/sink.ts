import { Command } from 'commander';
import { runSink } from '../adapters/stores/nats/nats-sink.js';
import { openStore } from '../adapters/stores/open-store.js';
import { parseStoreUrl, redactUrl } from '../adapters/stores/store-url.js';
import { addSettings, resolveSettings, type Setting } from '../config/settings.js';
import { createLogger } from '../logger.js';

const SINK_SETTINGS: readonly Setting[] = [
  { flag: 'from', kind: 'string', valueName: 'url', description: 'the bus: nats://HOST:PORT[?stream=...&subject_prefix=...] as given to the gateways' },
  { flag: 'to', kind: 'string', valueName: 'url', description: 'the SQL store: postgres://... or sqlite:PATH' },
  { flag: 'durable', kind: 'string', valueName: 'name', defaultValue: 'telemetry-sink', description: 'durable consumer name (the position in the stream; one name per destination)' },
  { flag: 'batch-size', kind: 'integer', valueName: 'n', defaultValue: 1000, description: 'messages written and acknowledged together' },
  { flag: 'retry-delay-ms', kind: 'integer', valueName: 'ms', defaultValue: 1000, description: 'when the store refuses a write, redeliver after this long' },
  { flag: 'exit-when-idle', kind: 'boolean', defaultValue: false, description: 'exit once everything in the stream has been written (for batch jobs)' },
  { flag: 'log-level', kind: 'string', valueName: 'level', defaultValue: 'info', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], description: 'log level (JSON logs on stderr)' },
];

export function sinkCommand(): Command {
  const command = new Command('sink').description(
    'move events from a NATS JetStream stream into a SQL store, at least once, deduplicated by event id',
  );
  addSettings(command, SINK_SETTINGS).action(async () => {
    const settings = resolveSettings(command, SINK_SETTINGS);
    const from = required(settings.from, 'from');
    const to = required(settings.to, 'to');
    if (parseStoreUrl(from).scheme !== 'nats') throw new Error('--from must be a nats:// URL');
    const target = parseStoreUrl(to).scheme;
    if (target !== 'postgres' && target !== 'sqlite') throw new Error('--to must be a postgres:// or sqlite: store');
    const logger = createLogger({ level: settings.logLevel as string });
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
        durableName: settings.durable as string,
        batchSize: Math.max(1, settings.batchSize as number),
        retryDelayMs: settings.retryDelayMs as number,
        exitWhenIdle: settings.exitWhenIdle as boolean,
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

function required(value: unknown, flag: string): string {
  if (typeof value !== 'string' || value === '') throw new Error(`--${flag} is required`);
  return value;
}
