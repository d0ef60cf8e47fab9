import type { Pool, PoolClient } from 'pg';

/** Runs `use` in one transaction on a pooled client: committed if it resolves, rolled back if it throws. */
export async function inTransaction<T>(pool: Pool, use: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A checked-out client that loses its connection emits 'error'; without a listener that would crash the process.
  const ignore = (): void => {};
  client.on('error', ignore);
  let failed: unknown;
  try {
    await client.query('BEGIN');
    const value = await use(client);
    await client.query('COMMIT');
    return value;
  } catch (error) {
    failed = error;
    await client.query('ROLLBACK').catch(ignore);
    throw error;
  } finally {
    client.removeListener('error', ignore);
    client.release(failed instanceof Error ? failed : undefined);
  }
}
