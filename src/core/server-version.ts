import { fromBinary } from '@bufbuild/protobuf';
import { EventSchema } from '../gen/telemetrygateway/v1/telemetrygateway_pb.js';

/** `source.server.version` of an event kept as wire bytes; undefined when absent or undecodable. */
export function serverVersionOf(eventBytes: Uint8Array): string | undefined {
  try {
    return fromBinary(EventSchema, eventBytes).source?.server?.version || undefined;
  } catch {
    return undefined;
  }
}
