import { openQueue } from '../../src/adapters/queues/open-queue.js';
import { postgresTestStore, requireService } from '../helpers/services.js';
import { queueContract } from './queue-contract.js';

queueContract(
  'postgres',
  async () => {
    const { url, drop } = postgresTestStore();
    return { queue: await openQueue(url), reopen: () => openQueue(url), cleanup: drop };
  },
  () => requireService('postgres'),
);
