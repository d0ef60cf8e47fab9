/**
 * The fault-injection oracle's full run (the scaled-down version is in npm test):
 *   node --import tsx bench/fault-oracle.ts [--seed N] [--events 100000] [--kills 20] [--cuts 20]
 *     [--store-restarts 3] [--store sqlite|postgres] [--store-restart-command 'pg_ctlcluster 15 main restart']
 * With --store postgres it uses TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test)
 * on a fresh schema. Prints a JSON summary; exits non-zero if anything was lost or duplicated.
 */
import { parseArgs } from 'node:util';
import { postgresTestStore } from '../test/helpers/services.js';
import { runFaultOracle } from '../test/oracle/fault-oracle.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    events: { type: 'string', default: '100000' },
    kills: { type: 'string', default: '20' },
    cuts: { type: 'string', default: '20' },
    'store-restarts': { type: 'string', default: '3' },
    store: { type: 'string', default: 'postgres' },
    'store-restart-command': { type: 'string' },
  },
});

const applicationName = `tgw-oracle-${process.pid}`;
const postgres = values.store === 'postgres' ? postgresTestStore(`application_name=${applicationName}`) : undefined;
try {
  const summary = await runFaultOracle({
    seed: Number(values.seed),
    events: Number(values.events),
    gatewayKills: Number(values.kills),
    connectionCuts: Number(values.cuts),
    storeRestarts: Number(values['store-restarts']),
    store: postgres ? { kind: 'postgres', url: postgres.url, applicationName, restartCommand: values['store-restart-command'] } : { kind: 'sqlite' },
    settleTimeoutMs: 300_000,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  console.log(JSON.stringify({ store: values.store, ...summary }));
  const clean = summary.lost === 0 && summary.duplicated === 0 && summary.digestMismatches === 0 && summary.acknowledgedButMissing === 0 && summary.servesAfterwards;
  if (!clean) process.exitCode = 1;
} finally {
  await postgres?.drop();
}
