import { fromBinary } from '@bufbuild/protobuf';
import { validateEvent } from '../../src/core/event-validation.js';
import { renderStoredRecord } from '../../src/core/record.js';
import type { EventReader } from '../../src/core/store.js';
import { EventSchema, RecordEventsRequestMetadataSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';

export interface StoreCheck {
  events: number;
  rejected: number;
  /** One line per stored row that breaks a rule. */
  problems: string[];
}

/**
 * Reads the rows stored since the last call and checks that every event in the
 * events table is valid: it decodes, passes validateEvent, has its legacy
 * metadata merged away, and renders as the downstream record. Rejected rows
 * must carry a reason.
 */
export function createStoreChecker(reader: EventReader): () => Promise<StoreCheck> {
  let eventsAfter = 0;
  let rejectedAfter = 0;
  return async () => {
    const result: StoreCheck = { events: 0, rejected: 0, problems: [] };
    for (;;) {
      const rows = await reader.listEvents({ limit: 500, afterSeq: eventsAfter });
      if (rows.length === 0) break;
      for (const row of rows) {
        eventsAfter = row.seq;
        result.events++;
        const problem = checkStoredEvent(row.eventBytes, row.metadataBytes);
        if (problem) result.problems.push(`event seq ${row.seq} (id ${JSON.stringify(row.id.slice(0, 60))}): ${problem}`);
      }
    }
    for (;;) {
      const rows = await reader.listRejected({ limit: 500, afterSeq: rejectedAfter });
      if (rows.length === 0) break;
      for (const row of rows) {
        rejectedAfter = row.seq;
        result.rejected++;
        if (row.reason === '') result.problems.push(`rejected seq ${row.seq}: no reason`);
      }
    }
    return result;
  };
}

export function checkStoredEvent(eventBytes: Uint8Array, metadataBytes: Uint8Array): string | undefined {
  let event;
  try {
    event = fromBinary(EventSchema, eventBytes);
    fromBinary(RecordEventsRequestMetadataSchema, metadataBytes);
  } catch (error) {
    return `stored bytes do not decode: ${(error as Error).message}`;
  }
  const invalid = validateEvent(event);
  if (invalid !== undefined) return `invalid event stored as valid: ${invalid}`;
  if (Object.keys(event.parameters?.legacyMetadata ?? {}).length > 0) return 'legacy_metadata not merged';
  try {
    renderStoredRecord(eventBytes, metadataBytes);
  } catch (error) {
    return `stored event cannot be rendered as its downstream record: ${(error as Error).message}`;
  }
  return undefined;
}
