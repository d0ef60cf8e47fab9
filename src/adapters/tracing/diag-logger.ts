import type { DiagLogger } from '@opentelemetry/api';
import type { Logger } from '../../logger.js';

/** Distinct SDK messages logged at most; an unreachable collector repeats one. */
const MAX_DISTINCT_MESSAGES = 100;

/**
 * The SDK's own warnings and errors (an unreachable collector, a bad
 * OTEL_* value) as warnings in our log, each distinct text once. The SDK quotes
 * what it could not use, which may be secret: a header value (an API key from
 * OTEL_EXPORTER_OTLP_HEADERS) or an endpoint with credentials, so those are
 * cut from the text first.
 */
export function diagLogger(logger: Logger): DiagLogger {
  const seen = new Set<string>();
  const warn = (message: string): void => {
    const text = scrubDiagMessage(String(message));
    if (seen.has(text) || seen.size >= MAX_DISTINCT_MESSAGES) return;
    seen.add(text);
    logger.warn({ component: 'opentelemetry' }, `tracing: ${text}`);
  };
  return { error: warn, warn, info() {}, debug() {}, verbose() {} };
}

/** Removes header values, URL credentials and query strings from an SDK message. */
export function scrubDiagMessage(message: string): string {
  return message
    .replace(/has invalid value \(.*?\)/g, 'has invalid value (hidden)')
    .replace(/\/\/[^/\s'"@]*@/g, '//(hidden)@')
    .replace(/(\/\/[^\s'"?]*)\?[^\s'"]*/g, '$1?(hidden)');
}
