import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { startTestGateway } from '../helpers/gateway.js';
import { grpcBodyCase, sendGrpcBody, sendTcpGarbage, tcpGarbage } from './raw-inputs.js';
import { rawGatewayClient } from './raw-client.js';
import { checkServing } from './serving-check.js';

/**
 * A fixed seed, so `npm test` runs the same cases every time and a red run
 * replays as it was (the long runs, bench/fuzz.ts, pick random seeds). FUZZ_SEED
 * replays or explores; FUZZ_RUNS scales the run. The seed is in the suite's name.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);

describe(`raw bytes at the gateway port (FUZZ_SEED=${SEED})`, () => {
  it(`${RUNS} batches of TCP garbage and damaged gRPC bodies: the gateway keeps serving after each`, async () => {
    await using t = await startTestGateway();
    const client = rawGatewayClient(t.gateway.address);
    const statuses = new Map<string, number>();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(tcpGarbage, { minLength: 1, maxLength: 6 }), fc.array(grpcBodyCase, { minLength: 1, maxLength: 6 }), async (garbage, bodies) => {
          await Promise.all([
            ...garbage.map((bytes) => sendTcpGarbage(t.gateway.address, bytes, 300)),
            ...bodies.map(async (body) => {
              const code = await sendGrpcBody(t.gateway.address, body, 2000);
              statuses.set(code ?? 'none', (statuses.get(code ?? 'none') ?? 0) + 1);
            }),
          ]);
          assert.equal(await checkServing(client, 5000), undefined);
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
    } catch (error) {
      console.error(`raw fuzzing failed; replay with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}`);
      throw error;
    } finally {
      client.close();
    }
    console.log(`grpc-status of damaged bodies: ${JSON.stringify(Object.fromEntries(statuses))} (seed ${SEED})`);
  });
});
