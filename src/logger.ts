import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/**
 * Paths that could carry secrets are censored whatever a caller passes in, as
 * a backstop: code should never hand them to the logger in the first place.
 */
const REDACTED_PATHS = [
  'licenseKey',
  '*.licenseKey',
  'authorization',
  '*.authorization',
  'token',
  '*.token',
  'privateMetadata',
  '*.privateMetadata',
  'diagnosticsSecret',
  '*.diagnosticsSecret',
];

export interface LoggerOptions {
  level?: string;
  /** File descriptor to write JSON lines to; stderr by default, keeping stdout for command output. */
  fd?: number;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: undefined,
      // What log pipelines and people expect: "time":"2026-12-01T08:00:00.000Z", "level":"info".
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ fd: options.fd ?? 2, sync: false }),
  );
}

/** A logger that drops everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
