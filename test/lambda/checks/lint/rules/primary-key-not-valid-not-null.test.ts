/** Rule primary-key-not-valid-not-null: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
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
    expect(f!.message).toBe('PRIMARY KEY on accounts.id, whose NOT NULL constraint accounts_id_nn is NOT VALID (added at 1_existing.sql:3): PostgreSQL 18 refuses it (55000)');
    expect(f!.fix).toBe('ALTER TABLE accounts VALIDATE CONSTRAINT accounts_id_nn;  -- scans under SHARE UPDATE EXCLUSIVE: writes go on\n'
      + 'ALTER TABLE accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY USING INDEX accounts_id_key;');
  });
  it('reports ADD PRIMARY KEY (id) too; added NOT VALID in the same transactional file, the fix validates in a later migration', async () => {
    const [f] = await found(EXISTING, `${NOT_VALID}\nALTER TABLE accounts ADD PRIMARY KEY (id);`);
    expect(f!.message).toContain('(added at line 1)');
    expect(f!.fix).toBe('-- file 1 of 2: this file, without the statement\nALTER TABLE accounts ADD CONSTRAINT accounts_id_nn NOT NULL id NOT VALID;\n-- file 2 of 2: a later migration\n'
      + 'ALTER TABLE accounts VALIDATE CONSTRAINT accounts_id_nn;  -- scans under SHARE UPDATE EXCLUSIVE: writes go on\nALTER TABLE accounts ADD PRIMARY KEY (id);');
  });
  it.each([
    ['VALIDATE CONSTRAINT', 'ALTER TABLE accounts VALIDATE CONSTRAINT accounts_id_nn;'],
    ['SET NOT NULL (it validates the constraint)', 'ALTER TABLE accounts ALTER COLUMN id SET NOT NULL;'],
    ['SET NOT NULL in the same ALTER TABLE, before the key', 'ALTER TABLE accounts ALTER COLUMN id SET NOT NULL, ADD PRIMARY KEY USING INDEX accounts_id_key;'],
    ['DROP CONSTRAINT', 'ALTER TABLE accounts DROP CONSTRAINT accounts_id_nn;'],
    ['a renamed constraint, validated under its new name', 'ALTER TABLE accounts RENAME CONSTRAINT accounts_id_nn TO accounts_id_required;\nALTER TABLE accounts VALIDATE CONSTRAINT accounts_id_required;'],
  ])('passes after %s', async (_what, before) => {
    expect(await found(`${EXISTING}\n${NOT_VALID}`, `${before}\nALTER TABLE accounts ADD PRIMARY KEY USING INDEX accounts_id_key;`)).toEqual([]);
  });
});
