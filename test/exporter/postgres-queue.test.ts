import { openQueue } from '../../src/adapters/queues/open-queue.js';
import type { EventQueue } from '../../src/exporter/queue.js';
import { postgresTestStore, requireService } from '../helpers/services.js';
import { queueContract } from './queue-contract.js';

queueContract(
  'postgres',
  async () => {
    const { url, drop } = postgresTestStore();
    const others: EventQueue[] = [];
    return {
      queue: await openQueue(url),
      reopen: () => openQueue(url),
      async withLimits(limits) {
        const queue = await openQueue(url, limits);
        others.push(queue);
        return queue;
      },
      cleanup: async () => {
        for (const queue of others) await queue.close();
        await drop();
      },
    };
  },
  () => requireService('postgres'),
);
