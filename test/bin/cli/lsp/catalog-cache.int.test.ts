/**
 * The hover's catalog answers from memory (bin/cli/lsp/catalog-cache.ts):
 * each of plan's catalog reads (sizes, foreign keys, a domain's tables, key
 * columns), recorded from a real PostgreSQL, is answered again without it,
 * key by key, as the database answered; a key never read is answered with
 * nothing and listed as unread.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogCache } from '../../../../bin/cli/lsp/catalog-cache';
import { readDomainTables } from '../../../../lambda/checks/locks/domain-tables';
import { readForeignKeys } from '../../../../lambda/checks/locks/foreign-keys';
import { readNullableKeyColumns } from '../../../../lambda/checks/locks/key-columns';
import { readTableSizes } from '../../../../lambda/checks/locks/table-sizes';
import type { RelationRef } from '../../../../lambda/checks/locks/statement-lock';
import { dropDatabases, freshDatabase, targets } from '../../../support/db';

afterAll(dropDatabases);

const target = targets[0]!;
const table = (name: string): RelationRef => ({ schema: 'public', name, kind: 'table' });

describe(`Class: CatalogCache on ${target.name}`, () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client(await freshDatabase(target, 'catalog_cache'));
    await client.connect();
    await client.query(`
      CREATE DOMAIN score AS int CHECK (VALUE >= 0);
      CREATE TABLE leads (id bigint PRIMARY KEY, s score);
      CREATE TABLE purchases (id bigint, lead_id bigint REFERENCES leads (id));
      CREATE UNIQUE INDEX purchases_id ON purchases (id);
      INSERT INTO leads SELECT g FROM generate_series(1, 500) g;
      ANALYZE leads;`);
  });
  afterAll(() => client?.end());

  it('answers each read again, key by key, without the database; a key never read is unread', async () => {
    const cache = new CatalogCache();
    const live = cache.recording(client);
    const reads = {
      sizes: (q: typeof live) => readTableSizes(q, [table('leads'), table('purchases')]),
      keys: (q: typeof live) => readForeignKeys(q, [table('leads'), table('purchases')]),
      domains: (q: typeof live) => readDomainTables(q, [{ name: 'score' }]),
      nullable: (q: typeof live) => readNullableKeyColumns(q, [{ schema: 'public', name: 'purchases_id' }]),
    };
    const recorded = { sizes: await reads.sizes(live), keys: await reads.keys(live), domains: await reads.domains(live), nullable: await reads.nullable(live) };
    expect(recorded.sizes.get('table:"public"."leads"')?.rows).toBe(500);
    expect(recorded.keys.get('table:"public"."purchases"')?.[0]?.constraint).toBe('purchases_lead_id_fkey');
    expect(recorded.nullable.get('"public"."purchases_id"')).toEqual(['id']);

    await client.query('DROP TABLE purchases'); // what the database says now is not what is answered
    const replay = cache.replaying();
    expect(await reads.sizes(replay)).toEqual(recorded.sizes);
    expect(await reads.keys(replay)).toEqual(recorded.keys);
    expect(await reads.domains(replay)).toEqual(recorded.domains);
    expect(await reads.nullable(replay)).toEqual(recorded.nullable);
    expect([...replay.unread]).toEqual([]);

    // One table read, one named since: the first answered, the other unread.
    const some = await readTableSizes(replay, [table('leads'), table('invoices')]);
    expect([...some.keys()]).toEqual(['table:"public"."leads"']);
    expect([...replay.unread]).toEqual(['table:"public"."invoices"']);
  });
});
