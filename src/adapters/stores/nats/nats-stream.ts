import { JetStreamApiCodes, JetStreamApiError, StorageType, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { allEvents, allRejected, type NatsOptions } from './nats-options.js';

const NS_PER_MS = 1_000_000;

/**
 * Creates the stream when it is missing: file storage (messages are on disk
 * before the publish ack), the configured replicas and duplicate window. An
 * existing stream is left as the operator configured it, as long as it
 * captures the subjects this gateway publishes to.
 */
export async function ensureStream(jsm: JetStreamManager, options: NatsOptions): Promise<StreamInfo> {
  const subjects = [allEvents(options), allRejected(options)];
  let info: StreamInfo;
  try {
    info = await jsm.streams.info(options.stream);
  } catch (error) {
    if (!isStreamNotFound(error)) throw error;
    const config = {
      name: options.stream,
      subjects,
      storage: StorageType.File,
      num_replicas: options.replicas,
      duplicate_window: options.duplicateWindowMs * NS_PER_MS,
      max_age: options.maxAgeMs * NS_PER_MS,
    };
    // Replicas starting together may race to create it; whoever loses finds it made.
    info = await jsm.streams.add(config).catch((addError: unknown) =>
      jsm.streams.info(options.stream).catch(() => Promise.reject(addError)),
    );
  }
  const missing = subjects.filter((subject) => !info.config.subjects?.includes(subject));
  if (missing.length > 0) {
    throw new Error(`stream ${options.stream} exists but does not capture ${missing.join(', ')} (it has ${info.config.subjects?.join(', ') || 'no subjects'})`);
  }
  return info;
}

function isStreamNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
}
