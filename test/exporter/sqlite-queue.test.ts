import { join } from 'node:path';
import { openSqliteQueue } from '../../src/adapters/queues/sqlite-queue.js';
import { tempDir } from '../helpers/temp-dir.js';
import { queueContract } from './queue-contract.js';

queueContract('sqlite', async () => {
  const dir = tempDir();
  const path = join(dir.path, 'queue.db');
  return {
    queue: openSqliteQueue(path),
    reopen: async () => openSqliteQueue(path),
    cleanup: async () => dir[Symbol.dispose](),
  };
});
