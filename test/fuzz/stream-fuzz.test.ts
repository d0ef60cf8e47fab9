import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { startTestGateway } from '../helpers/gateway.js';
import { tempDir } from '../helpers/temp-dir.js';
import { FUZZ_MAX_MESSAGE_BYTES, FUZZ_PLAN_OPTIONS, checkPlan, describePlan, writeFuzzTokens } from './fuzz-setup.js';
import { streamPlanArb } from './plans.js';
import { rawGatewayClient } from './raw-client.js';
import { createStoreChecker } from './store-check.js';

/**
 * A fixed seed, so `npm test` runs the same cases every time and a red run
 * replays as it was (the long runs, bench/fuzz.ts, pick random seeds). FUZZ_SEED
 * replays or explores; FUZZ_RUNS scales the run. The seed is in the suite's name.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);

describe(`structure-aware RecordEvents fuzzing (FUZZ_SEED=${SEED})`, () => {
  it(`${RUNS} random streams: the modelled status and acknowledgements, and only valid events stored as valid`, async () => {
    using dir = tempDir();
    await using t = await startTestGateway({
      maxMessageBytes: FUZZ_MAX_MESSAGE_BYTES,
      serviceTokensFile: writeFuzzTokens(dir.path),
    });
    const client = rawGatewayClient(t.gateway.address);
    const checkStore = createStoreChecker(t.reader);
    let streams = 0;
    let requests = 0;
    try {
      await fc.assert(
        fc.asyncProperty(streamPlanArb(FUZZ_PLAN_OPTIONS), async (plan) => {
          streams++;
          requests += plan.requests.length;
          const { failure } = await checkPlan(client, plan, 10_000, t.gateway.address);
          assert.equal(failure, undefined, `${failure} for ${describePlan(plan)}`);
          const stored = await checkStore();
          assert.deepEqual(stored.problems, []);
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
    } catch (error) {
      console.error(`stream fuzzing failed; replay with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}`);
      throw error;
    } finally {
      client.close();
    }
    console.log(`fuzzed ${streams} streams, ${requests} requests (seed ${SEED})`);
  });
});
