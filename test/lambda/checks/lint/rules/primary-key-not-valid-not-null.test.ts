/** Rule primary-key-not-valid-not-null: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lintMigrations, lintSourceFromText, type LintCatalog } from '../../../../../lambda/checks/lint';
import { lintAfter } from '../pending';

const EXISTING = 'CREATE TABLE accounts (id bigint, email text);\nCREATE UNIQUE INDEX accounts_id_key ON accounts (id);';
const NOT_VALID = 'ALTER TABLE accounts ADD CONSTRAINT accounts_id_nn NOT NULL id NOT VALID;';

async function found(existing: string, ...pending: string[]) {
  return (await lintAfter(existing, ...pending)).findings.filter((f) => f.rule === 'primary-key-not-valid-not-null');
}

describe('Rule: primary-key-not-valid-not-null', () => {
  // Regression: PostgreSQL 18 refused the key at apply time (55000) and neither lint nor plan said so.
  it('reports PRIMARY KEY USING INDEX on a column whose NOT NULL is NOT VALID, naming where it was added; the fix validates first', async () => {
    const [f, ...rest] = await found(`${EXISTING}\n${NOT_VALID}`, 'ALTER TABLE accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY USING INDEX accounts_id_key;');
    expect(rest).toEqual([]);
    expect(f!.message).toBe(
      'PRIMARY KEY on accounts.id, whose NOT NULL constraint accounts_id_nn is NOT VALID (added at 1_existing.sql:3): PostgreSQL 18 refuses it (55000)',
    );
    expect(f!.fix).toBe(
      'ALTER TABLE accounts VALIDATE CONSTRAINT accounts_id_nn;  -- scans under SHARE UPDATE EXCLUSIVE: writes go on\n' +
        'ALTER TABLE accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY USING INDEX accounts_id_key;',
    );
  });
  it('reports ADD PRIMARY KEY (id) too; added NOT VALID in the same transactional file, the fix validates in a later migration', async () => {
    const [f] = await found(EXISTING, `${NOT_VALID}\nALTER TABLE accounts ADD PRIMARY KEY (id);`);
    expect(f!.message).toContain('(added at line 1)');
    expect(f!.fix).toBe(
      '-- file 1 of 2: this file, without the statement\nALTER TABLE accounts ADD CONSTRAINT accounts_id_nn NOT NULL id NOT VALID;\n-- file 2 of 2: a later migration\n' +
        'ALTER TABLE accounts VALIDATE CONSTRAINT accounts_id_nn;  -- scans under SHARE UPDATE EXCLUSIVE: writes go on\nALTER TABLE accounts ADD PRIMARY KEY (id);',
    );
  });
  it.each([
    ['VALIDATE CONSTRAINT', 'ALTER TABLE accounts VALIDATE CONSTRAINT accounts_id_nn;'],
    ['SET NOT NULL (it validates the constraint)', 'ALTER TABLE accounts ALTER COLUMN id SET NOT NULL;'],
    ['SET NOT NULL in the same ALTER TABLE, before the key', 'ALTER TABLE accounts ALTER COLUMN id SET NOT NULL, ADD PRIMARY KEY USING INDEX accounts_id_key;'],
    ['DROP CONSTRAINT', 'ALTER TABLE accounts DROP CONSTRAINT accounts_id_nn;'],
    [
      'a renamed constraint, validated under its new name',
      'ALTER TABLE accounts RENAME CONSTRAINT accounts_id_nn TO accounts_id_required;\nALTER TABLE accounts VALIDATE CONSTRAINT accounts_id_required;',
    ],
  ])('passes after %s', async (_what, before) => {
    expect(await found(`${EXISTING}\n${NOT_VALID}`, `${before}\nALTER TABLE accounts ADD PRIMARY KEY USING INDEX accounts_id_key;`)).toEqual([]);
  });
});

describe('Rule: primary-key-not-valid-not-null, the constraint in the database only (its catalog)', () => {
  const catalog: LintCatalog = {
    functions: [],
    domains: [],
    notValidNotNull: [{ schema: 'public', table: 'accounts', column: 'id', name: 'accounts_id_nn', indexes: ['accounts_id_key'] }],
  };
  async function inDatabase(...pending: string[]) {
    const sources = pending.map((text, k) => lintSourceFromText(`${k + 2}_pending.sql`, text));
    return (await lintMigrations(sources, { catalog })).findings.filter((f) => f.rule === 'primary-key-not-valid-not-null');
  }

  // Regression: plan and lint with a database said nothing (pg_attribute.attnotnull is true while the constraint is NOT VALID); PostgreSQL 18 refused the key.
  it.each([
    ['USING INDEX', 'ALTER TABLE accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY USING INDEX accounts_id_key;'],
    ['a column list', 'ALTER TABLE accounts ADD PRIMARY KEY (id);'],
  ])('reports PRIMARY KEY (%s), naming the constraint; the fix validates it first, in place', async (_form, key) => {
    const [f, ...rest] = await inDatabase(key);
    expect(rest).toEqual([]);
    expect(f!.message).toBe(
      'PRIMARY KEY on accounts.id, whose NOT NULL constraint accounts_id_nn is NOT VALID in the database (no migration added it): PostgreSQL 18 refuses it (55000)',
    );
    expect(f!.fix).toBe(`ALTER TABLE accounts VALIDATE CONSTRAINT accounts_id_nn;  -- scans under SHARE UPDATE EXCLUSIVE: writes go on\n${key}`);
  });
  it('names a constraint renamed by a pending migration by its new name', async () => {
    const [f] = await inDatabase('ALTER TABLE accounts RENAME CONSTRAINT accounts_id_nn TO accounts_id_required;\nALTER TABLE accounts ADD PRIMARY KEY (id);');
    expect(f!.fix).toContain('VALIDATE CONSTRAINT accounts_id_required;');
  });
  // Regression: the catalog has the names from before the run, and a pending rename of the table or the column hid the constraint.
  it.each([
    ['the table renamed', 'ALTER TABLE accounts RENAME TO customers;\nALTER TABLE customers ADD PRIMARY KEY (id);', 'customers.id'],
    [
      'the table moved to another schema',
      'CREATE SCHEMA billing;\nALTER TABLE accounts SET SCHEMA billing;\nALTER TABLE billing.accounts ADD PRIMARY KEY (id);',
      'billing.accounts.id',
    ],
    ['the schema renamed', 'ALTER SCHEMA public RENAME TO core;\nALTER TABLE core.accounts ADD PRIMARY KEY (id);', 'core.accounts.id'],
    ['the column renamed', 'ALTER TABLE accounts RENAME COLUMN id TO account_id;\nALTER TABLE accounts ADD PRIMARY KEY (account_id);', 'accounts.account_id'],
    [
      'the index renamed, USING INDEX',
      'ALTER INDEX accounts_id_key RENAME TO accounts_id_unique;\nALTER TABLE accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY USING INDEX accounts_id_unique;',
      'accounts.id',
    ],
    [
      'the index renamed, then its table moved to another schema',
      'ALTER INDEX accounts_id_key RENAME TO accounts_id_unique;\nCREATE SCHEMA billing;\nALTER TABLE accounts SET SCHEMA billing;\n' +
        'ALTER TABLE billing.accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY USING INDEX accounts_id_unique;',
      'billing.accounts.id',
    ],
    [
      'the index renamed, then its schema renamed',
      'ALTER INDEX accounts_id_key RENAME TO accounts_id_unique;\nALTER SCHEMA public RENAME TO core;\n' +
        'ALTER TABLE core.accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY USING INDEX accounts_id_unique;',
      'core.accounts.id',
    ],
    [
      'the index renamed after its schema was',
      'ALTER SCHEMA public RENAME TO core;\nALTER INDEX core.accounts_id_key RENAME TO accounts_id_unique;\n' +
        'ALTER TABLE core.accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY USING INDEX accounts_id_unique;',
      'core.accounts.id',
    ],
    [
      'the column renamed twice, USING INDEX',
      'ALTER TABLE accounts RENAME COLUMN id TO a;\nALTER TABLE accounts RENAME COLUMN a TO account_id;\nALTER TABLE accounts ADD PRIMARY KEY USING INDEX accounts_id_key;',
      'accounts.account_id',
    ],
  ])('reports the key after %s, naming the column as it is then', async (_what, pending, column) => {
    const [f, ...rest] = await inDatabase(pending);
    expect(rest).toEqual([]);
    expect(f!.message).toBe(
      `PRIMARY KEY on ${column}, whose NOT NULL constraint accounts_id_nn is NOT VALID in the database (no migration added it): PostgreSQL 18 refuses it (55000)`,
    );
  });
  it.each([
    ['VALIDATE CONSTRAINT', 'ALTER TABLE accounts VALIDATE CONSTRAINT accounts_id_nn;'],
    ['SET NOT NULL (it validates the constraint)', 'ALTER TABLE accounts ALTER COLUMN id SET NOT NULL;'],
    ['SET NOT NULL, then the column renamed', 'ALTER TABLE accounts ALTER COLUMN id SET NOT NULL;\nALTER TABLE accounts RENAME COLUMN id TO account_id;'],
    [
      'the table renamed away and another made under its name',
      'ALTER TABLE accounts RENAME TO old_accounts;\nCREATE TABLE accounts (id bigint, email text);\nCREATE UNIQUE INDEX accounts_id_key2 ON accounts (id);\nALTER TABLE accounts ADD PRIMARY KEY USING INDEX accounts_id_key2;',
    ],
    ['DROP CONSTRAINT', 'ALTER TABLE accounts DROP CONSTRAINT accounts_id_nn;'],
    [
      'a renamed constraint, validated under its new name',
      'ALTER TABLE accounts RENAME CONSTRAINT accounts_id_nn TO accounts_id_required;\nALTER TABLE accounts VALIDATE CONSTRAINT accounts_id_required;',
    ],
    [
      'the table dropped and made again',
      'DROP TABLE accounts;\nCREATE TABLE accounts (id bigint, email text);\nCREATE UNIQUE INDEX accounts_id_key ON accounts (id);',
    ],
  ])('passes after %s', async (_what, before) => {
    expect(await inDatabase(`${before}\nALTER TABLE accounts ADD PRIMARY KEY USING INDEX accounts_id_key;`)).toEqual([]);
  });
  it('passes a key USING an index made under the name the database has for another one, renamed away', async () => {
    expect(
      await inDatabase(
        'ALTER INDEX accounts_id_key RENAME TO accounts_id_old;\nCREATE UNIQUE INDEX accounts_id_key ON accounts (email);\n' +
          'ALTER TABLE accounts ADD PRIMARY KEY USING INDEX accounts_id_key;',
      ),
    ).toEqual([]);
  });
  it('passes a key on other columns and an index whose key does not have the column', async () => {
    expect(await inDatabase('ALTER TABLE accounts ADD PRIMARY KEY (email);\nALTER TABLE accounts ADD PRIMARY KEY USING INDEX accounts_email_key;')).toEqual([]);
  });
});
