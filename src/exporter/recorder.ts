import { toBinary } from '@bufbuild/protobuf';
import { v7 as uuidv7 } from 'uuid';
import { checkAllowlistEntry, indexAllowlist, type Allowlist } from '../core/privacy/allowlist.js';
import { redactEvent } from '../core/privacy/redact-event.js';
import { EventSchema } from '../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { buildEvent, RecordError, type RecordParams } from './build-event.js';
import { exportsFeature, type ExportMode } from './export-mode.js';
import { QueueFullError, type EventQueue, type QueuedEvent } from './queue.js';

/**
 * The largest event record() accepts, encoded (after redaction), by default:
 * the deployed exporter's payload limit, so every event fits a payload.
 */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

/** What the recorder reports: events it refused (none of them queued). */
export interface RecorderObserver {
  refused?(count: number, reason: 'too_large' | 'queue_full'): void;
}

export interface RecorderOptions {
  queue: EventQueue;
  /** `source.server.version` of every event. */
  serverVersion: string;
  /** Which private_metadata keys may leave, per event type (checked here, at start). */
  allowlist?: Allowlist;
  /**
   * 'public-service' is the vendor's own hosted instance: nothing is removed.
   * Anything else keeps private data home (the default).
   */
  redaction?: 'default' | 'public-service';
  exportMode?: ExportMode;
  /** Send integer metadata as int64 legacy_metadata, as instances before late 2023 did. */
  legacyMetadata?: boolean;
  /** Refuse (RecordError EVENT_TOO_LARGE) an event larger than this, encoded. Default 1 MiB. */
  maxEventBytes?: number;
  observer?: RecorderObserver;
  now?: () => number;
  newId?: () => string;
}

export interface RecordRequest {
  feature: string;
  action: string;
  params?: RecordParams;
}

export interface Recorder {
  /**
   * Records one event: validated, redacted, encoded and durably queued when
   * this resolves. Returns its id, or undefined when the export mode excludes
   * it (nothing is queued). Throws RecordError for an invalid event (code
   * INVALID_EVENT) or one larger than maxEventBytes (EVENT_TOO_LARGE), and
   * QueueFullError when a bounded queue is full: nothing queued is ever dropped
   * to make room, the new event is refused instead.
   */
  record(feature: string, action: string, params?: RecordParams): Promise<string | undefined>;
  /** Records several events in one commit; all are checked before any is queued. */
  recordBatch(requests: readonly RecordRequest[]): Promise<(string | undefined)[]>;
}

export function createRecorder(options: RecorderOptions): Recorder {
  const allowlist = indexAllowlist((options.allowlist ?? []).map((entry) => checkAllowlistEntry(entry)));
  const mode = options.exportMode ?? { kind: 'all' };
  const now = options.now ?? Date.now;
  const newId = options.newId ?? uuidv7;
  const keepEverything = options.redaction === 'public-service';
  const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;

  const prepare = ({ feature, action, params = {} }: RecordRequest): QueuedEvent | undefined => {
    const nowMs = now();
    const event = buildEvent(feature, action, params, {
      id: newId(),
      nowMs,
      serverVersion: options.serverVersion,
      legacyMetadata: options.legacyMetadata ?? false,
    });
    if (!exportsFeature(mode, feature)) return undefined;
    if (!keepEverything) redactEvent(event, allowlist);
    const bytes = toBinary(EventSchema, event);
    if (bytes.length > maxEventBytes) {
      options.observer?.refused?.(1, 'too_large');
      throw new RecordError(`cannot record ${feature}/${action}: the event is ${bytes.length} bytes encoded, more than the limit of ${maxEventBytes} (maxEventBytes)`, 'EVENT_TOO_LARGE');
    }
    return { id: event.id, timestampMs: params.timestamp?.getTime() ?? nowMs, bytes };
  };

  const recordBatch = async (requests: readonly RecordRequest[]): Promise<(string | undefined)[]> => {
    const prepared = requests.map(prepare);
    const queued = prepared.filter((e): e is QueuedEvent => e !== undefined);
    try {
      await options.queue.enqueue(queued);
    } catch (error) {
      if (error instanceof QueueFullError) options.observer?.refused?.(queued.length, 'queue_full');
      throw error;
    }
    return prepared.map((e) => e?.id);
  };

  return {
    async record(feature, action, params) {
      const [id] = await recordBatch([{ feature, action, params }]);
      return id;
    },
    recordBatch,
  };
}
