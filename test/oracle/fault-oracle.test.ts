import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runFaultOracle } from './fault-oracle.js';

const SEED = Number(process.env.ORACLE_SEED ?? 20261127);

it(`fault-injection oracle (scaled down; seed ${SEED}): gateway kill -9s and connection cuts lose and duplicate nothing`, async () => {
  const summary = await runFaultOracle({ seed: SEED, events: 4000, gatewayKills: 4, connectionCuts: 4, storeRestarts: 0, store: { kind: 'sqlite' } });
  assert.deepEqual(
    { lost: summary.lost, duplicated: summary.duplicated, digestMismatches: summary.digestMismatches, acknowledgedButMissing: summary.acknowledgedButMissing, servesAfterwards: summary.servesAfterwards },
    { lost: 0, duplicated: 0, digestMismatches: 0, acknowledgedButMissing: 0, servesAfterwards: true },
    `replay with ORACLE_SEED=${SEED}: ${JSON.stringify(summary)}`,
  );
  assert.deepEqual([summary.events, summary.stored, summary.kills, summary.cuts], [4000, 4000, 4, 4]);
});
