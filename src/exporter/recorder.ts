import { toBinary } from '@bufbuild/protobuf';
import { v7 as uuidv7 } from 'uuid';
import { checkAllowlistEntry, indexAllowlist, type Allowlist } from '../core/privacy/allowlist.js';
import { redactEvent } from '../core/privacy/redact-event.js';
import { EventSchema } from '../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { buildEvent, type RecordParams } from './build-event.js';
import { exportsFeature, type ExportMode } from './export-mode.js';
import type { EventQueue, QueuedEvent } from './queue.js';

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
   * it (nothing is queued). Throws RecordError for an invalid feature/action.
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
    return { id: event.id, timestampMs: params.timestamp?.getTime() ?? nowMs, bytes: toBinary(EventSchema, event) };
  };

  const recordBatch = async (requests: readonly RecordRequest[]): Promise<(string | undefined)[]> => {
    const prepared = requests.map(prepare);
    await options.queue.enqueue(prepared.filter((e): e is QueuedEvent => e !== undefined));
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
