import { z } from 'zod';
import { LOG_LEVELS } from './gateway-config.js';
import { boolean, integer, oneOf, optionalText, text } from './setting.js';

/** `sink`: NATS JetStream into a SQL store (env TELEMETRY_GATEWAY_SINK_*, file section `sink:`). */
export const SINK_SCHEMA = z.object({
  from: optionalText({ valueName: 'url', description: 'the bus: nats://HOST:PORT[?stream=...&subject_prefix=...] as given to the gateways' }),
  to: optionalText({ valueName: 'url', description: 'the SQL store: postgres://... or sqlite:PATH' }),
  durable: text({ valueName: 'name', default: 'telemetry-sink', description: 'durable consumer name (the position in the stream; one name per destination)' }),
  batchSize: integer({ valueName: 'n', default: 1000, description: 'messages written and acknowledged together (0 counts as 1)' }),
  retryDelayMs: integer({ valueName: 'ms', default: 1000, description: 'when the store refuses a write, redeliver after this long' }),
  exitWhenIdle: boolean({ default: false, description: 'exit once everything in the stream has been written (for batch jobs)' }),
  logLevel: oneOf(LOG_LEVELS, { valueName: 'level', default: 'info', description: 'log level (JSON logs on stderr)' }),

});
