import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status, type Client } from '@grpc/grpc-js';
import { compareOutcome, expectedOutcome, type ModelOptions } from './model.js';
import type { PlanOptions, StreamPlan } from './plans.js';
export { describePlan } from './plans.js';
import { rawGatewayClient, runPlan, type PlanResult } from './raw-client.js';

/** The token the fuzz gateway accepts for managed services. */
export const FUZZ_TOKEN = 'tgw_fuzz_0123456789abcdef';
/** A small message limit, so oversized requests are cheap to make. */
export const FUZZ_MAX_MESSAGE_BYTES = 1024 * 1024;

export const FUZZ_PLAN_OPTIONS: PlanOptions = { validToken: FUZZ_TOKEN, maxMessageBytes: FUZZ_MAX_MESSAGE_BYTES, maxRequests: 12, commonWeight: 1 };
export const FUZZ_MODEL_OPTIONS: ModelOptions = { validToken: FUZZ_TOKEN, maxMessageBytes: FUZZ_MAX_MESSAGE_BYTES };

/** Writes the service-tokens file naming FUZZ_TOKEN and returns its path. */
export function writeFuzzTokens(dir: string): string {
  const path = join(dir, 'tokens.json');
  const sha256 = createHash('sha256').update(FUZZ_TOKEN).digest('hex');
  writeFileSync(path, JSON.stringify([{ name: 'fuzz', sha256, scopes: ['telemetry_gateway::events::write'] }]));
  return path;
}

/**
 * Runs one plan and returns why the gateway's answer breaks the model, or
 * undefined. A stream that gets no answer at all (a hang) is a failure. A plan
 * with a request over the size limit gets a connection of its own, so an
 * earlier plan's leftovers cannot be blamed (see connection-stall.test.ts for
 * the hang this used to find).
 */
export async function checkPlan(
  client: Client,
  plan: StreamPlan,
  deadlineMs: number,
  address: string,
): Promise<{ failure: string | undefined; result: PlanResult }> {
  const expected = expectedOutcome(plan, FUZZ_MODEL_OPTIONS);
  const oversize = plan.requests.some((r) => r.length > FUZZ_MAX_MESSAGE_BYTES);
  const own = oversize ? rawGatewayClient(address) : undefined;
  try {
    const result = await runPlan(own ?? client, plan, deadlineMs);
    if (result.code === status.DEADLINE_EXCEEDED) {
      return { failure: `no answer within ${deadlineMs} ms (hang)${oversize ? ' on a stream with a message over the size limit' : ''}`, result };
    }
    return { failure: compareOutcome(expected, result), result };
  } finally {
    own?.close();
  }
}
