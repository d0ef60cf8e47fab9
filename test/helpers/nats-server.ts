import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './temp-dir.js';

/** The nats-server binary: NATS_SERVER_BIN, else the first found on PATH or in /usr/sbin. */
export function natsServerBinary(): string | undefined {
  if (process.env.NATS_SERVER_BIN) return process.env.NATS_SERVER_BIN;
  const found = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  return existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : undefined;
}

/** Skip reason when no nats-server binary can be run (a failure when CI=true). */
export function requireNatsServerBinary(): string | false {
  if (natsServerBinary()) return false;
  const reason = 'no nats-server binary (set NATS_SERVER_BIN or install nats-server)';
  if (process.env.CI === 'true') throw new Error(`CI requires ${reason}`);
  return reason;
}

export interface TestNatsServer {
  url: string;
  /** Stops the server (SIGTERM: a clean shutdown; SIGKILL: a crash) and starts it again on the same port and store. */
  restart(signal?: NodeJS.Signals): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A private JetStream server on a free loopback port with its own store
 * directory, so a test can restart it without touching the machine's server.
 */
export async function startNatsServer(): Promise<TestNatsServer> {
  const binary = natsServerBinary();
  if (!binary) throw new Error('no nats-server binary');
  const dir = tempDir('tgw-nats-');
  const port = await freePort();
  let child = await launch(binary, port, join(dir.path, 'jetstream'));
  return {
    url: `nats://127.0.0.1:${port}`,
    async restart(signal = 'SIGTERM') {
      await stop(child, signal);
      child = await launch(binary, port, join(dir.path, 'jetstream'));
    },
    async [Symbol.asyncDispose]() {
      await stop(child, 'SIGTERM');
      dir[Symbol.dispose]();
    },
  };
}

async function launch(binary: string, port: number, storeDir: string): Promise<ChildProcess> {
  const child = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nats-server did not start within 15 s:\n${log}`)), 15_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('Server is ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited with ${code}:\n${log}`));
    });
  });
  child.stderr!.resume();
  return child;
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
