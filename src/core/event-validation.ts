import type { JsonValue } from '@bufbuild/protobuf';
import type { Event } from '../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import type { ScannedEvent } from './wire/scan-event.js';

/** The deployed gateway's naming rule for feature and action. */
const NAME_PATTERN = /^[a-z][a-zA-Z-.]+$/;
const NAME_MAX_LENGTH = 64;

/** The Timestamps proto3 JSON can write: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z. */
const MIN_TIMESTAMP_SECONDS = -62_135_596_800n;
const MAX_TIMESTAMP_SECONDS = 253_402_300_799n;

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

/**
 * Why an event can never be recorded, or undefined when it is valid: the rules
 * of BEHAVIOR.md 2.2, plus what would make its downstream record (proto3 JSON,
 * BEHAVIOR.md 2.4) impossible to write, so it could never be published: a
 * timestamp outside the years 1-9999, and NaN or an infinity in
 * private_metadata (a google.protobuf.Struct). The deployed gateway fails to
 * publish such events; they are kept aside as rejected instead.
 */
export function validateEvent(event: Event): string | undefined {
  const privateMetadata = event.parameters?.privateMetadata;
  return validateFields(event, privateMetadata !== undefined && !allNumbersFinite(privateMetadata));
}

/** validateEvent for an event read off the wire (scanEvent): the same rules, the same reasons. */
export function validateScannedEvent(event: ScannedEvent, privateNonFinite: boolean): string | undefined {
  return validateFields(event, privateNonFinite);
}

interface EventFields {
  id: string;
  timestamp?: { seconds: bigint | number; nanos: number } | undefined;
  feature: string;
  action: string;
}

function validateFields(event: EventFields, privateNonFinite: boolean): string | undefined {
  if (event.id === '') return 'event id is required';
  const { timestamp } = event;
  if (timestamp === undefined) return 'event timestamp is required';
  if (
    timestamp.seconds < MIN_TIMESTAMP_SECONDS ||
    timestamp.seconds > MAX_TIMESTAMP_SECONDS ||
    timestamp.nanos < 0 ||
    timestamp.nanos > 999_999_999
  ) {
    return 'event timestamp is outside 0001-01-01 to 9999-12-31';
  }
  const named = checkEventName('feature', event.feature) ?? checkEventName('action', event.action);
  if (named !== undefined) return named;
  if (privateNonFinite) return 'private_metadata holds NaN or an infinite number, which JSON cannot carry';
  return undefined;
}

/** Whether every number in a JSON value is finite (walked without recursion). */
function allNumbersFinite(value: JsonValue): boolean {
  const pending: JsonValue[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'number') {
      if (!Number.isFinite(next)) return false;
    } else if (Array.isArray(next)) {
      pending.push(...next);
    } else if (next !== null && typeof next === 'object') {
      pending.push(...Object.values(next));
    }
  }
  return true;
}
