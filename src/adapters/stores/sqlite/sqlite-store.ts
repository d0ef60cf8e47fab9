import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensurePrivateFile } from '../../fs/private-file.js';
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import {
  DUPLICATE,
  retryable,
  STORED,
  type EventEntry,
  type EventReader,
  type EventStore,
  type ListOptions,
  type MaintenanceListener,
  type RejectedEventRow,
  type StoredEventRow,
  type StoreHealth,
  type StreamOrigin,
  type WriteBatch,
  type WriteOutcome,
} from '../../../core/store.js';
import { splitRequestId, withStreamMetadata, type SplitMetadata } from '../../../core/wire/request-id.js';
import { createEventInserts, EVENTS_PER_INSERT, type BatchColumns } from './event-inserts.js';
import { createEventKeys, idHash, type EventKeys } from './event-keys.js';
import { runBackgroundCheckpoints, type BackgroundCheckpoints } from './background-checkpoints.js';
import { migrate } from './schema.js';
import { createSqliteRetention, type SqliteRetention } from './sqlite-retention.js';

export interface SqliteStoreOptions {
  /** Most entries committed in one transaction; a larger backlog takes several. */
  maxEntriesPerCommit?: number;
  /**
   * Events whose event time is older than this are deleted (sqlite-retention.ts), with their
   * dedup keys, old rejected entries and rollups. Undefined: kept forever.
   */
  retentionMs?: number;
  /** How often a retention pass starts (a pass runs in small steps until nothing is left). Default 60 s. */
  retentionIntervalMs?: number;
  /** Told what each retention pass deleted, or why it failed. */
  onMaintenance?: MaintenanceListener;
  /**
   * Checkpoints on a thread of their own (sqlite-checkpointer.ts) rather than inside the commits
   * (the writer thread turns this on; a file store only).
   */
  backgroundCheckpoints?: boolean;
}

export type SqliteStore = EventStore & EventReader;

interface PendingWrite {
  batch: WriteBatch;
  resolve: (outcomes: WriteOutcome[]) => void;
}

/**
 * The embedded store. Durability: WAL with synchronous=FULL, so a commit has
 * reached the disk (fsync) before any of its events is acknowledged. Group
 * commit: writes from every stream queue up while the event loop is busy and
 * go into one shared transaction at the next turn, so a commit's fsync is paid
 * once per turn rather than once per payload.
 */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  ensurePrivateFile(path); // 0600 before SQLite opens it: -wal/-shm inherit the mode (events and license keys)
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new BetterSqlite3(path);
  if ((db.pragma('page_count', { simple: true }) as number) === 0) {
    // A new file: pages freed by retention go back to the file system (incremental_vacuum). Only
    // settable before the first table (and the WAL switch); an existing file needs a one-time
    // offline VACUUM to take it (README), which the gateway does not run itself: on a big store it
    // would hold the start for minutes. Without it freed pages are reused, the file just never shrinks.
    db.pragma('auto_vacuum = INCREMENTAL');
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  let checkpointer: BackgroundCheckpoints | undefined;
  if (options.backgroundCheckpoints && path !== ':memory:') {
    // The commits' own checkpoint becomes the bound under load that never pauses (sqlite-checkpointer.ts).
    db.pragma(`wal_autocheckpoint = ${FALLBACK_CHECKPOINT_PAGES}`);
    checkpointer = runBackgroundCheckpoints(path, { intervalMs: CHECKPOINT_INTERVAL_MS, restartMs: CHECKPOINTER_RESTART_MS, report: options.onMaintenance });
  }
  const store = new SqliteEventStore(db, `sqlite:${path}`, options.maxEntriesPerCommit ?? 20_000, checkpointer);
  if (options.retentionMs !== undefined) {
    store.startRetention(createSqliteRetention(db, { retentionMs: options.retentionMs }), options.retentionIntervalMs ?? 60_000, options.onMaintenance);
  }
  return store;
}

/** Between the checkpointer's passes: each copies what a few thousand events wrote at full load. */
const CHECKPOINT_INTERVAL_MS = 50;
/**
 * WAL pages past which a commit checkpoints by itself (SQLite's default is 1,000): the WAL restarts
 * from its start only when a write begins with every page copied, which under load that never
 * pauses only a checkpoint by the writer itself brings about. 16 MiB of WAL.
 */
const FALLBACK_CHECKPOINT_PAGES = 4096;
/** After the checkpointer thread failed: when it is started again. */
const CHECKPOINTER_RESTART_MS = 10_000;

/** A read-only view of a store file, for the CLI; does not create anything. */
export function openSqliteReader(path: string): EventReader {
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return new SqliteEventReader(db);
}

class SqliteEventReader implements EventReader {
  private readonly listEventsStmt: Statement;
  private readonly listRejectedStmt: Statement;
  protected closed = false;

  constructor(protected readonly db: Database) {
    this.listEventsStmt = db.prepare(
      `SELECT e.seq, e.event_id AS id, e.event AS eventBytes, m.metadata AS metadataBytes, e.request_id AS requestId,
              e.publisher, e.received_ms AS receivedAtMs
         FROM events e JOIN stream_metadata m ON m.id = e.metadata_id
        WHERE e.seq > ? ORDER BY e.seq LIMIT ?`,
    );
    this.listRejectedStmt = db.prepare(
      `SELECT r.seq, r.event_id AS id, r.feature, r.action, r.reason, r.publisher, r.event AS eventBytes,
              m.metadata AS metadataBytes, r.request_id AS requestId, r.received_ms AS receivedAtMs
         FROM rejected_events r JOIN stream_metadata m ON m.id = r.metadata_id
        WHERE r.seq > ? ORDER BY r.seq LIMIT ?`,
    );
  }

  async listEvents(options: ListOptions): Promise<StoredEventRow[]> {
    return (this.listEventsStmt.all(options.afterSeq ?? 0, options.limit) as WithRequestId<StoredEventRow>[]).map(withStreamMetadata);
  }

  async countEvents(): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  }

  async listRejected(options: ListOptions): Promise<RejectedEventRow[]> {
    return (this.listRejectedStmt.all(options.afterSeq ?? 0, options.limit) as WithRequestId<RejectedEventRow>[]).map(withStreamMetadata);
  }

  async countRejected(): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM rejected_events').get() as { n: number }).n;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

/**
 * Dedup keys moved per idle transaction, what a write arriving meanwhile may wait for: 512 took
 * ~1.4 ms (p50; p99 5 ms) once these commits skipped the fsync, where 2,048 took ~5 ms, paced at
 * 40,000 events/s after a burst.
 */
const IDLE_MERGE_SLICE = 512;

class SqliteEventStore extends SqliteEventReader implements EventStore {
  private readonly pending: PendingWrite[] = [];
  private flushScheduled = false;
  private idleMergeScheduled = false;
  /** identity digest (request-id.ts) -> stream_metadata row id, only for rows known to be committed. */
  private readonly metadataIds = new Map<string, number>();
  private readonly insertMetadata: Statement;
  private readonly selectMetadataId: Statement;
  private readonly insertEvents: (entries: readonly EventEntry[], batch: BatchColumns) => number;
  private readonly insertRejected: Statement;
  private readonly upsertMinute: Statement;
  private readonly probe: Statement;
  private readonly keys: EventKeys;
  /** idHash of each event waiting in insertBatch's chunk, by position: computed once per event. */
  private readonly chunkHashes = new Float64Array(EVENTS_PER_INSERT);
  private retentionTimer: NodeJS.Timeout | undefined;

  constructor(
    db: Database,
    readonly description: string,
    private readonly maxEntriesPerCommit: number,
    private readonly checkpointer?: BackgroundCheckpoints,
  ) {
    super(db);
    this.insertMetadata = db.prepare(
      `INSERT INTO stream_metadata (digest, publisher, source_json, metadata, first_seen_ms)
       VALUES (?, ?, ?, ?, ?) ON CONFLICT(digest) DO NOTHING`,
    );
    this.selectMetadataId = db.prepare('SELECT id FROM stream_metadata WHERE digest = ?').pluck();
    this.insertEvents = createEventInserts(db);
    this.upsertMinute = db.prepare(
      `INSERT INTO event_minutes (minute_ms, metadata_id, feature, action, events, last_ms, last_seq)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (minute_ms, metadata_id, feature, action) DO UPDATE SET
         events = events + excluded.events, last_ms = max(last_ms, excluded.last_ms), last_seq = max(last_seq, excluded.last_seq)`,
    );
    this.keys = createEventKeys(db);
    this.insertRejected = db.prepare(
      `INSERT INTO rejected_events (event_id, metadata_id, feature, action, publisher, reason, received_ms, event, request_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.probe = db.prepare(
      `INSERT INTO health_probe (id, checked_ms) VALUES (1, ?)
       ON CONFLICT(id) DO UPDATE SET checked_ms = excluded.checked_ms`,
    );
  }

  write(batch: WriteBatch): Promise<WriteOutcome[]> {
    if (this.closed) return Promise.resolve(batch.entries.map(() => retryable('store is closed')));
    if (batch.entries.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      this.pending.push({ batch, resolve });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  async health(): Promise<StoreHealth> {
    if (this.closed) return { ok: false, reason: 'store is closed' };
    const started = performance.now();
    try {
      this.probe.run(Date.now());
      return { ok: true, latencyMs: performance.now() - started };
    } catch (error) {
      return { ok: false, reason: describeError(error) };
    }
  }

  /**
   * A pass every intervalMs; each step a short transaction, the next one queued behind whatever
   * writes arrived meanwhile (both go through setImmediate), so a long pass never holds ingest.
   */
  startRetention(retention: SqliteRetention, intervalMs: number, report: MaintenanceListener = () => {}): void {
    let running = false;
    let deletedEvents = 0;
    let deletedRejected = 0;
    const step = (): void => {
      if (this.closed) return;
      try {
        const done = retention.step();
        deletedEvents += done.deletedEvents;
        deletedRejected += done.deletedRejected;
        if (done.more) {
          setImmediate(step);
          return;
        }
        report({ ok: true, deletedEvents, deletedRejected, droppedPartitions: 0 });
      } catch (error) {
        // Busy or failing: the next pass tries again; writes report their own failures.
        report({ ok: false, reason: `sqlite retention: ${describeError(error)}` });
      }
      running = false;
    };
    const pass = (): void => {
      if (running || this.closed) return;
      running = true;
      deletedEvents = deletedRejected = 0;
      step();
    };
    this.retentionTimer = setInterval(pass, intervalMs);
    this.retentionTimer.unref();
    setImmediate(pass);
  }

  override async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.retentionTimer);
    this.flush();
    await this.checkpointer?.stop();
    await super.close();
  }

  /** Commits everything queued, in groups of at most maxEntriesPerCommit entries. */
  private flush(): void {
    this.flushScheduled = false;
    while (this.pending.length > 0) {
      const group = this.takeGroup();
      const newMetadataIds = new Map<string, number>();
      let outcomes: WriteOutcome[][];
      try {
        outcomes = this.db.transaction(() => {
          const minutes = new Map<string, Map<string, Map<string, MinuteRollup>>>();
          const result = group.map((w) => this.insertBatch(w.batch, newMetadataIds, minutes));
          for (const byFeature of minutes.values()) {
            for (const byAction of byFeature.values()) {
              for (const m of byAction.values()) this.upsertMinute.run(m.minuteMs, m.metadataId, m.feature, m.action, m.events, m.lastMs, m.lastSeq);
            }
          }
          this.keys.merge();
          return result;
        })();
      } catch (error) {
        const failure = retryable(`sqlite: ${describeError(error)}`);
        outcomes = group.map((w) => w.batch.entries.map(() => failure));
        newMetadataIds.clear();
        this.keys.reload();
      }
      for (const [digest, id] of newMetadataIds) this.metadataIds.set(digest, id);
      group.forEach((w, i) => w.resolve(outcomes[i]!));
    }
    if (this.keys.merging) this.scheduleIdleMerge();
  }

  /**
   * Dedup keys waiting to move to `event_keys` go in transactions of their own while nothing is
   * queued (setImmediate runs after the writes that arrived meanwhile are queued, and a queued
   * write skips the step); under a steady stream of writes each commit carries a small slice.
   */
  private scheduleIdleMerge(): void {
    if (this.idleMergeScheduled) return;
    this.idleMergeScheduled = true;
    setImmediate(() => {
      this.idleMergeScheduled = false;
      if (this.closed || this.pending.length > 0 || !this.keys.merging) return;
      try {
        this.withoutSync(() => this.db.transaction(() => this.keys.merge(IDLE_MERGE_SLICE))());
      } catch {
        this.keys.reload(); // the next commit or pass tries again
        return;
      }
      this.scheduleIdleMerge();
    });
  }

  /**
   * Runs `work` with commits that skip the fsync (synchronous = NORMAL), for transactions that
   * only move dedup keys: nothing acknowledged depends on them. A lost one (power loss before the
   * next write's fsync, which makes every earlier WAL frame durable too) leaves the keys where
   * they were, and `keys_through_seq` only advances inside them, so the next open reads those
   * rows back into memory (event-keys.ts). Without the fsync, a slice costs little more than its
   * inserts, so slices can be small (IDLE_MERGE_SLICE): 2,048 keys took 5.2 ms (p50) with it and
   * 4.8 without, and the fsync stalls of this disk (tens of ms, now and then) no longer fall on them.
   */
  private withoutSync(work: () => void): void {
    this.db.pragma('synchronous = NORMAL');
    try {
      work();
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  private takeGroup(): PendingWrite[] {
    let entries = 0;
    let count = 0;
    while (count < this.pending.length && (count === 0 || entries < this.maxEntriesPerCommit)) {
      entries += this.pending[count]!.batch.entries.length;
      count++;
    }
    return this.pending.splice(0, count);
  }

  /**
   * `minutes`: this commit's rollups, by sender and minute, feature, then action (maps of the strings
   * the entries already hold: a key built per event was most of this thread's garbage).
   *
   * New events wait in `chunk` and go in one multi-row INSERT (event-inserts.ts); their keys are
   * added once that has given them their seqs, so until then a re-sent id is looked for in the
   * chunk as well as in the keys.
   */
  private insertBatch(batch: WriteBatch, newMetadataIds: Map<string, number>, minutes: Map<string, Map<string, Map<string, MinuteRollup>>>): WriteOutcome[] {
    const split = splitRequestId(batch.origin.metadataBytes);
    const metadataId = this.metadataIdFor(batch.origin, split, newMetadataIds);
    const requestId = split.requestId || null;
    const receivedMs = Date.now();
    const minuteMs = receivedMs - (receivedMs % 60_000);
    const publisher = batch.origin.publisher;
    const columns: BatchColumns = { metadataId, publisher, receivedMs, requestId };
    const senderMinute = `${minuteMs}\u0000${metadataId}`;
    const rollups = minutes.get(senderMinute) ?? new Map<string, Map<string, MinuteRollup>>();
    minutes.set(senderMinute, rollups);

    const { entries } = batch;
    const outcomes = new Array<WriteOutcome>(entries.length);
    const chunk: EventEntry[] = [];
    const insertChunk = (): void => {
      let seq = this.insertEvents(chunk, columns);
      for (let c = 0; c < chunk.length; c++) {
        const entry = chunk[c]!;
        this.keys.add(entry.timestampMs, this.chunkHashes[c]!, seq);
        let byAction = rollups.get(entry.feature);
        if (byAction === undefined) rollups.set(entry.feature, (byAction = new Map()));
        const rollup = byAction.get(entry.action);
        if (rollup === undefined) {
          byAction.set(entry.action, { minuteMs, metadataId, feature: entry.feature, action: entry.action, events: 1, lastMs: receivedMs, lastSeq: seq });
        } else {
          rollup.events++;
          rollup.lastSeq = seq;
        }
        seq++;
      }
      chunk.length = 0;
    };
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.kind === 'rejected') {
        this.insertRejected.run(entry.id, metadataId, entry.feature, entry.action, publisher, entry.reason, receivedMs, entry.bytes, requestId);
        outcomes[i] = STORED;
        continue;
      }
      const hash = idHash(entry.id);
      if (this.keys.has(entry.timestampMs, entry.id, hash) || chunkHolds(chunk, this.chunkHashes, entry, hash)) {
        outcomes[i] = DUPLICATE;
        continue;
      }
      outcomes[i] = STORED; // once the chunk is in: a failed INSERT fails the whole transaction
      this.chunkHashes[chunk.length] = hash;
      if (chunk.push(entry) === EVENTS_PER_INSERT) insertChunk();
    }
    if (chunk.length > 0) insertChunk();
    return outcomes;
  }

  /** The sender's stream_metadata row (one per identity, request_id left out), inserted on first sight. */
  private metadataIdFor(origin: StreamOrigin, split: SplitMetadata, newMetadataIds: Map<string, number>): number {
    const digest = split.identityDigest;
    const known = this.metadataIds.get(digest) ?? newMetadataIds.get(digest);
    if (known !== undefined) return known;
    this.insertMetadata.run(digest, origin.publisher, JSON.stringify(origin.source), split.identityBytes, Date.now());
    const id = this.selectMetadataId.get(digest) as number;
    newMetadataIds.set(digest, id);
    return id;
  }
}

/**
 * The same event (time and id) is already waiting in the chunk: a re-send within one batch. The
 * waiting events' id hashes are compared first: comparing each one's time and id took 6.7% of the
 * writer thread (CPU profile at full load), where the events of a payload often share their time.
 */
function chunkHolds(chunk: readonly EventEntry[], hashes: Float64Array, entry: EventEntry, hash: number): boolean {
  for (let c = 0; c < chunk.length; c++) {
    if (hashes[c] === hash && chunk[c]!.timestampMs === entry.timestampMs && chunk[c]!.id === entry.id) return true;
  }
  return false;
}

/** Events of one (metadata, feature, action) stored in one commit, for event_minutes. */
interface MinuteRollup {
  minuteMs: number;
  metadataId: number;
  feature: string;
  action: string;
  events: number;
  lastMs: number;
  lastSeq: number;
}

type WithRequestId<Row> = Row & { requestId: string | null };

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
