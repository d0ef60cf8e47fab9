import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import { validateEvent } from '../../src/core/event-validation.js';
import { eventListToArray } from '../../src/core/wire/event-list.js';
import { frameRequest } from '../../src/core/wire/frame-request.js';
import { readEventId } from '../../src/core/wire/scan-event.js';
import { EventSchema, RecordEventsRequestSchema, type RecordEventsRequestMetadata } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import type { StreamPlan } from './plans.js';

/** How a fuzzed stream must end (BEHAVIOR.md section 1), derived from the bytes of its requests. */
export interface Expectation {
  /**
   * A request over the size limit later in the plan: grpc-js refuses it as it
   * arrives, possibly before the session reaches the request that ends the
   * stream, so RESOURCE_EXHAUSTED (with a prefix of the responses) is allowed too.
   */
  oversizeLater: boolean;
  code: status;
  details: string | RegExp;
  /** One entry per events payload answered, in order. */
  responses: string[][];
  /**
   * The call was ended by the transport (message over the size limit), which
   * may cut it before earlier payloads are answered: responses are a prefix.
   */
  prefixOnly: boolean;
}

export interface ModelOptions {
  validToken: string;
  maxMessageBytes: number;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;
/** What the gateway answers for a request it cannot decode (see codec.ts). */
export const MALFORMED_DETAILS = /^malformed request: /;

/**
 * The model of the gateway for one stream. Decoding uses protobuf-es like the
 * gateway, but the session rules, identity checks and acknowledgement rules
 * are restated here from BEHAVIOR.md, not imported.
 */
export function expectedOutcome(plan: StreamPlan, options: ModelOptions): Expectation {
  const responses: string[][] = [];
  let source: 'instance' | 'service' | undefined;
  const end = (code: status, details: string | RegExp, prefixOnly = false): Expectation => ({
    code,
    details,
    responses,
    prefixOnly,
    oversizeLater: plan.requests.slice(index + 1).some((r) => r.length > options.maxMessageBytes),
  });
  let index = -1;
  for (const bytes of plan.requests) {
    index++;
    if (bytes.length > options.maxMessageBytes) return end(status.RESOURCE_EXHAUSTED, /./, true);
    const request = decodeRequest(bytes);
    if (request === undefined) return end(status.INVALID_ARGUMENT, MALFORMED_DETAILS);
    switch (request.payload.case) {
      case undefined:
        continue;
      case 'metadata': {
        if (source !== undefined) return end(status.INVALID_ARGUMENT, 'received metadata more than once');
        const identifier = request.payload.value.identifier?.identifier;
        switch (identifier?.case) {
          case 'licensedInstance':
            // The fuzz gateway trusts no vendor key: every license key is invalid.
            return end(status.INVALID_ARGUMENT, /^invalid license_key: /);
          case 'unlicensedInstance':
            if (identifier.value.instanceId === '') return end(status.INVALID_ARGUMENT, 'instance_id is required for unlicensed instance');
            source = 'instance';
            continue;
          case 'managedService': {
            if (identifier.value.serviceId === '') return end(status.INVALID_ARGUMENT, 'service_id is required for managed services');
            const token = BEARER.exec(plan.authorization ?? '')?.[1];
            if (token === undefined) return end(status.UNAUTHENTICATED, /./);
            if (token !== options.validToken) return end(status.PERMISSION_DENIED, 'permission denied');
            source = 'service';
            continue;
          }
          default:
            return end(status.UNIMPLEMENTED, 'unsupported identifier type');
        }
      }
      case 'events': {
        if (source === undefined) return end(status.INVALID_ARGUMENT, 'got events when metadata not yet received');
        // Instances get invalid events acknowledged (they could never succeed); services do not.
        // An event that does not decode is invalid on its own; its id is what its framing still shows.
        responses.push(
          request.payload.value.flatMap((eventBytes) => {
            let event;
            try {
              event = fromBinary(EventSchema, eventBytes);
            } catch {
              return source === 'instance' ? [readEventId(eventBytes)] : [];
            }
            return source === 'instance' || validateEvent(event) === undefined ? [event.id] : [];
          }),
        );
        continue;
      }
    }
  }
  return end(status.OK, '');
}

type ModelRequest =
  | { payload: { case: undefined } }
  | { payload: { case: 'metadata'; value: RecordEventsRequestMetadata } }
  | { payload: { case: 'events'; value: Uint8Array[] } };

/**
 * A request as the gateway reads it: a request that decodes whole is used as
 * decoded; otherwise its framing (frameRequest) decides, each event staying
 * bytes to be decoded on its own. undefined: the request is malformed.
 */
function decodeRequest(bytes: Uint8Array): ModelRequest | undefined {
  try {
    const request = fromBinary(RecordEventsRequestSchema, bytes);
    if (request.payload.case !== 'events') return request as ModelRequest;
    return { payload: { case: 'events', value: request.payload.value.events.map((e) => toBinary(EventSchema, e)) } };
  } catch {
    const framed = frameRequest(bytes);
    if (framed?.payload !== 'events') return undefined;
    return { payload: { case: 'events', value: eventListToArray(framed.events) } };
  }
}

/** Why `actual` breaks `expected`, or undefined. */
export function compareOutcome(
  expectedAsModelled: Expectation,
  actual: { code: number; details: string; responses: string[][] },
): string | undefined {
  let expected = expectedAsModelled;
  if (expected.oversizeLater && actual.code === status.RESOURCE_EXHAUSTED) {
    expected = { ...expected, code: status.RESOURCE_EXHAUSTED, details: /./, prefixOnly: true };
  }
  if (actual.code !== expected.code) return `status ${actual.code} (${actual.details}), expected ${expected.code} (${String(expected.details)})`;
  const detailsOk =
    expected.code === status.OK ||
    (typeof expected.details === 'string' ? actual.details === expected.details : expected.details.test(actual.details));
  if (!detailsOk) return `details "${actual.details}", expected ${String(expected.details)}`;
  const n = actual.responses.length;
  if (expected.prefixOnly ? n > expected.responses.length : n !== expected.responses.length) {
    return `${n} responses, expected ${expected.prefixOnly ? 'at most ' : ''}${expected.responses.length}`;
  }
  for (let i = 0; i < n; i++) {
    const a = actual.responses[i]!;
    const e = expected.responses[i]!;
    if (a.length !== e.length || a.some((id, j) => id !== e[j])) {
      return `response ${i} acknowledged ${a.length} ids, expected ${e.length} (first difference at ${a.findIndex((id, j) => id !== e[j])})`;
    }
  }
  return undefined;
}
