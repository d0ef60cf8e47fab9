import { retryable, type WriteBatch, type WriteOutcome } from '../../../core/store.js';

/** Commits a group of batches in one transaction; resolves with each batch's outcomes, never rejects. */
export type CommitGroup = (group: readonly WriteBatch[]) => Promise<WriteOutcome[][]>;

export interface CommitQueueOptions {
  commit: CommitGroup;
  /** Commits in flight at once (one per pooled connection). */
  maxConcurrentCommits: number;
  /** Most entries in one group; a single larger batch still goes alone. */
  maxEntriesPerCommit: number;
}

export interface CommitQueue {
  write(batch: WriteBatch): Promise<WriteOutcome[]>;
  /** Resolves once everything queued so far has been committed or failed. */
  drain(): Promise<void>;
}

interface Pending {
  batch: WriteBatch;
  resolve: (outcomes: WriteOutcome[]) => void;
}

/**
 * Group commit over a connection pool: writes from every stream queue up, and
 * each free connection takes everything queued (up to a size limit) into one
 * commit. Under load a commit carries many payloads, so the per-commit cost
 * (round trip, WAL flush) is shared; with several connections, commits overlap.
 */
export function createCommitQueue(options: CommitQueueOptions): CommitQueue {
  const pending: Pending[] = [];
  let active = 0;
  let scheduled = false;
  const idleWaiters: Array<() => void> = [];

  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    // Next turn of the event loop: writes from streams decoded in this turn join the same group.
    setImmediate(pump);
  };

  function pump(): void {
    scheduled = false;
    while (pending.length > 0 && active < options.maxConcurrentCommits) {
      const group = takeGroup();
      active++;
      options
        .commit(group.map((p) => p.batch))
        .catch((error: unknown) => {
          // commit never rejects by contract; if it does, nothing was acknowledged, so retrying is safe.
          const failure = retryable(`postgres: ${error instanceof Error ? error.message : String(error)}`);
          return group.map((p) => p.batch.entries.map(() => failure));
        })
        .then((outcomes) => {
          group.forEach((p, i) => p.resolve(outcomes[i]!));
          active--;
          if (pending.length > 0) pump();
          else if (active === 0) idleWaiters.splice(0).forEach((wake) => wake());
        });
    }
  }

  function takeGroup(): Pending[] {
    let entries = 0;
    let count = 0;
    while (count < pending.length && (count === 0 || entries + pending[count]!.batch.entries.length <= options.maxEntriesPerCommit)) {
      entries += pending[count]!.batch.entries.length;
      count++;
    }
    return pending.splice(0, count);
  }

  return {
    write(batch) {
      if (batch.entries.length === 0) return Promise.resolve([]);
      return new Promise((resolve) => {
        pending.push({ batch, resolve });
        schedule();
      });
    },
    drain() {
      if (pending.length === 0 && active === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
