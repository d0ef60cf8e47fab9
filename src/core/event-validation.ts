import type { Event } from '../gen/telemetrygateway/v1/telemetrygateway_pb.js';

/** The deployed gateway's naming rule for feature and action. */
const NAME_PATTERN = /^[a-z][a-zA-Z-.]+$/;
const NAME_MAX_LENGTH = 64;

/**
 * Why `name` is not a valid feature/action, or undefined when it is. Shared by
 * the gateway and the exporter's recorder so both refuse exactly the same names.
 */
export function checkEventName(kind: 'feature' | 'action', name: string): string | undefined {
  if (name === '') return `${kind} is required`;
  if (name.length > NAME_MAX_LENGTH) return `${kind} is longer than ${NAME_MAX_LENGTH} characters`;
  if (!NAME_PATTERN.test(name)) return `${kind} must match ${NAME_PATTERN.source}`;
  return undefined;
}

/** Why an event can never be recorded, or undefined when it is valid (BEHAVIOR.md 2.2). */
export function validateEvent(event: Event): string | undefined {
  if (event.id === '') return 'event id is required';
  if (event.timestamp === undefined) return 'event timestamp is required';
  return checkEventName('feature', event.feature) ?? checkEventName('action', event.action);
}
