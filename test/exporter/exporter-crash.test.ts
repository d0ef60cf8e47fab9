import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { it } from 'node:test';
import { createTestExporter } from '../helpers/exporter.js';
import { allStoredEvents, pendingIds, recordSearches } from '../helpers/export-checks.js';
import { withFaults } from '../helpers/fault-store.js';
import { startTestGateway } from '../helpers/gateway.js';
import { pollUntil } from '../helpers/poll.js';
import { builtCli, runCli } from '../helpers/cli.js';

it('exporter killed with -9 mid-export and restarted: nothing lost, duplicates only where an ack was lost, each id stored once', async () => {
  // A slightly slow store keeps the export in progress long enough to kill it mid-way.
  await using gateway = await startTestGateway({}, { wrapStore: (store) => withFaults(store, { gate: () => new Promise((r) => setTimeout(r, 25)) }) });
  await using exporter = createTestExporter();
  const ids = await recordSearches(exporter.recorder, 30_000);
  const exportArgs = ['--gateway', `http://${gateway.gateway.address}`, '--insecure', '--queue', `sqlite:${exporter.queuePath}`, '--instance-id', 'crashy', '--batch-size', '2000'];

  const child = spawn(process.execPath, [builtCli(), 'export', ...exportArgs, '--interval', '1s', '--log-level', 'silent'], { stdio: 'ignore' });
  const storedAtKill = await pollUntil('some events to arrive', async () => {
    const n = await gateway.reader.countEvents();
    return n > 0 ? n : undefined;
  });
  child.kill('SIGKILL');
  await once(child, 'exit');
  assert.ok(storedAtKill < ids.length, 'killed mid-export');

  const stored = new Set((await allStoredEvents(gateway.reader)).keys());
  const ackLost = (await pendingIds(exporter.queue)).filter((id) => stored.has(id));

  const rerun = await runCli(['export', ...exportArgs, '--once', '--log-level', 'silent']);
  assert.equal(rerun.code, 0, rerun.stdout + rerun.stderr);
  assert.deepEqual(await pendingIds(exporter.queue), []);
  assert.deepEqual([...(await allStoredEvents(gateway.reader)).keys()].sort(), [...ids].sort());

  const metrics = await (await fetch(`http://${gateway.gateway.address}/metrics`)).text();
  const duplicates = Number(/telemetry_gateway_events_total\{outcome="duplicate",source="unlicensed_instance"\} (\d+)/.exec(metrics)?.[1] ?? 0);
  assert.equal(duplicates, ackLost.length, 're-sent only what was stored but not marked exported');
});
