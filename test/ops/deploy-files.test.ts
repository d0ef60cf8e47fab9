import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
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
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

const hasPyYaml = spawnSync('python3', ['-c', 'import yaml'], { stdio: 'ignore' }).status === 0;
const skipYaml = hasPyYaml ? false : 'python3 with PyYAML is needed to parse YAML (no YAML parser among our dependencies)';

function yamlDocs(file: string): Doc[] {
  const script = 'import sys, json, yaml; print(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None]))';
  const result = spawnSync('python3', ['-c', script, file], { encoding: 'utf8' });
  assert.equal(result.status, 0, `${file} does not parse: ${result.stderr}`);
  return JSON.parse(result.stdout) as Doc[];
}

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
  it('Kubernetes manifests: parse, selectors agree, hardened, probes without secrets, grace outlasts the drain', { skip: skipYaml }, async () => {
    const docs = ['gateway.yaml', 'nats-postgres-example.yaml', 'kustomization.yaml'].flatMap((f) => yamlDocs(join(DEPLOY, 'kubernetes', f)));
    for (const doc of docs) assert.ok(doc.apiVersion && doc.kind, 'apiVersion and kind');
    const deployments = docs.filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet');
    const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
    for (const d of deployments) {
      assert.ok(matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels), `${d.metadata.name}: selector matches its pods`);
      for (const c of d.spec.template.spec.containers) {
        assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${c.name}: no privilege escalation`);
        assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${c.name}: capabilities dropped`);
      }
      assert.ok(d.spec.template.spec.securityContext?.runAsNonRoot, `${d.metadata.name}: runs as non-root`);
    }
    for (const pdb of byKind('PodDisruptionBudget')) {
      assert.ok(deployments.some((d) => matches(pdb.spec.selector.matchLabels, d.spec.template.metadata.labels)), `PDB ${pdb.metadata.name} selects pods`);
    }
    for (const svc of byKind('Service')) {
      const target = deployments.find((d) => matches(svc.spec.selector, d.spec.template.metadata.labels));
      assert.ok(target, `Service ${svc.metadata.name} selects pods`);
      const ports = target.spec.template.spec.containers.flatMap((c: Doc) => c.ports ?? []);
      for (const p of svc.spec.ports) {
        assert.ok(ports.some((cp: Doc) => cp.name === p.targetPort || cp.containerPort === p.targetPort), `Service ${svc.metadata.name} port ${p.name}`);
      }
    }

    const images = deployments.flatMap((d) => d.spec.template.spec.containers.filter((c: Doc) => String(c.image).includes('telemetry-gateway')).map((c: Doc) => ({ d, c })));
    assert.ok(images.length >= 2, 'gateway and sink use the image');
    await using t = await startTestGateway({ diagnosticsSecret: 'deploy-probe-secret' });
    for (const { d, c } of images) {
      const env = Object.fromEntries((c.env ?? []).map((e: Doc) => [e.name, e.value ?? '(from a secret)']));
      checkEnv(`${d.metadata.name}/${c.name}`, c.args[0], env);
      if (c.args[0] !== 'serve') continue;
      assert.ok(c.readinessProbe && c.livenessProbe && c.startupProbe, 'gateway has startup, liveness and readiness probes');
      const liveness = c.livenessProbe.httpGet?.path as string;
      const answered = await fetch(`http://${t.gateway.address}${liveness}`);
      assert.equal(answered.status, 200, `liveness ${liveness} answers without the diagnostics secret or the store`);
      assert.ok(c.readinessProbe.grpc || c.readinessProbe.httpGet, 'readiness probe');
      const shutdownMs = Number(env.TELEMETRY_GATEWAY_SERVE_SHUTDOWN_TIMEOUT_MS ?? 30_000);
      const preStopS = Number(c.lifecycle?.preStop?.exec?.command?.at(-1) ?? 0);
      assert.ok(d.spec.template.spec.terminationGracePeriodSeconds * 1000 > shutdownMs + preStopS * 1000, 'grace period outlasts preStop plus the drain');
    }
  });

  it('compose file and Envoy config: parse, references resolve, variables are settings', { skip: skipYaml }, () => {
    const [compose] = yamlDocs(join(DEPLOY, 'compose', 'compose.yaml'));
    const services = compose!.services as Record<string, Doc>;
    for (const [name, service] of Object.entries(services)) {
      for (const dep of Object.keys(Array.isArray(service.depends_on) ? Object.fromEntries(service.depends_on.map((n: string) => [n, 1])) : (service.depends_on ?? {}))) {
        assert.ok(services[dep], `${name} depends on ${dep}, which exists`);
      }
      for (const volume of service.volumes ?? []) {
        const source = String(volume).split(':')[0]!;
        if (source.startsWith('.')) assert.ok(existsSync(join(DEPLOY, 'compose', source)), `${name} mounts ${source}, which exists`);
        else assert.ok(source in (compose!.volumes ?? {}), `${name} mounts named volume ${source}`);
      }
      if (String(service.image).startsWith('telemetry-gateway')) checkEnv(`compose ${name}`, service.command[0], service.environment ?? {});
    }
    assert.ok(services.gateway!.deploy.replicas >= 2, 'several replicas');

    const [envoy] = yamlDocs(join(DEPLOY, 'envoy', 'envoy.yaml'));
    const clusters = new Set(envoy!.static_resources.clusters.map((c: Doc) => c.name));
    const routes = JSON.stringify(envoy!.static_resources.listeners).match(/"cluster":"([^"]+)"/g) ?? [];
    assert.ok(routes.length > 0);
    for (const route of routes) assert.ok(clusters.has(route.slice(11, -1)), `${route} is a defined cluster`);
    assert.ok(JSON.stringify(envoy).includes('max_connection_duration'), 'a maximum connection age');
    assert.ok(JSON.stringify(envoy).includes('grpc_health_check'), 'replicas health-checked over gRPC');
  });

  it('NATS configurations are valid to nats-server', (t) => {
    const check = spawnSync('nats-server', ['--version'], { stdio: 'ignore' });
    if (check.error) return t.skip('nats-server is not installed');
    const result = spawnSync('nats-server', ['-c', join(DEPLOY, 'compose', 'nats.conf'), '-t'], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    if (!hasPyYaml) return;
    const configMap = yamlDocs(join(DEPLOY, 'kubernetes', 'nats-postgres-example.yaml')).find((d) => d.kind === 'ConfigMap');
    const dir = mkdtempSync(join(tmpdir(), 'tgw-nats-conf-'));
    try {
      writeFileSync(join(dir, 'nats.conf'), configMap!.data['nats.conf']);
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
