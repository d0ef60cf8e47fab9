import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace, type Context, type Span, type TextMapGetter, type Tracer } from '@opentelemetry/api';
import { Code } from '../../core/status.js';
import type { StoreEntry, WriteOutcome } from '../../core/store.js';
import type { CallTrace, IngestTracer, PayloadTrace, WriteTrace } from '../../gateway/ingest-tracing.js';
import { TelemeteryGatewayService } from '../../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { storeKindOf } from './store-kind.js';
import { TRACE_ATTRIBUTES as A } from './trace-attributes.js';

const SERVICE = TelemeteryGatewayService.typeName;

/** Reads W3C trace context from a call's metadata, through the handler's header reader. */
const HEADER_GETTER: TextMapGetter<(name: string) => string | undefined> = {
  get: (header, key) => header(key),
  // Only propagators that enumerate every header (none of the defaults) need this.
  keys: () => [],
};

/**
 * Codes that mean the server failed (OpenTelemetry's gRPC conventions for
 * server spans): the span's status is ERROR. A refusal (invalid argument,
 * permission denied, rate limited) is the client's problem and leaves it unset.
 */
const SERVER_FAULTS = new Set<Code>([Code.UNKNOWN, Code.DEADLINE_EXCEEDED, Code.UNIMPLEMENTED, Code.INTERNAL, Code.UNAVAILABLE, Code.DATA_LOSS]);
const CODE_NAMES = new Map<Code, string>(Object.entries(Code).map(([name, code]) => [code, name]));

/**
 * The ingest tracing port over the OpenTelemetry API: a SERVER span per call
 * (the child of the client's span when its metadata carries a trace context),
 * an INTERNAL span per payload and one per store write. Attributes are
 * bounded: kinds, counts and codes, never an event id, a source's id, a
 * license key or metadata.
 */
export function createOtelIngestTracer(tracer: Tracer): IngestTracer {
  return {
    startCall(rpc, header) {
      const parent = propagation.extract(ROOT_CONTEXT, header, HEADER_GETTER);
      const span = tracer.startSpan(
        `${SERVICE}/${rpc}`,
        { kind: SpanKind.SERVER, attributes: { [A.rpcSystem]: 'grpc', [A.rpcService]: SERVICE, [A.rpcMethod]: rpc } },
        parent,
      );
      return callTrace(tracer, span, trace.setSpan(parent, span));
    },
  };
}

function callTrace(tracer: Tracer, span: Span, context: Context): CallTrace {
  let payloads = 0;
  let events = 0;
  return {
    identified(source) {
      span.setAttribute(A.sourceKind, source.kind);
    },
    startPayload(count) {
      payloads++;
      events += count;
      const payload = tracer.startSpan('telemetry_gateway.payload', { kind: SpanKind.INTERNAL, attributes: { [A.events]: count } }, context);
      return payloadTrace(tracer, payload, trace.setSpan(context, payload));
    },
    end(code) {
      span.setAttributes({ [A.grpcStatusCode]: code, [A.payloads]: payloads, [A.events]: events });
      if (SERVER_FAULTS.has(code)) span.setStatus({ code: SpanStatusCode.ERROR, message: CODE_NAMES.get(code) });
      span.end();
    },
  };
}

interface OutcomeCounts {
  stored: number;
  duplicate: number;
  rejected: number;
  retryable: number;
}

function payloadTrace(tracer: Tracer, span: Span, context: Context): PayloadTrace {
  const totals: OutcomeCounts = { stored: 0, duplicate: 0, rejected: 0, retryable: 0 };
  return {
    rateLimited(events) {
      span.setAttribute(A.rateLimited, events);
    },
    startWrite(entries, storeDescription): WriteTrace {
      const write = tracer.startSpan(
        'telemetry_gateway.store.write',
        { kind: SpanKind.INTERNAL, attributes: { [A.storeKind]: storeKindOf(storeDescription), [A.entries]: entries } },
        context,
      );
      return {
        end(written, outcomes) {
          const counts = countOutcomes(written, outcomes);
          write.setAttributes(outcomeAttributes(counts));
          if (counts.retryable > 0) write.setStatus({ code: SpanStatusCode.ERROR, message: 'store write not durable; retryable' });
          write.end();
          totals.stored += counts.stored;
          totals.duplicate += counts.duplicate;
          totals.rejected += counts.rejected;
          totals.retryable += counts.retryable;
        },
      };
    },
    end(acknowledged) {
      span.setAttributes({ ...outcomeAttributes(totals), [A.acknowledged]: acknowledged });
      span.end();
    },
  };
}

/** Runs only while tracing is on: a loop over the write's outcomes, no allocation per event. */
function countOutcomes(entries: readonly StoreEntry[], outcomes: readonly WriteOutcome[]): OutcomeCounts {
  const counts: OutcomeCounts = { stored: 0, duplicate: 0, rejected: 0, retryable: 0 };
  for (let i = 0; i < entries.length; i++) {
    const status = outcomes[i]?.status ?? 'retryable';
    if (status === 'retryable') counts.retryable++;
    else if (entries[i]!.kind === 'rejected') counts.rejected++;
    else if (status === 'stored') counts.stored++;
    else counts.duplicate++;
  }
  return counts;
}

const outcomeAttributes = (counts: OutcomeCounts): Record<string, number> => ({
  [A.stored]: counts.stored,
  [A.duplicate]: counts.duplicate,
  [A.rejected]: counts.rejected,
  [A.retryable]: counts.retryable,
});
