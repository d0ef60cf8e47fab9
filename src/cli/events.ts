import { Command, InvalidArgumentError } from 'commander';
import { openReader } from '../adapters/stores/open-store.js';
import { redactUrl } from '../adapters/stores/store-url.js';
import { renderStoredRecord } from '../core/record.js';
import type { EventReader } from '../core/store.js';
import { addStoreOption, resolveStoreUrl } from './store-option.js';

const PAGE = 1000;

export function eventsCommand(): Command {
  const events = new Command('events').description('read what a store holds');

  const list = addStoreOption(
    new Command('list')
      .description('print stored events as downstream records, one JSON object per line (NDJSON), oldest first')
      .option('--limit <n>', 'print at most N records', positiveInt)
      .option('--rejected', 'print rejected events with their reasons instead'),
  ).action(async (options: { limit?: number; rejected?: boolean }) => {
    await withReader(resolveStoreUrl(list), async (reader) => {
      let remaining = options.limit ?? Number.POSITIVE_INFINITY;
      let afterSeq = 0;
      while (remaining > 0) {
        const limit = Math.min(PAGE, remaining);
        const rows = options.rejected
          ? (await reader.listRejected({ limit, afterSeq })).map((row) => ({
              seq: row.seq,
              line: JSON.stringify({
                id: row.id,
                reason: row.reason,
                source: row.publisher,
                feature: row.feature,
                action: row.action,
                receivedAt: new Date(row.receivedAtMs).toISOString(),
                record: JSON.parse(renderStoredRecord(row.eventBytes, row.metadataBytes)),
              }),
            }))
          : (await reader.listEvents({ limit, afterSeq })).map((row) => ({
              seq: row.seq,
              line: renderStoredRecord(row.eventBytes, row.metadataBytes),
            }));
        for (const row of rows) await writeLine(row.line);
        if (rows.length < limit) break;
        afterSeq = rows[rows.length - 1]!.seq;
        remaining -= rows.length;
      }
    });
  });

  const count = addStoreOption(
    new Command('count').description('print the number of stored events').option('--rejected', 'count rejected events'),
  ).action(async (options: { rejected?: boolean }) => {
    await withReader(resolveStoreUrl(count), async (reader) => {
      await writeLine(String(options.rejected ? await reader.countRejected() : await reader.countEvents()));
    });
  });

  return events.addCommand(list).addCommand(count);
}

async function withReader(url: string, use: (reader: EventReader) => Promise<void>): Promise<void> {
  let reader: EventReader;
  try {
    reader = await openReader(url);
  } catch (error) {
    throw new Error(`cannot open store ${redactUrl(url)}: ${(error as Error).message}`);
  }
  try {
    await use(reader);
  } finally {
    await reader.close();
  }
}

/** Honours stdout backpressure so `events list | head` and huge stores behave. */
function writeLine(line: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(`${line}\n`)) resolve();
    else process.stdout.once('drain', resolve);
  });
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('expected a positive integer');
  }
  return n;
}
