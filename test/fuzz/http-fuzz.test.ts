import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { startTestGateway } from '../helpers/gateway.js';
import { http1Case, http2Case, runHttp1Case, runHttp2Case } from './http-inputs.js';
import { rawGatewayClient } from './raw-client.js';
import { checkServing } from './serving-check.js';

/** A fixed seed, so `npm test` runs the same cases every time; FUZZ_SEED / HTTP_FUZZ_RUNS to explore. */
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const RUNS = Number(process.env.HTTP_FUZZ_RUNS ?? 25);
const DEADLINE_MS = 5000;

describe(`HTTP side of the port under fuzzing (FUZZ_SEED=${SEED})`, () => {
  it(`${RUNS} batches of raw HTTP/1.1 and HTTP/2 requests, with and without a diagnostics secret: each answered (never 500) or closed, the gateway serving after each`, async () => {
    // Short timeouts, so a request waiting for more bytes is closed well inside the deadline rather than counted as a hang.
    const config = { httpHeadersTimeoutMs: 1000, httpRequestTimeoutMs: 1500, handshakeTimeoutMs: 1000 };
    await using open = await startTestGateway(config);
    await using guarded = await startTestGateway({ ...config, diagnosticsSecret: 'fuzz-secret' });
    const clients = [rawGatewayClient(open.gateway.address), rawGatewayClient(guarded.gateway.address)];
    let cases = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(http1Case, { minLength: 1, maxLength: 8 }), fc.array(http2Case, { maxLength: 3 }), fc.boolean(), async (h1, h2, useGuarded) => {
          const address = (useGuarded ? guarded : open).gateway.address;
          const failures = await Promise.all([...h1.map((c) => runHttp1Case(address, c, DEADLINE_MS)), ...h2.map((c) => runHttp2Case(address, c, DEADLINE_MS))]);
          cases += h1.length + h2.length;
          assert.deepEqual(failures.filter((f) => f !== undefined), []);
          assert.equal(await checkServing(clients[useGuarded ? 1 : 0]!, 5000), undefined);
          assert.equal((await fetch(`http://${address}/-/version`)).status, 200);
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
    } catch (error) {
      console.error(`HTTP fuzzing failed; replay with FUZZ_SEED=${SEED} HTTP_FUZZ_RUNS=${RUNS}`);
      throw error;
    } finally {
      for (const client of clients) client.close();
    }
    console.log(`HTTP fuzz: ${cases} requests (seed ${SEED})`);
  });
});
