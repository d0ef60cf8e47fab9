import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { serveCommand } from '../../src/cli/serve.js';
import { sinkCommand } from '../../src/cli/sink.js';
import { envName } from '../../src/config/settings.js';
import { startTestGateway } from '../helpers/gateway.js';

/**
 * Sanity of the deployment files (no container engine or cluster here): they
 * parse, their names and selectors agree, every TELEMETRY_GATEWAY_* variable
 * is a setting of the command it is given to, probes hit endpoints that answer
 * without the diagnostics secret, and grace periods outlast the drain.
 */
const DEPLOY = 'deploy';

/** Every document of a YAML file (empty ones dropped), as the `yaml` package reads it (merge keys on, as Compose has them). */
function yamlDocs(file: string): unknown[] {
  return parseAllDocuments(readFileSync(file, 'utf8'), { merge: true }).flatMap((doc) => {
    assert.deepEqual(doc.errors, [], `${file} does not parse`);
    const value: unknown = doc.toJS();
    return value === null || value === undefined ? [] : [value];
  });
}

/** Parses `value` with `schema`; a shape it does not have fails the test with the path of what is wrong. */
function shaped<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  assert.ok(result.success, `${what}: ${result.error?.message}`);
  return result.data;
}

// Only the fields the checks below read; z.object drops the rest.
const Labels = z.record(z.string(), z.string());
const Probe = z.object({ httpGet: z.object({ path: z.string() }).optional(), grpc: z.object({ port: z.union([z.number(), z.string()]) }).optional() });
const Container = z.object({
  name: z.string(),
  image: z.string(),
  args: z.array(z.string()).optional(),
  env: z.array(z.object({ name: z.string(), value: z.string().optional() })).optional(),
  ports: z.array(z.object({ name: z.string().optional(), containerPort: z.number() })).optional(),
  securityContext: z.object({ allowPrivilegeEscalation: z.boolean().optional(), capabilities: z.object({ drop: z.array(z.string()).optional() }).optional() }).optional(),
  readinessProbe: Probe.optional(),
  livenessProbe: Probe.optional(),
  startupProbe: Probe.optional(),
  lifecycle: z.object({ preStop: z.object({ exec: z.object({ command: z.array(z.string()) }).optional() }).optional() }).optional(),
});
const KubernetesObject = z.object({ apiVersion: z.string().min(1), kind: z.string().min(1), metadata: z.object({ name: z.string() }).optional() });
const Workload = z.object({
  kind: z.enum(['Deployment', 'StatefulSet']),
  metadata: z.object({ name: z.string() }),
  spec: z.object({
    selector: z.object({ matchLabels: Labels }),
    template: z.object({
      metadata: z.object({ labels: Labels }),
      spec: z.object({
        containers: z.array(Container),
        securityContext: z.object({ runAsNonRoot: z.boolean().optional() }).optional(),
        terminationGracePeriodSeconds: z.number().optional(),
      }),
    }),
  }),
});
const DisruptionBudget = z.object({ metadata: z.object({ name: z.string() }), spec: z.object({ selector: z.object({ matchLabels: Labels }) }) });
const Service = z.object({
  metadata: z.object({ name: z.string() }),
  spec: z.object({ selector: Labels, ports: z.array(z.object({ name: z.string(), targetPort: z.union([z.string(), z.number()]) })) }),
});
const ConfigMap = z.object({ kind: z.literal('ConfigMap'), data: z.record(z.string(), z.string()) });
const ComposeFile = z.object({
  services: z.record(
    z.string(),
    z.object({
      image: z.string(),
      command: z.array(z.string()).optional(),
      depends_on: z.union([z.array(z.string()), z.record(z.string(), z.unknown())]).optional(),
      volumes: z.array(z.string()).optional(),
      environment: z.record(z.string(), z.unknown()).optional(),
      deploy: z.object({ replicas: z.number() }).optional(),
    }),
  ),
  volumes: z.record(z.string(), z.unknown()).optional(),
});
const EnvoyConfig = z.object({ static_resources: z.object({ clusters: z.array(z.object({ name: z.string() })), listeners: z.array(z.unknown()) }) });

const settingEnv = (command: { options: readonly { long?: string }[] }, section: 'serve' | 'sink'): Set<string> =>
  new Set(command.options.flatMap((o) => (o.long && o.long !== '--config' ? [envName(o.long.slice(2), section)] : [])));
const SERVE_ENV = settingEnv(serveCommand(), 'serve');
const SINK_ENV = settingEnv(sinkCommand(), 'sink');

function checkEnv(where: string, command: string, env: Record<string, unknown>): void {
  const known = command === 'serve' ? SERVE_ENV : command === 'sink' ? SINK_ENV : undefined;
  assert.ok(known, `${where}: unknown command ${command}`);
  for (const name of Object.keys(env).filter((n) => n.startsWith('TELEMETRY_GATEWAY_'))) {
    assert.ok(known.has(name), `${where}: ${name} is not a setting of ${command}`);
  }
}

const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('deployment files', () => {
  it('Kubernetes manifests: parse, selectors agree, hardened, probes without secrets, grace outlasts the drain', async () => {
    const docs = ['gateway.yaml', 'nats-postgres-example.yaml', 'kustomization.yaml'].flatMap((f) =>
      yamlDocs(join(DEPLOY, 'kubernetes', f)).map((doc, i) => ({ doc, kind: shaped(KubernetesObject, doc, `${f} document ${i + 1}: apiVersion and kind`).kind })),
    );
    const ofKind = <T>(kinds: readonly string[], schema: z.ZodType<T>): T[] =>
      docs.filter((d) => kinds.includes(d.kind)).map((d, i) => shaped(schema, d.doc, `${d.kind} ${i + 1}`));
    const deployments = ofKind(['Deployment', 'StatefulSet'], Workload);
    for (const d of deployments) {
      assert.ok(matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels), `${d.metadata.name}: selector matches its pods`);
      for (const c of d.spec.template.spec.containers) {
        assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${c.name}: no privilege escalation`);
        assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${c.name}: capabilities dropped`);
      }
      assert.ok(d.spec.template.spec.securityContext?.runAsNonRoot, `${d.metadata.name}: runs as non-root`);
    }
    for (const pdb of ofKind(['PodDisruptionBudget'], DisruptionBudget)) {
      assert.ok(deployments.some((d) => matches(pdb.spec.selector.matchLabels, d.spec.template.metadata.labels)), `PDB ${pdb.metadata.name} selects pods`);
    }
    for (const svc of ofKind(['Service'], Service)) {
      const target = deployments.find((d) => matches(svc.spec.selector, d.spec.template.metadata.labels));
      assert.ok(target, `Service ${svc.metadata.name} selects pods`);
      const ports = target.spec.template.spec.containers.flatMap((c) => c.ports ?? []);
      for (const p of svc.spec.ports) {
        assert.ok(ports.some((cp) => cp.name === p.targetPort || cp.containerPort === p.targetPort), `Service ${svc.metadata.name} port ${p.name}`);
      }
    }

    const images = deployments.flatMap((d) => d.spec.template.spec.containers.filter((c) => c.image.includes('telemetry-gateway')).map((c) => ({ d, c })));
    assert.ok(images.length >= 2, 'gateway and sink use the image');
    await using t = await startTestGateway({ diagnosticsSecret: 'deploy-probe-secret' });
    for (const { d, c } of images) {
      const env: Record<string, string> = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? '(from a secret)']));
      const command = c.args?.[0];
      assert.ok(command, `${d.metadata.name}/${c.name}: args name the command`);
      checkEnv(`${d.metadata.name}/${c.name}`, command, env);
      if (command !== 'serve') continue;
      assert.ok(c.readinessProbe && c.livenessProbe && c.startupProbe, 'gateway has startup, liveness and readiness probes');
      const liveness = c.livenessProbe.httpGet?.path;
      assert.ok(liveness, 'liveness probe is an HTTP GET');
      const answered = await fetch(`http://${t.gateway.address}${liveness}`);
      assert.equal(answered.status, 200, `liveness ${liveness} answers without the diagnostics secret or the store`);
      assert.ok(c.readinessProbe.grpc || c.readinessProbe.httpGet, 'readiness probe');
      const shutdownMs = Number(env.TELEMETRY_GATEWAY_SERVE_SHUTDOWN_TIMEOUT_MS ?? 30_000);
      const preStopS = Number(c.lifecycle?.preStop?.exec?.command.at(-1) ?? 0);
      const graceS = d.spec.template.spec.terminationGracePeriodSeconds;
      assert.ok(graceS !== undefined && graceS * 1000 > shutdownMs + preStopS * 1000, 'grace period outlasts preStop plus the drain');
    }
  });

  it('compose file and Envoy config: parse, references resolve, variables are settings', () => {
    const [composeDoc] = yamlDocs(join(DEPLOY, 'compose', 'compose.yaml'));
    const compose = shaped(ComposeFile, composeDoc, 'compose.yaml');
    const services = compose.services;
    for (const [name, service] of Object.entries(services)) {
      const dependsOn = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
      for (const dep of dependsOn) assert.ok(services[dep], `${name} depends on ${dep}, which exists`);
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.')) assert.ok(existsSync(join(DEPLOY, 'compose', source)), `${name} mounts ${source}, which exists`);
        else assert.ok(source in (compose.volumes ?? {}), `${name} mounts named volume ${source}`);
      }
      if (service.image.startsWith('telemetry-gateway')) {
        const command = service.command?.[0];
        assert.ok(command, `compose ${name}: command names the command`);
        checkEnv(`compose ${name}`, command, service.environment ?? {});
      }
    }
    assert.ok((services.gateway?.deploy?.replicas ?? 0) >= 2, 'several replicas');

    const [envoyDoc] = yamlDocs(join(DEPLOY, 'envoy', 'envoy.yaml'));
    const envoy = shaped(EnvoyConfig, envoyDoc, 'envoy.yaml');
    const clusters = new Set(envoy.static_resources.clusters.map((c) => c.name));
    const routes = JSON.stringify(envoy.static_resources.listeners).match(/"cluster":"([^"]+)"/g) ?? [];
    assert.ok(routes.length > 0);
    for (const route of routes) assert.ok(clusters.has(route.slice(11, -1)), `${route} is a defined cluster`);
    assert.ok(JSON.stringify(envoyDoc).includes('max_connection_duration'), 'a maximum connection age');
    assert.ok(JSON.stringify(envoyDoc).includes('grpc_health_check'), 'replicas health-checked over gRPC');
  });

  it('NATS configurations are valid to nats-server', (t) => {
    const check = spawnSync('nats-server', ['--version'], { stdio: 'ignore' });
    if (check.error) return t.skip('nats-server is not installed');
    const result = spawnSync('nats-server', ['-c', join(DEPLOY, 'compose', 'nats.conf'), '-t'], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const configMap = yamlDocs(join(DEPLOY, 'kubernetes', 'nats-postgres-example.yaml'))
      .map((doc) => ConfigMap.safeParse(doc))
      .find((parsed) => parsed.success)?.data;
    const natsConf = configMap?.data['nats.conf'];
    assert.ok(natsConf, 'the example has a ConfigMap with nats.conf');
    const dir = mkdtempSync(join(tmpdir(), 'tgw-nats-conf-'));
    try {
      writeFileSync(join(dir, 'nats.conf'), natsConf);
      const k8s = spawnSync('nats-server', ['-c', join(dir, 'nats.conf'), '-t'], { encoding: 'utf8', env: { ...process.env, SERVER_NAME: 'nats-0' } });
      assert.equal(k8s.status, 0, k8s.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('systemd unit: hardened, starts serve, stops after the drain; systemd-analyze verify passes where available', (t) => {
    const unit = readFileSync(join(DEPLOY, 'systemd', 'telemetry-gateway.service'), 'utf8');
    const sections = new Map<string, Map<string, string[]>>();
    let current: Map<string, string[]> | undefined;
    for (const raw of unit.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const header = /^\[(\w+)\]$/.exec(line);
      if (header) sections.set(header[1]!, (current = new Map()));
      else {
        const eq = line.indexOf('=');
        assert.ok(current && eq > 0, `a key=value line in a section: ${line}`);
        current.set(line.slice(0, eq), [...(current.get(line.slice(0, eq)) ?? []), line.slice(eq + 1)]);
      }
    }
    const service = sections.get('Service')!;
    assert.deepEqual([...sections.keys()], ['Unit', 'Service', 'Install']);
    assert.match(service.get('ExecStart')![0]!, /bin\/telemetry-gateway\.js serve$/);
    for (const key of ['NoNewPrivileges', 'ProtectSystem', 'PrivateTmp', 'DynamicUser', 'RestrictAddressFamilies', 'SystemCallFilter']) {
      assert.ok(service.has(key), `${key} is set`);
    }
    assert.ok(Number.parseInt(service.get('TimeoutStopSec')![0]!, 10) > 30, 'stop timeout outlasts the 30 s drain');
    const env = readFileSync(join(DEPLOY, 'systemd', 'telemetry-gateway.env'), 'utf8');
    const vars = Object.fromEntries([...env.matchAll(/^#?\s*(TELEMETRY_GATEWAY_\w+)=/gm)].map((m) => [m[1]!, 1]));
    checkEnv('telemetry-gateway.env', 'serve', vars);

    const analyze = spawnSync('systemd-analyze', ['verify', join(DEPLOY, 'systemd', 'telemetry-gateway.service')], { encoding: 'utf8' });
    if (analyze.error || !existsSync('/usr/bin/node')) return t.skip('systemd-analyze or /usr/bin/node missing');
    assert.equal(analyze.status, 0, analyze.stderr);
    assert.equal(analyze.stderr.trim(), '', 'no warnings');
  });

  it('Containerfile: multi-stage, production dependencies only, non-root, healthcheck on an endpoint that answers', async () => {
    const text = readFileSync(join(DEPLOY, 'Containerfile'), 'utf8').replace(/\\\n/g, ' ');
    const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    const froms = lines.map((l, i) => [l, i] as const).filter(([l]) => l.startsWith('FROM '));
    assert.ok(froms.length >= 2, 'multi-stage');
    const final = lines.slice(froms.at(-1)![1]);
    const user = final.filter((l) => l.startsWith('USER ')).at(-1);
    assert.ok(user && !/^USER (root|0)\b/.test(user), `final stage runs as a non-root user (${user})`);
    assert.ok(lines.some((l) => /npm (prune|ci|install) .*--omit=dev/.test(l)), 'production dependencies only');
    assert.ok(!final.some((l) => /npm (ci|install)\b/.test(l)), 'nothing installed in the runtime stage');
    for (const l of lines.filter((x) => x.startsWith('COPY ') && !x.includes('--from='))) {
      for (const source of l.split(/\s+/).slice(1, -1)) assert.ok(existsSync(source), `COPY source ${source} exists`);
    }
    const healthcheck = final.find((l) => l.startsWith('HEALTHCHECK '));
    assert.ok(healthcheck, 'HEALTHCHECK');
    const path = /http:\/\/127\.0\.0\.1:10080(\/[^'"]*)/.exec(healthcheck)?.[1];
    assert.ok(path, 'healthcheck requests an HTTP path on the default port');
    await using t = await startTestGateway({ diagnosticsSecret: 'deploy-probe-secret' });
    assert.equal((await fetch(`http://${t.gateway.address}${path}`)).status, 200, `${path} answers without the secret`);
    assert.ok(existsSync(join(DEPLOY, 'Containerfile.dockerignore')));
  });
});
