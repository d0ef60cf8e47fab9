/** Child process of sqlite-event-keys.test.ts: writes the test's entries, printing the count acknowledged. */
import { openSqliteStore } from '../../src/adapters/stores/sqlite/sqlite-store.js';
import { BATCH, entry, origin } from './sqlite-event-keys-fixtures.js';

const [path, total] = process.argv.slice(2);
const store = openSqliteStore(path!);
for (let start = 0; start < Number(total); start += BATCH) {
  await store.write({ origin, entries: Array.from({ length: BATCH }, (_, k) => entry(start + k)) });
  process.stdout.write(`${start + BATCH}\n`);
}
await store.close();
