import { Command } from 'commander';
import { fromBinary, toJson } from '@bufbuild/protobuf';
import { openQueue } from '../adapters/queues/open-queue.js';
import { EXPORT_SCHEMA } from '../config/exporter-config.js';
import { addSettings, printWarnings, resolveSettings } from '../config/settings.js';

/** `queue` reads the queue `export` sends: its --queue, TELEMETRY_GATEWAY_EXPORT_QUEUE, the file's `export:` section. */
const QUEUE_SCHEMA = EXPORT_SCHEMA.pick({ queue: true });
import { EventSchema } from '../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { positiveInt } from './events.js';

export function queueCommand(): Command {
  const queue = new Command('queue').description('inspect the exporter\'s queue: what is pending and what has left the instance');

  const stats = addSettings(new Command('stats').description('pending count and bytes, oldest pending age, exported events kept, failed events (JSON)'), 'export', QUEUE_SCHEMA).action(async () => {
    await withQueue(stats, async (q) => {
      const s = await q.stats(Date.now());
      process.stdout.write(`${JSON.stringify({ queue: q.description, ...s })}\n`);
    });
  });

  const list = addSettings(
    new Command('list')
      .description('recently exported events, newest first, as JSON lines with the event exactly as it was sent')
      .option('--failed', 'list the events set aside as failed instead, with why the gateway refused them')
      .option('--limit <n>', 'at most N events', positiveInt, 20),
    'export', QUEUE_SCHEMA,
  ).action(async (options: { limit: number; failed?: boolean }) => {
    await withQueue(list, async (q) => {
      if (options.failed) {
        for (const row of await q.recentlyFailed(options.limit)) {
          const event = toJson(EventSchema, fromBinary(EventSchema, row.bytes));
          process.stdout.write(`${JSON.stringify({ id: row.id, failedAt: new Date(row.failedAtMs).toISOString(), reason: row.reason, bytes: row.bytes.length, event })}\n`);
        }
        return;
      }
      for (const row of await q.recentlyExported(options.limit)) {
        const event = toJson(EventSchema, fromBinary(EventSchema, row.bytes));
        process.stdout.write(`${JSON.stringify({ id: row.id, exportedAt: new Date(row.exportedAtMs).toISOString(), event })}\n`);
      }
    });
  });

  return queue.addCommand(stats).addCommand(list);
}

async function withQueue(command: Command, use: (queue: Awaited<ReturnType<typeof openQueue>>) => Promise<void>): Promise<void> {
  const settings = resolveSettings(command, 'export', QUEUE_SCHEMA);
  printWarnings(settings.warnings);
  const q = await openQueue(settings.values.queue);
  try {
    await use(q);
  } finally {
    await q.close();
  }
}
