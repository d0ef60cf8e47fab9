import { appendFileSync, openSync } from 'node:fs';
import { createLogger, silentLogger, type Logger } from '../../src/logger.js';

/**
 * Every gateway and exporter the tests run logs at debug level into one file
 * (TGW_TEST_LOG, set by scripts/run-tests.mjs), which is scanned for the
 * secrets the tests used once they have finished: none may appear.
 */
const LOG_FILE = process.env.TGW_TEST_LOG;

let fd: number | undefined;

export function testLogger(): Logger {
  if (LOG_FILE === undefined) return silentLogger();
  fd ??= openSync(LOG_FILE, 'a');
  return createLogger({ level: 'debug', fd });
}

/** Adds a child process's output (serve, export, record) to the scanned log. */
export function appendTestLog(text: string): void {
  if (LOG_FILE !== undefined && text !== '') appendFileSync(LOG_FILE, text.endsWith('\n') ? text : `${text}\n`);
}

/** `--log-level debug` unless the caller chose a level. */
export function withDebugLogs(args: string[]): string[] {
  return LOG_FILE === undefined || args.includes('--log-level') ? args : [...args, '--log-level', 'debug'];
}
