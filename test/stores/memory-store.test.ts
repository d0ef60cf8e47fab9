import { createMemoryStore } from '../../src/adapters/stores/memory-store.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('memory', async () => {
  const store = createMemoryStore();
  return { store, reader: store };
});
