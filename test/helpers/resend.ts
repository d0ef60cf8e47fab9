import type { GatewayClient } from '../../src/adapters/grpc/gateway-client.js';
import type { Event, RecordEventsRequestMetadata } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { collect, eventsRequest, metadataRequest } from './grpc-call.js';

export interface ResendOptions {
  payloadEvents?: number;
  timeoutMs?: number;
  /** Called after each stream with the ids acknowledged so far (to act mid-run). */
  onRound?: (acked: ReadonlySet<string>, round: number) => void | Promise<void>;
}

export interface ResendResult {
  acked: Set<string>;
  rounds: number;
  /** Ids left unacknowledged by the first stream, which later streams had to re-send. */
  resent: number;
}

/**
 * Sends events the way an instance does: in payloads on one stream, then
 * re-sends whatever was not acknowledged on a new stream, until everything is
 * acknowledged or the deadline passes. A stream that ends with an error
 * (store unavailable, server going away) counts only the acks it gave.
 */
export async function sendUntilAcknowledged(
  client: GatewayClient,
  metadata: RecordEventsRequestMetadata,
  events: readonly Event[],
  options: ResendOptions = {},
): Promise<ResendResult> {
  const payloadEvents = options.payloadEvents ?? 500;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const acked = new Set<string>();
  let remaining = [...events];
  let rounds = 0;
  let resent = 0;
  while (remaining.length > 0) {
    if (Date.now() > deadline) throw new Error(`${remaining.length} events still unacknowledged after ${rounds} streams`);
    rounds++;
    const call = client.openRecordEvents();
    const result = collect(call);
    call.write(metadataRequest(metadata));
    for (let i = 0; i < remaining.length; i += payloadEvents) call.write(eventsRequest(remaining.slice(i, i + payloadEvents)));
    call.end();
    for (const ids of (await result).responses) for (const id of ids) acked.add(id);
    remaining = remaining.filter((event) => !acked.has(event.id));
    if (rounds === 1) resent = remaining.length;
    await options.onRound?.(acked, rounds);
    if (remaining.length > 0) await new Promise((resolve) => setTimeout(resolve, 100)); // an instance backs off too
  }
  return { acked, rounds, resent };
}
