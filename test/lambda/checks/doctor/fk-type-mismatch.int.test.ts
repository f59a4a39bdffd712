import { afterAll, describe, expect, it } from 'vitest';
import { FK_TYPE_MISMATCH } from '../../../../lambda/checks/doctor/fk-type-mismatch';
import { fullMatrixMajors, dropDatabases, withClient } from '../../../support/db';
import { applyFix, badSchemaDatabase, findingsOfRule, findingsOn, findingsOnSchema } from './bad-schema';

afterAll(dropDatabases);

describe.each(fullMatrixMajors)('Rule: fk-type-mismatch on $name', (target) => {
  const findings = findingsOfRule(target, FK_TYPE_MISMATCH);

  it('finds the foreign key between an integer and a bigint, and none between equal types', () => {
    expect(findings().map((f) => f.object)).toEqual(['orders.orders_buyer_fk']);
    expect(findings()[0]!.severity).toBe('error');
  });

  it('names both types of a mismatched foreign key', () => {
    expect(findings().find((x) => x.rule === 'fk-type-mismatch')!.message).toBe(
      'foreign key orders_buyer_fk: orders.buyer_id (integer) references buyers(id) (bigint)'.replace('buyers(id)', 'buyers.id'),
    );
  });

  it('says the indexes are used between integer widths, and that the integer column cannot hold every bigint key', () => {
    expect(findings()[0]!.why).toBe(
      "integer and bigint are one operator family, so the key's checks and joins use the indexes on both sides; " +
        'but orders.buyer_id cannot hold every key of buyers.id: once the key passes 2,147,483,647, a row referencing it fails to insert (22003 integer out of range)',
    );
  });

  it('changes the column to the referenced type', () => {
    expect(findings()[0]!.fix).toMatch(/^ALTER TABLE orders ALTER COLUMN buyer_id TYPE bigint;/);
  });
});

describe.each(fullMatrixMajors)('Rule: fk-type-mismatch on partitions, domains and varchar, on $name', (target) => {
  it('reports a key of a partitioned table once, and one referencing a partitioned table once', async () => {
    const { findings } = await findingsOnSchema(
      target,
      'doctor_fktype_parts',
      `
      CREATE TABLE accounts (id bigint PRIMARY KEY) PARTITION BY RANGE (id);
      CREATE TABLE accounts_1 PARTITION OF accounts FOR VALUES FROM (0) TO (1000);
      CREATE TABLE accounts_2 PARTITION OF accounts FOR VALUES FROM (1000) TO (2000);
      CREATE TABLE users (id bigint PRIMARY KEY);
      CREATE TABLE ledger (at date, user_id integer REFERENCES users (id)) PARTITION BY RANGE (at);
      CREATE TABLE ledger_2025 PARTITION OF ledger FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
      CREATE TABLE ledger_2026 PARTITION OF ledger FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
      CREATE TABLE transfers (account_id integer REFERENCES accounts (id));
    `,
      [FK_TYPE_MISMATCH],
    );
    expect(findings.map((f) => f.object)).toEqual(['ledger.ledger_user_id_fkey', 'transfers.transfers_account_id_fkey']);
  });

  it('finds no mismatch between a domain and its base type, nor between varchar and text', async () => {
    const { findings } = await findingsOnSchema(
      target,
      'doctor_fktype_domain',
      `
      CREATE DOMAIN user_ref AS uuid;
      CREATE DOMAIN strict_user_ref AS user_ref NOT NULL;
      CREATE TABLE users (id uuid PRIMARY KEY, handle text UNIQUE);
      CREATE TABLE orders (user_id user_ref REFERENCES users (id), owner_id strict_user_ref REFERENCES users (id),
                           handle varchar(40) REFERENCES users (handle));
    `,
      [FK_TYPE_MISMATCH],
    );
    expect(findings).toEqual([]);
  });
});

describe.each(fullMatrixMajors)('Rule: fk-type-mismatch, what each pair of types risks, on $name', (target) => {
  it('a wider integer column (a domain over bigint) holds every key: a warning; numeric referenced by integer keeps the cast reason', async () => {
    const { url, findings } = await findingsOnSchema(
      target,
      'doctor_fktype_widths',
      `
      CREATE DOMAIN big_ref AS bigint;
      CREATE TABLE clients (id integer PRIMARY KEY);
      CREATE TABLE projects (id integer PRIMARY KEY, client_id big_ref REFERENCES clients (id));
      CREATE TABLE prices (id numeric PRIMARY KEY);
      CREATE TABLE quotes (price_id integer REFERENCES prices (id));
      INSERT INTO clients VALUES (1); INSERT INTO projects VALUES (1, 1);
    `,
      [FK_TYPE_MISMATCH],
    );
    expect(findings.map((f) => [f.object, f.severity])).toEqual([
      ['projects.projects_client_id_fkey', 'warning'],
      ['quotes.quotes_price_id_fkey', 'error'],
    ]);
    expect(findings[0]!.why).toMatch(
      /^bigint and integer are one operator family, .* projects\.client_id holds every key of clients\.id: only the declared types disagree$/,
    );
    expect(findings[1]!.why).toBe(FK_TYPE_MISMATCH.why);
    // What the reasons claim, on the server: both joins use an index without a cast, and an integer column refuses a key past its range.
    const plan = await withClient(url, async (c) => {
      await c.query('SET enable_seqscan = off');
      return (await c.query('EXPLAIN (COSTS OFF) SELECT * FROM projects p JOIN clients c ON c.id = p.client_id WHERE p.id = 1')).rows
        .map((r) => r['QUERY PLAN'])
        .join('\n');
    });
    expect(plan).toMatch(/Index (Only )?Scan using clients_pkey/);
    const overflow = await withClient(url, (c) =>
      c
        .query(
          'CREATE TABLE buyers (id bigint PRIMARY KEY); CREATE TABLE orders (buyer_id integer REFERENCES buyers (id)); ' +
            'INSERT INTO buyers VALUES (3000000000); INSERT INTO orders VALUES (3000000000)',
        )
        .catch((e: { code?: string }) => e.code),
    );
    expect(overflow).toBe('22003');
  });
});

describe.each(fullMatrixMajors)('Rule: fk-type-mismatch fixes, on $name', (target) => {
  it('prints a type change that applies, after which the rule finds nothing', async () => {
    const url = await badSchemaDatabase(target, 'doctor_fktype_fix');
    const [f] = await findingsOn(url, [FK_TYPE_MISMATCH]);
    await applyFix(url, f!.fix);
    expect(await findingsOn(url, [FK_TYPE_MISMATCH])).toEqual([]);
  });

  it('names first the views that read the column, which the type change cannot pass (0A000)', async () => {
    const { url, findings } = await findingsOnSchema(
      target,
      'doctor_fktype_view',
      `
      CREATE SCHEMA api;
      CREATE TABLE clients (id integer PRIMARY KEY);
      CREATE TABLE projects (id integer PRIMARY KEY, client_id bigint REFERENCES clients (id));
      CREATE VIEW api.projects AS SELECT * FROM projects;
      CREATE VIEW project_ids AS SELECT id FROM projects;
    `,
      [FK_TYPE_MISMATCH],
    );
    expect(findings[0]!.fix.split('\n')).toEqual([
      '-- first drop api.projects (it reads client_id: the type change fails while it exists), and re-create it with its grants after, in the same transaction',
      'ALTER TABLE projects ALTER COLUMN client_id TYPE integer;  -- rewrites projects: in a maintenance window, or via a new column and a backfill',
    ]);
    const refused = await withClient(url, (c) => c.query(findings[0]!.fix).catch((e: { code?: string }) => e.code));
    expect(refused).toBe('0A000');
  });
});
