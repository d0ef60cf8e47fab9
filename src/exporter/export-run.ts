import type { GatewayTransport } from './gateway-transport.js';
import { chunkPayloads, MAX_PAYLOAD_BYTES } from './payload-chunks.js';
import type { EventQueue, PendingEvent } from './queue.js';

export interface ExportRunOptions {
  /** Events per stream (BEHAVIOR.md 5.3: 10,000). */
  batchSize: number;
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
  now?: () => number;
}

export interface ExportRunResult {
  sent: number;
  acknowledged: number;
  batches: number;
  /** Why the run stopped early (a failed stream or unacknowledged events), if it did. */
  error?: string;
}

/**
 * One export run over one connection: reads pending events oldest first, a
 * batch at a time, sends each and marks exactly the acknowledged ids exported
 * as their responses arrive, even when the stream fails later. Keeps draining
 * while every batch is fully acknowledged; stops at the first batch that is not
 * (the next run retries what is left: at-least-once, deduplicated by id).
 */
export async function runExport(queue: EventQueue, transport: GatewayTransport, options: ExportRunOptions): Promise<ExportRunResult> {
  const now = options.now ?? Date.now;
  const result: ExportRunResult = { sent: 0, acknowledged: 0, batches: 0 };
  const marks: Promise<void>[] = [];
  const inFlight = new Set<Promise<void>>();

  const sendBatch = async (batch: PendingEvent[]): Promise<void> => {
    const expected = new Set(batch.map((e) => e.id));
    const acknowledge = (ids: string[]): void => {
      const known = ids.filter((id) => expected.delete(id));
      result.acknowledged += known.length;
      if (known.length === 0) return;
      // Acknowledged but not marked: re-sent next run and deduplicated by the gateway.
      marks.push(queue.markExported(known, now()).catch((error: unknown) => {
        result.error ??= `could not mark ${known.length} acknowledged events exported: ${error instanceof Error ? error.message : String(error)}`;
      }));
    };
    try {
      if (options.unary) await sendUnary(transport, batch, acknowledge, options.unaryConcurrency ?? 16);
      else await transport.recordEvents(chunkPayloads(batch, options.maxPayloadBytes ?? MAX_PAYLOAD_BYTES).map((p) => p.map((e) => e.bytes)), acknowledge);
      if (expected.size > 0) result.error ??= `${expected.size} of ${batch.length} events were not acknowledged`;
    } catch (error) {
      result.error ??= error instanceof Error ? error.message : String(error);
    }
  };

  let cursor = 0;
  while (result.error === undefined) {
    const batch = await queue.pending({ limit: options.batchSize, afterSeq: cursor });
    if (batch.length === 0) break;
    cursor = batch[batch.length - 1]!.seq;
    result.batches++;
    result.sent += batch.length;
    const sending: Promise<void> = sendBatch(batch).finally(() => inFlight.delete(sending));
    inFlight.add(sending);
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
    while (next < batch.length) {
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
