import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pgNumberArray, pgTextArray } from '../../src/adapters/stores/postgres/pg-text.js';
import { requireService, withPostgres } from '../helpers/services.js';

const skip = await requireService('postgres');

const TRICKY = ['', ' ', ' padded ', '"', '\\', '\\"', '"\\', 'a,b', '{x}', 'NULL', 'null', "it's", 'line\nbreak', 'tab\there', 'é ü ✓ 🙂', '\\\\', '""', '{"a":1}'];

describe('PostgreSQL array literals (pg-text.ts) read back as what was written', { skip }, () => {
  it('text[], jsonb[], int4[] and float8[], tricky elements and generated ones', async () => {
    await withPostgres(async (client) => {
      const roundTrip = async (texts: (string | null)[], ints: number[], floats: number[]): Promise<void> => {
        const { rows } = await client.query<{ t: (string | null)[]; i: number[]; f: number[] }>('SELECT $1::text[] AS t, $2::int4[] AS i, $3::float8[] AS f', [
          pgTextArray(texts),
          pgNumberArray(ints),
          pgNumberArray(floats),
        ]);
        // Lone surrogates go over the wire as U+FFFD (UTF-8): compared with what they become.
        const sent = texts.map((t) => (t === null ? null : Buffer.from(t, 'utf8').toString('utf8')));
        assert.deepEqual(rows[0], { t: sent, i: ints, f: floats });
      };
      await roundTrip([...TRICKY, null], [0, -1, 2_147_483_647, -2_147_483_648], [0, 1.5, -2.25, 1_764_780_000_123, Number.MAX_SAFE_INTEGER]);
      await roundTrip([], [], []);
      const json = [{ kind: 'instance', id: 'a"b\\c' }, { text: TRICKY }];
      const { rows } = await client.query<{ j: unknown[] }>('SELECT $1::jsonb[] AS j', [pgTextArray(json.map((v) => JSON.stringify(v)))]);
      assert.deepEqual(rows[0]!.j, json);
      // Generated text (NUL aside: PostgreSQL text cannot hold it; pgText replaces it before).
      const text = fc.string({ unit: 'binary', maxLength: 12 }).map((s) => s.replaceAll('\u0000', '\uFFFD'));
      for (const sample of fc.sample(fc.array(fc.option(text, { nil: null }), { maxLength: 20 }), { numRuns: 200, seed: 20261203 })) {
        await roundTrip(sample, [], []);
      }
    });
  });
});
