import { fromBinary } from '@bufbuild/protobuf';
import { EventSchema } from '../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { toExportError, type ExportError, type ExportErrorCode } from './export-error.js';
import { exportsFeature, type ExportMode } from './export-mode.js';
import type { GatewayTransport } from './gateway-transport.js';
import { chunkPayloads, MAX_PAYLOAD_BYTES } from './payload-chunks.js';
import type { EventQueue, PendingEvent } from './queue.js';

export interface ExportRunOptions {
  /** Events per stream (BEHAVIOR.md 5.3: 10,000). Default 10,000. */
  batchSize?: number;
  maxPayloadBytes?: number;
  /**
   * Batches in flight at once while draining a backlog (each its own stream on
   * the run's connection). 1 is the deployed behaviour.
   */
  concurrentBatches?: number;
  /** Managed services send each event with the unary RecordEvent instead. */
  unary?: boolean;
  /** Unary calls in flight at once. */
  unaryConcurrency?: number;
  /**
   * Applied again when sending, so a mode changed after events were queued
   * holds: disabled sends nothing (no connection); a prefix sets the other
   * events aside as failed ("excluded by the export mode"). Default: all.
   */
  exportMode?: ExportMode;
  now?: () => number;
}

export const DEFAULT_BATCH_SIZE = 10_000;

/** What one batch (one stream, or its bisected parts) came to; for metrics. */
export interface BatchOutcome {
  events: number;
  acknowledged: number;
  /** Set aside as poison. */
  failed: number;
  durationMs: number;
}

/** What the run reports as it goes, for metrics and logs. */
export interface ExportRunHooks {
  batchFinished?(outcome: BatchOutcome): void;
  /** Events the gateway refused on their own, set aside as failed (not retried). */
  eventsFailed?(events: readonly { id: string; reason: string }[]): void;
}

export interface ExportRunResult {
  /** Events written to a stream (or unary call) once connected; re-sends while bisecting count again. */
  sent: number;
  acknowledged: number;
  /** Events set aside as failed in this run (poison: the gateway refused them alone). */
  failed: number;
  batches: number;
  /** Why the run stopped early (a failed stream or unacknowledged events), if it did. */
  error?: string;
  /** The gRPC code of that failure, when a call failed. */
  errorCode?: ExportErrorCode;
  /** The failure is a refusal retrying will not fix (wrong identity, token...). */
  permanent?: boolean;
}

/**
 * One export run over one connection: reads pending events oldest first, a
 * batch at a time, sends each and marks exactly the acknowledged ids exported
 * as their responses arrive, even when the stream fails later. Keeps draining
 * while every batch is fully acknowledged; stops at the first batch that is not
 * (the next run retries what is left: at-least-once, deduplicated by id).
 *
 * Poison: when the gateway refuses a payload itself (too large, undecodable),
 * the unacknowledged events are bisected, each half on its own stream, until
 * the one event it refuses alone is found; that event is set aside as failed
 * with the reason, and everything else goes through.
 */
export async function runExport(queue: EventQueue, transport: GatewayTransport, options: ExportRunOptions, hooks: ExportRunHooks = {}): Promise<ExportRunResult> {
  const now = options.now ?? Date.now;
  const result: ExportRunResult = { sent: 0, acknowledged: 0, failed: 0, batches: 0 };
  const marks: Promise<void>[] = [];
  const inFlight = new Set<Promise<void>>();
  const fail = (error: ExportError | string): void => {
    if (result.error !== undefined) return;
    if (typeof error === 'string') {
      result.error = error;
      return;
    }
    result.error = error.message;
    result.errorCode = error.code;
    result.permanent = error.permanent;
  };
  const recordMark = (what: string, count: number, marking: Promise<void>): void => {
    marks.push(marking.catch((error: unknown) => fail(`could not mark ${count} ${what}: ${error instanceof Error ? error.message : String(error)}`)));
  };

  /** Sends events on one stream; returns the unacknowledged ones and the stream's error, if any. */
  const sendOnce = async (events: readonly PendingEvent[], outcome: BatchOutcome): Promise<{ left: PendingEvent[]; error?: ExportError }> => {
    const expected = new Map(events.map((e) => [e.id, e]));
    const acknowledge = (ids: string[]): void => {
      const known = ids.filter((id) => expected.delete(id));
      if (known.length === 0) return;
      result.acknowledged += known.length;
      outcome.acknowledged += known.length;
      // Acknowledged but not marked: re-sent next run and deduplicated by the gateway.
      recordMark('acknowledged events exported', known.length, queue.markExported(known, now()));
    };
    result.sent += events.length;
    try {
      if (options.unary) await sendUnary(transport, events, acknowledge, options.unaryConcurrency ?? 16);
      else await transport.recordEvents(chunkPayloads(events, options.maxPayloadBytes ?? MAX_PAYLOAD_BYTES).map((p) => p.map((e) => e.bytes)), acknowledge);
      return { left: [...expected.values()] };
    } catch (error) {
      return { left: [...expected.values()], error: toExportError(error) };
    }
  };

  const setAside = (event: PendingEvent, error: ExportError, outcome: BatchOutcome): void => {
    const failed = [{ id: event.id, reason: error.message }];
    result.failed++;
    outcome.failed++;
    hooks.eventsFailed?.(failed);
    recordMark('events failed', 1, queue.markFailed(failed, now()));
  };

  /** Delivers events, bisecting what a payload refusal leaves unacknowledged. */
  const deliver = async (events: readonly PendingEvent[], outcome: BatchOutcome): Promise<void> => {
    const { left, error } = await sendOnce(events, outcome);
    if (left.length === 0) return;
    if (error === undefined) return fail(`${left.length} of ${events.length} events were not acknowledged`);
    if (!error.payloadRefused) return fail(error);
    if (left.length === 1) return setAside(left[0]!, error, outcome);
    const half = Math.ceil(left.length / 2);
    await deliver(left.slice(0, half), outcome);
    if (result.error === undefined) await deliver(left.slice(half), outcome);
  };

  const sendBatch = async (batch: PendingEvent[]): Promise<void> => {
    const started = performance.now();
    const outcome: BatchOutcome = { events: batch.length, acknowledged: 0, failed: 0, durationMs: 0 };
    await deliver(batch, outcome);
    outcome.durationMs = performance.now() - started;
    hooks.batchFinished?.(outcome);
  };

  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const mode = options.exportMode ?? { kind: 'all' };
  if (mode.kind === 'disabled') return result;
  /** Sets aside the events the export mode excludes; returns the rest. */
  const admit = (events: PendingEvent[]): PendingEvent[] => {
    if (mode.kind === 'all') return events;
    const excluded: { id: string; reason: string }[] = [];
    const kept = events.filter((event) => {
      const feature = fromBinary(EventSchema, event.bytes).feature;
      if (exportsFeature(mode, feature)) return true;
      excluded.push({ id: event.id, reason: `not exported: the export mode (prefix:${mode.prefix}) excludes feature ${feature}` });
      return false;
    });
    if (excluded.length > 0) {
      result.failed += excluded.length;
      hooks.eventsFailed?.(excluded);
      recordMark('events excluded', excluded.length, queue.markFailed(excluded, now()));
    }
    return kept;
  };
  let batch = await queue.pending({ limit: batchSize });
  if (batch.length === 0) return result; // nothing to send: no connection
  try {
    await transport.ready?.();
  } catch (error) {
    fail(toExportError(error));
    return result;
  }

  // The next batch is read while the ones before it are in flight, so the
  // gateway is not left idle while the queue is read between streams.
  while (result.error === undefined && batch.length > 0) {
    const cursor = batch[batch.length - 1]!.seq;
    const admitted = admit(batch);
    if (admitted.length > 0) {
      result.batches++;
      const sending: Promise<void> = sendBatch(admitted).finally(() => inFlight.delete(sending));
      inFlight.add(sending);
    }
    batch = await queue.pending({ limit: batchSize, afterSeq: cursor });
    if (inFlight.size >= (options.concurrentBatches ?? 1)) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await Promise.all(marks);
  return result;
}

/** Unary calls with bounded concurrency; a failed call leaves its event pending. */
async function sendUnary(
  transport: GatewayTransport,
  batch: readonly PendingEvent[],
  acknowledge: (ids: string[]) => void,
  concurrency: number,
): Promise<void> {
  let next = 0;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (next < batch.length && firstError === undefined) {
      const event = batch[next++]!;
      try {
        await transport.recordEvent(event.bytes);
        acknowledge([event.id]);
      } catch (error) {
        firstError ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, batch.length) }, worker));
  if (firstError !== undefined) throw firstError;
}
