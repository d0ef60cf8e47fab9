import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { scrubDiagMessage } from '../../src/adapters/tracing/diag-logger.js';
import { tracingSettings } from '../../src/config/tracing-config.js';
import { runCli, startServe } from '../helpers/cli.js';
import { REPO, TESTDATA } from '../helpers/paths.js';
import { pollUntil } from '../helpers/poll.js';
import { tempDir } from '../helpers/temp-dir.js';

/** One span as OTLP/JSON carries it, with its resource's service.name. */
interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpKeyValue {
  key: string;
  value: OtlpValue;
}
interface OtlpTraces {
  resourceSpans: {
    resource: { attributes: OtlpKeyValue[] };
    scopeSpans: { spans: (Omit<ReceivedSpan, 'attributes' | 'service'> & { attributes?: OtlpKeyValue[] })[] }[];
  }[];
}

const valueOf = (v: OtlpValue): string | number | boolean => v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.doubleValue ?? v.boolValue ?? ''));
const attributesOf = (list: OtlpKeyValue[] = []): Record<string, string | number | boolean> => Object.fromEntries(list.map((kv) => [kv.key, valueOf(kv.value)]));

/** An OTLP/HTTP receiver on 127.0.0.1: POST /v1/traces with JSON bodies (OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json). */
async function startOtlpReceiver(): Promise<{ endpoint: string; bodies: string[]; contentTypes: string[]; spans: ReceivedSpan[]; [Symbol.asyncDispose](): Promise<void> }> {
  const bodies: string[] = [];
  const contentTypes: string[] = [];
  const spans: ReceivedSpan[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      bodies.push(body);
      contentTypes.push(request.headers['content-type'] ?? '');
      if (request.method === 'POST' && request.url === '/v1/traces' && request.headers['content-type'] === 'application/json') {
        const traces = JSON.parse(body) as OtlpTraces;
        for (const { resource, scopeSpans } of traces.resourceSpans) {
          const service = String(attributesOf(resource.attributes)['service.name']);
          for (const { spans: list } of scopeSpans) for (const span of list) spans.push({ ...span, service, parentSpanId: span.parentSpanId ?? '', attributes: attributesOf(span.attributes) });
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/v1/traces`,
    bodies,
    contentTypes,
    spans,
    // Closed however the test ends: a gateway that refuses to start must fail the test, not leave
    // this server holding the process open until the runner's timeout.
    [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const LICENSE_KEY = readFileSync(join(TESTDATA, 'license/valid-ed25519.key'), 'utf8').trim();
const VENDOR_KEY = join(TESTDATA, 'license/vendor_ed25519.pub');
const CANARY = 'canary-private-value-7f3e';
const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3 } as const;
/** No variable of the test runner's environment may turn tracing on or off behind the test's back. */
const withoutOtel = (): NodeJS.ProcessEnv => Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_')));

describe('tracing (OpenTelemetry, OTLP/HTTP)', () => {
  it('an export run and the gateway handling it form one trace: run, RecordEvents client call, server call, payload, store write; no secret in any attribute', async () => {
    using dir = tempDir();
    await using receiver = await startOtlpReceiver();
    const otel = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '50' };
    const serve = await startServe(
      ['--listen', '127.0.0.1:0', '--store', `sqlite:${join(dir.path, 'telemetry.db')}`, '--license-public-key', VENDOR_KEY, '--privacy-allowlist', 'search::submitted::query'],
      { env: { ...withoutOtel(), ...otel, OTEL_SERVICE_NAME: 'gateway-under-test' } },
    );
    try {
      assert.match(serve.stderr(), /tracing on/);
      const env = { ...withoutOtel(), TELEMETRY_GATEWAY_QUEUE: `sqlite:${join(dir.path, 'queue.db')}` };
      const recorded = await runCli(['record', 'search', 'submitted', '--private-metadata', JSON.stringify({ query: CANARY }), '--allowlist', 'search::submitted::query'], { env });
      assert.equal(recorded.code, 0, recorded.stderr);
      const exported = await runCli(['export', '--gateway', `http://${serve.address}`, '--insecure', '--license-key', LICENSE_KEY, '--once'], {
        env: { ...env, ...otel, OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test' },
      });
      assert.equal(exported.code, 0, exported.stderr);
      assert.deepEqual(JSON.parse(exported.stdout), { sent: 1, acknowledged: 1, failed: 0, batches: 1 });

      // export --once sends its spans before it exits; the gateway's come in its next batch (50 ms).
      const find = (name: string, service: string): ReceivedSpan | undefined => receiver.spans.find((s) => s.name === name && s.service === service);
      const RPC = 'telemetrygateway.v1.TelemeteryGatewayService/RecordEvents';
      const run = find('telemetry_gateway.export', 'telemetry-gateway-exporter');
      const client = find(RPC, 'telemetry-gateway-exporter');
      assert.ok(run && client, `exporter spans: ${receiver.spans.map((s) => s.name).join(', ')}`);
      const write = await pollUntil('the gateway\'s store write span', () => find('telemetry_gateway.store.write', 'gateway-under-test'));
      const server = await pollUntil('the gateway\'s call span', () => find(RPC, 'gateway-under-test'));
      const payload = await pollUntil('the gateway\'s payload span', () => find('telemetry_gateway.payload', 'gateway-under-test'));

      // One trace, parent to child: run -> client call -> server call -> payload -> store write.
      for (const span of [client, server, payload, write]) assert.equal(span.traceId, run.traceId, `${span.name} is in the run's trace`);
      assert.equal(client.parentSpanId, run.spanId);
      assert.equal(server.parentSpanId, client.spanId, "the gateway's call span is the child of the exporter's");
      assert.equal(payload.parentSpanId, server.spanId);
      assert.equal(write.parentSpanId, payload.spanId);
      assert.equal(client.kind, SPAN_KIND.CLIENT);
      assert.equal(server.kind, SPAN_KIND.SERVER);

      assert.equal(run.attributes['telemetry_gateway.events.acknowledged'], 1);
      assert.equal(client.attributes['rpc.grpc.status_code'], 0);
      assert.equal(server.attributes['rpc.system'], 'grpc');
      assert.equal(server.attributes['rpc.grpc.status_code'], 0);
      assert.equal(server.attributes['telemetry_gateway.source.kind'], 'licensed_instance');
      assert.equal(server.attributes['telemetry_gateway.payloads'], 1);
      assert.equal(payload.attributes['telemetry_gateway.events'], 1);
      assert.equal(payload.attributes['telemetry_gateway.events.stored'], 1);
      assert.equal(payload.attributes['telemetry_gateway.events.acknowledged'], 1);
      assert.equal(write.attributes['telemetry_gateway.store.kind'], 'sqlite');
      assert.equal(write.attributes['telemetry_gateway.entries'], 1);

      // Bounded attributes: nothing of the license key, the private metadata, the event id or the paths.
      const { id } = JSON.parse(recorded.stdout) as { id: string };
      const everything = receiver.bodies.join('\n');
      for (const secret of [LICENSE_KEY, LICENSE_KEY.slice(0, 40), CANARY, id, dir.path]) assert.ok(!everything.includes(secret), `a span carries ${secret.slice(0, 12)}...`);
      assert.equal(await serve.stop(), 0);
    } finally {
      await serve.stop();
    }
  });

  it('a managed service\'s unary RecordEvent: client and server call spans in one trace, payload and store write; a refused call ends with its code', async () => {
    using dir = tempDir();
    await using receiver = await startOtlpReceiver();
    const created = JSON.parse((await runCli(['token', 'create', '--name', 'traced-service'])).stdout) as { token: string; entry: unknown };
    const tokens = join(dir.path, 'tokens.json');
    writeFileSync(tokens, JSON.stringify([created.entry]));
    const otel = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '50' };
    const serve = await startServe(['--listen', '127.0.0.1:0', '--store', 'memory:', '--service-tokens', tokens], { env: { ...withoutOtel(), ...otel } });
    try {
      const env = { ...withoutOtel(), ...otel, TELEMETRY_GATEWAY_QUEUE: `sqlite:${join(dir.path, 'queue.db')}` };
      assert.equal((await runCli(['record', 'search', 'submitted'], { env })).code, 0);
      const args = ['export', '--gateway', `http://${serve.address}`, '--insecure', '--service-id', 'traced-service', '--once'];
      const refused = await runCli(args, { env: { ...env, TELEMETRY_GATEWAY_EXPORT_SERVICE_TOKEN: `${created.token}x` } });
      assert.notEqual(refused.code, 0);
      const exported = await runCli(args, { env: { ...env, TELEMETRY_GATEWAY_EXPORT_SERVICE_TOKEN: created.token } });
      assert.equal(exported.code, 0, exported.stderr);
      assert.equal(JSON.parse(exported.stdout).acknowledged, 1);

      const RPC = 'telemetrygateway.v1.TelemeteryGatewayService/RecordEvent';
      const clients = receiver.spans.filter((s) => s.name === RPC && s.kind === SPAN_KIND.CLIENT);
      assert.equal(clients.length, 2, 'one client span per call');
      const [failedClient, client] = [clients.find((s) => s.attributes['rpc.grpc.status_code'] !== 0)!, clients.find((s) => s.attributes['rpc.grpc.status_code'] === 0)!];
      const serverOf = (parent: ReceivedSpan) => () => receiver.spans.find((s) => s.kind === SPAN_KIND.SERVER && s.parentSpanId === parent.spanId);
      const server = await pollUntil('the gateway\'s span of the accepted call', serverOf(client));
      const refusedServer = await pollUntil('the gateway\'s span of the refused call', serverOf(failedClient));
      assert.equal(server.traceId, client.traceId);
      assert.equal(server.name, RPC);
      assert.equal(server.attributes['telemetry_gateway.source.kind'], 'managed_service');
      assert.equal(refusedServer.attributes['rpc.grpc.status_code'], failedClient.attributes['rpc.grpc.status_code']);
      assert.notEqual(refusedServer.attributes['rpc.grpc.status_code'], 0);
      const payload = await pollUntil('the payload span', () => receiver.spans.find((s) => s.name === 'telemetry_gateway.payload' && s.parentSpanId === server.spanId));
      const write = await pollUntil('the store write span', () => receiver.spans.find((s) => s.name === 'telemetry_gateway.store.write' && s.parentSpanId === payload.spanId));
      assert.equal(payload.attributes['telemetry_gateway.events.stored'], 1);
      assert.equal(write.attributes['telemetry_gateway.store.kind'], 'memory');
      assert.ok(!receiver.bodies.join('\n').includes(created.token), 'no span carries the token');
    } finally {
      await serve.stop();
    }
  });

  it('is off without an OTLP endpoint (or with OTEL_SDK_DISABLED): serve and export work and nothing is sent', async () => {
    using dir = tempDir();
    await using receiver = await startOtlpReceiver();
    const serve = await startServe(['--listen', '127.0.0.1:0', '--store', `sqlite:${join(dir.path, 'telemetry.db')}`], {
      env: { ...withoutOtel(), OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'not-traced' },
    });
    try {
      const env = { ...withoutOtel(), TELEMETRY_GATEWAY_QUEUE: `sqlite:${join(dir.path, 'queue.db')}` };
      assert.equal((await runCli(['record', 'search', 'submitted'], { env })).code, 0);
      const exported = await runCli(['export', '--gateway', `http://${serve.address}`, '--insecure', '--instance-id', 'untraced', '--once'], {
        env: { ...env, OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint.replace('/v1/traces', '') },
      });
      assert.equal(exported.code, 0, exported.stderr);
      assert.equal(JSON.parse(exported.stdout).acknowledged, 1);
      // Both processes have exited (and would have flushed their spans on the way out): nothing came.
      assert.equal(await serve.stop(), 0);
      assert.doesNotMatch(serve.stderr(), /tracing/);
      assert.deepEqual(receiver.bodies, []);
    } finally {
      await serve.stop();
    }
  });

  it('sends OTLP protobuf by default (OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces), and --help names the variables', async () => {
    using dir = tempDir();
    await using receiver = await startOtlpReceiver();
    try {
      // An empty queue: the run is traced and no connection is made.
      const env = { ...withoutOtel(), TELEMETRY_GATEWAY_QUEUE: `sqlite:${join(dir.path, 'queue.db')}`, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint.replace('/v1/traces', '') };
      const exported = await runCli(['export', '--gateway', 'http://127.0.0.1:1', '--insecure', '--instance-id', 'idle', '--once'], { env });
      assert.equal(exported.code, 0, exported.stderr);
      assert.deepEqual(receiver.contentTypes, ['application/x-protobuf']);
      assert.ok(receiver.bodies[0]!.includes('telemetry_gateway.export') && receiver.bodies[0]!.includes('telemetry-gateway-exporter'));
    } finally {
    }
    for (const command of ['serve', 'export']) assert.match((await runCli([command, '--help'])).stdout, /OTEL_EXPORTER_OTLP_ENDPOINT/);
  });

  it('a collector that never answers does not hold up an exit: the last spans are given up within the bound', async () => {
    using dir = tempDir();
    const held: import('node:http').ServerResponse[] = [];
    const silent = createServer((_request, response) => held.push(response));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const env = {
        ...withoutOtel(),
        TELEMETRY_GATEWAY_QUEUE: `sqlite:${join(dir.path, 'queue.db')}`,
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      };
      const exported = await runCli(['export', '--gateway', 'http://127.0.0.1:1', '--insecure', '--instance-id', 'idle', '--once'], { env });
      assert.equal(exported.code, 0, exported.stderr);
      assert.match(exported.stderr, /buffered spans not sent in time; dropped/);
      assert.ok(held.length > 0, 'the exporter tried');
    } finally {
      for (const response of held) response.destroy();
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('OTEL_* decide on and off as the SDK specification says', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    assert.deepEqual(tracingSettings({}), { enabled: false });
    assert.deepEqual(tracingSettings({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' }), { enabled: false });
    assert.deepEqual(tracingSettings(endpoint), { enabled: true, protocol: 'http/protobuf' });
    assert.deepEqual(tracingSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }), { enabled: true, protocol: 'http/json' });
    assert.deepEqual(tracingSettings({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }), { enabled: true, protocol: 'http/protobuf' });
    assert.deepEqual(tracingSettings({ ...endpoint, OTEL_SDK_DISABLED: 'TRUE' }), { enabled: false });
    assert.deepEqual(tracingSettings({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }), { enabled: false });
    assert.deepEqual(tracingSettings({ ...endpoint, OTEL_TRACES_EXPORTER: 'console,otlp' }), { enabled: true, protocol: 'http/protobuf' });
    assert.equal(tracingSettings({ ...endpoint, OTEL_TRACES_EXPORTER: 'zipkin' }).enabled, false);
    const grpc = tracingSettings({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
    assert.ok(!grpc.enabled && /grpc is not supported/.test(grpc.warning ?? ''));
  });

  it("the SDK's own warnings lose header values, URL credentials and query strings before they are logged", () => {
    assert.equal(scrubDiagMessage('Header "x-api-key" has invalid value (k3y) and will be ignored'), 'Header "x-api-key" has invalid value (hidden) and will be ignored');
    assert.equal(
      scrubDiagMessage("Configuration: Could not parse environment-provided export URL: 'https://user:pa55@collector:4318/v1/traces?key=s3cret', falling back to undefined"),
      "Configuration: Could not parse environment-provided export URL: 'https://(hidden)@collector:4318/v1/traces?(hidden)', falling back to undefined",
    );
    assert.equal(scrubDiagMessage('export request retryable (network error: Error: connect ECONNREFUSED 127.0.0.1:4318)'), 'export request retryable (network error: Error: connect ECONNREFUSED 127.0.0.1:4318)');
  });

  it('only start-tracing loads the SDK, and only with a dynamic import; the gateway and exporter use the API at most', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
    const sdk = /['"]@opentelemetry\/(?!api['"])[^'"]+['"]/;
    const loaders = files(join(REPO, 'src')).filter((file) => sdk.test(readFileSync(file, 'utf8'))).map((file) => relative(join(REPO, 'src'), file));
    assert.deepEqual(loaders, ['adapters/tracing/otel-sdk.ts']);
    const importers = files(join(REPO, 'src')).filter((file) => readFileSync(file, 'utf8').includes('otel-sdk.js'));
    assert.deepEqual(importers.map((file) => relative(join(REPO, 'src'), file)), ['adapters/tracing/start-tracing.ts']);
    assert.match(readFileSync(importers[0]!, 'utf8'), /import\('\.\/otel-sdk\.js'\)/);
    for (const folder of ['core', 'gateway']) {
      for (const file of files(join(REPO, 'src', folder))) assert.doesNotMatch(readFileSync(file, 'utf8'), /@opentelemetry\//, `${relative(REPO, file)} imports OpenTelemetry`);
    }
  });
});
