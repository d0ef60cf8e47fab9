import { Command, InvalidArgumentError } from 'commander';
import type { JsonObject } from '@bufbuild/protobuf';
import { openQueue } from '../adapters/queues/open-queue.js';
import { RECORD_SCHEMA, buildRecordConfig } from '../config/exporter-config.js';
import { addSettings, printWarnings, resolveSettings } from '../config/settings.js';
import type { RecordParams } from '../exporter/build-event.js';
import { createRecorder } from '../exporter/recorder.js';

export function recordCommand(): Command {
  const command = new Command('record')
    .description('queue one event through the recorder (validation and redaction included) for the export daemon to send')
    .argument('<feature>', 'feature, e.g. search')
    .argument('<action>', 'action, e.g. submitted')
    .option('--metadata <key=number>', 'public numeric metadata; repeatable', collectMetadata, {})
    .option('--private-metadata <json>', 'private metadata as a JSON object (leaves only for allowlisted keys)', jsonObject)
    .option('--marketing <json>', 'marketing tracking as a JSON object (removed unless --redaction public-service)', jsonObject)
    .option('--user-id <n>', 'user id', userId);
  addSettings(command, 'record', RECORD_SCHEMA).action(
    async (feature: string, action: string, options: { metadata: Record<string, number>; privateMetadata?: JsonObject; marketing?: JsonObject; userId?: number }) => {
      const settings = resolveSettings(command, 'record', RECORD_SCHEMA);
      printWarnings(settings.warnings);
      const config = buildRecordConfig(settings.values);
      const queue = await openQueue(config.queue, config.queueLimits);
      try {
        const recorder = createRecorder({ ...config, queue });
        const params: RecordParams = {
          metadata: options.metadata,
          privateMetadata: options.privateMetadata,
          marketingTracking: options.marketing as RecordParams['marketingTracking'],
          user: options.userId === undefined ? undefined : { userId: options.userId },
        };
        const id = await recorder.record(feature, action, params);
        process.stdout.write(`${JSON.stringify(id === undefined ? { queued: false, reason: `export mode excludes ${feature}` } : { queued: true, id })}\n`);
      } finally {
        await queue.close();
      }
    },
  );
  return command;
}

function collectMetadata(value: string, previous: Record<string, number>): Record<string, number> {
  const match = /^([^=]+)=(.+)$/.exec(value);
  const number = Number(match?.[2]);
  if (!match || !Number.isFinite(number)) throw new InvalidArgumentError('expected key=number, e.g. results=12');
  return { ...previous, [match[1]!]: number };
}

function jsonObject(value: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidArgumentError('expected a JSON object');
  return parsed as JsonObject;
}

function userId(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('expected a non-negative integer');
  return Number(value);
}
