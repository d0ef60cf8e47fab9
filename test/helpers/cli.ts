import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CLI, REPO } from './paths.js';
import { appendTestLog, withDebugLogs } from './test-log.js';

const mtimeMs = (path: string): number => statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? -1;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

/**
 * Sources newer than what was built from them: each .ts under src/ against its
 * .js under dist/ (a missing one counts as older), and web/src against the
 * dashboard bundle. In-process tests run src/ through tsx; the CLI runs dist/, so a CLI
 * test after an edit without a build would test yesterday's code.
 */
function staleSources(): string[] {
  const src = join(REPO, 'src');
  const stale = files(src)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .filter((file) => mtimeMs(join(REPO, 'dist', relative(src, file)).replace(/\.ts$/, '.js')) < mtimeMs(file));
  const bundle = mtimeMs(join(REPO, 'dist/web/app.js'));
  stale.push(...files(join(REPO, 'web/src')).filter((file) => bundle < mtimeMs(file)));
  return stale.map((file) => relative(REPO, file));
}

/** The built CLI's path, once it is known to be built from the current sources; throws "run npm run build" otherwise. */
export function builtCli(): string {
  const stale = staleSources();
  if (stale.length > 0) {
    const listed = stale.slice(0, 5).join(', ') + (stale.length > 5 ? ` and ${stale.length - 5} more` : '');
    throw new Error(`dist/ is older than ${listed}: run npm run build (CLI tests run the built CLI)`);
  }
  return CLI;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI to completion (bounded by a timeout). */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliResult> {
  const cli = builtCli();
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [cli, ...args],
      { cwd: options.cwd, env: { ...process.env, ...options.env }, timeout: 60_000, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        appendTestLog(stderr);
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

export interface ServeProcess {
  child: ChildProcess;
  address: string;
  stderr: () => string;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `serve` as a child process and waits for the address it prints. */
export async function startServe(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), builtCli(), 'serve', ...withDebugLogs(args)], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.once('exit', () => appendTestLog(stderr));
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start within 30 s; stderr:\n${stderr}`)), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /serving on (\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before serving; stderr:\n${stderr}`));
    });
  });
  return {
    child,
    address,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}
