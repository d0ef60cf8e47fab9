import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createGatewayClient } from '../../src/adapters/grpc/gateway-client.js';
import type { RecordEventsResponse } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { startTestGateway, testEvent, unlicensed } from '../helpers/gateway.js';
import { collect, eventsRequest, metadataRequest } from '../helpers/grpc-call.js';
import { pollUntil } from '../helpers/poll.js';

const SLOW_GATEWAY = fileURLToPath(new URL('../helpers/slow-gateway-process.ts', import.meta.url));

/** Resident memory of a process in MiB (current and peak), from /proc. */
function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

it('slow store: the gateway stops reading instead of buffering; its memory stays bounded while a client pushes 10x what it can store', { skip: process.platform !== 'linux' ? 'reads /proc' : false }, async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', SLOW_GATEWAY], { env: { ...process.env, SLOW_STORE_MS: '200' }, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    const address = /serving on (\S+)/.exec(chunk.toString())![1]!;
    const client = createGatewayClient(address, { insecure: true });
    // Warm up (JIT, first connection) before the baseline.
    const warm = client.openRecordEvents();
    warm.write(metadataRequest(unlicensed('warm')));
    warm.write(eventsRequest([testEvent()]));
    await once(warm, 'data');
    warm.end();
    const baseline = memoryMiB(child.pid!).rss;

    // 200 payloads of ~0.5 MB (100 MB) pushed at once; the store takes ~5 payloads a second.
    const payload = Array.from({ length: 1000 }, () => testEvent({ featureFlags: { flags: { pad: 'p'.repeat(450) } } }));
    const call = client.openRecordEvents();
    call.on('error', () => {});
    let answered = 0;
    call.on('data', (_: RecordEventsResponse) => answered++);
    call.write(metadataRequest(unlicensed('flood')));
    for (let i = 0; i < 200; i++) call.write(eventsRequest(payload));

    await pollUntil('a dozen payloads to be stored', () => (answered >= 12 ? true : undefined), 20_000);
    const { peak } = memoryMiB(child.pid!);
    assert.ok(answered < 40, `the store is the bottleneck (${answered} answered)`);
    assert.ok(peak - baseline < 150, `gateway grew ${Math.round(peak - baseline)} MiB over its ${Math.round(baseline)} MiB baseline while 100 MB were pushed`);
    call.cancel();
    client.close();
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});

it('many clients at once: request bytes in the store never pass the gateway-wide --memory-budget-bytes', async () => {
  const budget = 4 * 1024 * 1024;
  let inStore = 0;
  let peak = 0;
  let release: () => void = () => {};
  let gate = new Promise<void>((resolve) => (release = resolve));
  await using t = await startTestGateway(
    { memoryBudgetBytes: budget, maxMessageBytes: 16 * 1024 * 1024 },
    {
      wrapStore: (store) => ({
        description: 'measured',
        async write(batch) {
          const bytes = batch.entries.reduce((n, e) => n + e.bytes.length, 0);
          inStore += bytes;
          peak = Math.max(peak, inStore);
          await gate;
          try {
            return await store.write(batch);
          } finally {
            inStore -= bytes;
          }
        },
        health: () => store.health(),
        close: () => store.close(),
      }),
    },
  );
  // 6 clients x 2 payloads of ~1.5 MB: 18 MB offered, 8 payloads per stream allowed in flight.
  const payload = Array.from({ length: 3000 }, () => testEvent({ featureFlags: { flags: { pad: 'p'.repeat(450) } } }));
  const calls = Array.from({ length: 6 }, (_, i) => {
    const call = t.client().openRecordEvents();
    const result = collect(call);
    call.write(metadataRequest(unlicensed(`budget-${i}`)));
    call.write(eventsRequest(payload.map((e) => ({ ...e, id: `${e.id}-${i}-a` }))));
    call.write(eventsRequest(payload.map((e) => ({ ...e, id: `${e.id}-${i}-b` }))));
    call.end();
    return result;
  });
  // Let whatever the budget admits reach the store, then let the store go.
  await pollUntil('payloads to reach the store', () => (peak > 0 ? true : undefined), 10_000);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const heldWhileBlocked = peak;
  release();
  gate = Promise.resolve();
  for (const result of await Promise.all(calls)) assert.equal(result.responses.flat().length, 6000);
  // Before: every payload of every stream went to the store at once (18 MB).
  assert.ok(heldWhileBlocked <= budget, `${heldWhileBlocked} bytes were in the store at once (budget ${budget})`);
  assert.ok(peak <= budget, `${peak} bytes were in the store at once (budget ${budget})`);
});
