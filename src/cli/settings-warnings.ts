import type { SettingsWarning } from '../config/settings.js';
import type { Logger } from '../logger.js';

/** Settings warnings as JSON log lines, for commands that log JSON (names only: values are never logged). */
export function logWarnings(logger: Logger, warnings: readonly SettingsWarning[]): void {
  for (const warning of warnings) logger.warn({ env: warning.env, ...(warning.use !== undefined && { use: warning.use }) }, warning.message);
}
