/** Rule fk-type-mismatch: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lint, lintAfter, rules } from '../pending';

describe('Rule: fk-type-mismatch', () => {
  it('reports a varchar column referencing a uuid key, naming both types', async () => {
    const r = await lint('ALTER TABLE purchases ADD CONSTRAINT legacy_fk FOREIGN KEY (legacy_lead) REFERENCES leads (id) NOT VALID;');
    expect(r.findings.map((f) => f.rule)).toEqual(['fk-type-mismatch']);
    expect(r.findings[0]!.message).toBe('purchases.legacy_lead (character varying(36)) references leads.id (uuid): the types differ');
  });
  it('reports an inline REFERENCES in CREATE TABLE (the referenced primary key by default)', async () => {
    expect(await rules('CREATE TABLE notes (id bigint PRIMARY KEY, lead_id text REFERENCES leads);')).toEqual(['fk-type-mismatch']);
  });
  it('accepts equal types', async () => {
    expect(await rules('CREATE TABLE notes (id bigint PRIMARY KEY, lead_id uuid REFERENCES leads (id));')).toEqual([]);
  });

  it('between integer widths, says the indexes are used and which side overflows: an integer column referencing a bigint key is an error', async () => {
    const r = await lintAfter(
      'CREATE TABLE buyers (id bigint PRIMARY KEY);',
      'CREATE TABLE orders (id bigint PRIMARY KEY, buyer_id integer REFERENCES buyers (id));',
    );
    expect(r.findings.map((f) => [f.rule, f.severity])).toEqual([['fk-type-mismatch', 'error']]);
    expect(r.findings[0]!.why).toBe(
      "integer and bigint are one operator family, so the key's checks and joins use the indexes on both sides; " +
        'but orders.buyer_id cannot hold every key of buyers.id: once the key passes 2,147,483,647, a row referencing it fails to insert (22003 integer out of range)',
    );
  });
  it('a bigint column referencing an integer key holds every key: a warning, not an error', async () => {
    const r = await lintAfter(
      'CREATE TABLE clients (id integer PRIMARY KEY);',
      'CREATE TABLE projects (id bigint PRIMARY KEY, client_id bigint REFERENCES clients (id));',
    );
    expect(r.findings.map((f) => [f.rule, f.severity])).toEqual([['fk-type-mismatch', 'warning']]);
    expect(r.findings[0]!.why).toMatch(
      /use the indexes on both sides, and projects\.client_id holds every key of clients\.id: only the declared types disagree$/,
    );
  });
  // Regression: a column of a domain over bigint was "the types differ" from the bigint key it references.
  it('a domain compares as its base type: over bigint it passes; over integer it is the integer verdict', async () => {
    expect(
      (
        await lintAfter(
          'CREATE TABLE buyers (id bigint PRIMARY KEY); CREATE DOMAIN buyer_ref AS bigint CHECK (VALUE > 0);',
          'CREATE TABLE orders (id bigint PRIMARY KEY, buyer_id buyer_ref REFERENCES buyers (id));',
        )
      ).findings,
    ).toEqual([]);
    const narrow = await lintAfter(
      'CREATE TABLE buyers (id bigint PRIMARY KEY); CREATE DOMAIN small_ref AS integer;',
      'CREATE TABLE orders (id bigint PRIMARY KEY, buyer_id small_ref REFERENCES buyers (id));',
    );
    expect(narrow.findings.map((f) => [f.rule, f.severity])).toEqual([['fk-type-mismatch', 'error']]);
    expect(narrow.findings[0]!.message).toBe('orders.buyer_id (small_ref) references buyers.id (bigint): the types differ');
    expect(narrow.findings[0]!.why).toContain('orders.buyer_id cannot hold every key of buyers.id');
  });
  it('other types keep the cast reason (numeric referenced by an integer column)', async () => {
    const r = await lintAfter('CREATE TABLE prices (id numeric PRIMARY KEY);', 'CREATE TABLE quotes (price_id integer REFERENCES prices (id));');
    expect(r.findings.map((f) => [f.rule, f.severity])).toEqual([['fk-type-mismatch', 'error']]);
    expect(r.findings[0]!.why).toMatch(
      /^PostgreSQL either refuses the foreign key \(no equality operator between integer and numeric\) or every join and lookup needs a cast/,
    );
  });

  // Regression: a text column referencing a varchar(n) key was an error ("a cast that can defeat the index"); PostgreSQL builds the key on text = text and uses the index.
  it('text and varchar reference each other without a finding; char(n) against text still differs', async () => {
    expect(
      (
        await lintAfter(
          'CREATE TABLE users (id varchar(64) PRIMARY KEY, handle text UNIQUE);',
          'CREATE TABLE sessions (user_id text REFERENCES users (id), handle varchar(20) REFERENCES users (handle), other character varying REFERENCES users (id));',
        )
      ).findings,
    ).toEqual([]);
    const padded = await lintAfter('CREATE TABLE codes (id char(10) PRIMARY KEY);', 'CREATE TABLE uses (code text REFERENCES codes (id));');
    expect(padded.findings.map((f) => [f.rule, f.severity])).toEqual([['fk-type-mismatch', 'error']]);
  });
  // Regression: two mismatched keys in one CREATE TABLE printed two fixes, each the statement with only its own column changed, so each undid the other.
  it('two mismatched keys in one CREATE TABLE: each fix changes both columns', async () => {
    const r = await lintAfter(
      'CREATE TABLE buyers (id bigint PRIMARY KEY); CREATE TABLE leads (id uuid PRIMARY KEY);',
      'CREATE TABLE orders (id bigint PRIMARY KEY, lead_id text REFERENCES leads (id), buyer_id integer REFERENCES buyers (id));',
    );
    const both = 'CREATE TABLE orders (id bigint PRIMARY KEY, lead_id uuid REFERENCES leads (id), buyer_id bigint REFERENCES buyers (id));';
    expect(r.findings.map((f) => [f.rule, f.fix])).toEqual([
      ['fk-type-mismatch', both],
      ['fk-type-mismatch', both],
    ]);
  });
  // Regression: the same in one ALTER TABLE … ADD COLUMN a … REFERENCES x, ADD COLUMN b … REFERENCES y: each fix changed only its own column and undid the other.
  it('two mismatched keys added by one ALTER TABLE of a table the file creates: each fix is the statement with both columns changed', async () => {
    const r = await lintAfter(
      'CREATE TABLE buyers (id bigint PRIMARY KEY); CREATE TABLE leads (id uuid PRIMARY KEY);',
      'CREATE TABLE orders (id bigint PRIMARY KEY);\nALTER TABLE orders ADD COLUMN lead_id text REFERENCES leads (id), ADD COLUMN note text, ADD COLUMN buyer_id integer REFERENCES buyers (id);',
    );
    const both = 'ALTER TABLE orders ADD COLUMN lead_id uuid REFERENCES leads (id), ADD COLUMN note text, ADD COLUMN buyer_id bigint REFERENCES buyers (id);';
    expect(r.findings.map((f) => [f.rule, f.line, f.fix])).toEqual([
      ['fk-type-mismatch', 2, both],
      ['fk-type-mismatch', 2, both],
    ]);
  });
  it('two mismatched keys added by one ALTER TABLE of an existing table: each fix adds both columns NOT VALID and validates both later', async () => {
    const r = await lintAfter(
      'CREATE TABLE buyers (id bigint PRIMARY KEY); CREATE TABLE leads (id uuid PRIMARY KEY); CREATE TABLE orders (id bigint PRIMARY KEY);',
      'ALTER TABLE orders ADD COLUMN lead_id text REFERENCES leads (id), ADD COLUMN buyer_id integer REFERENCES buyers (id);',
    );
    const both = [
      '-- file 1 of 2: in place of the statement',
      'ALTER TABLE orders ADD COLUMN lead_id uuid, ADD COLUMN buyer_id bigint;',
      'ALTER TABLE orders ADD CONSTRAINT orders_lead_id_fkey FOREIGN KEY (lead_id) REFERENCES leads (id) NOT VALID;  -- instant, enforced for new rows',
      'ALTER TABLE orders ADD CONSTRAINT orders_buyer_id_fkey FOREIGN KEY (buyer_id) REFERENCES buyers (id) NOT VALID;  -- instant, enforced for new rows',
      '-- file 2 of 2: a later migration',
      'ALTER TABLE orders VALIDATE CONSTRAINT orders_lead_id_fkey;  -- scans under a lock that lets reads and writes go on',
      'ALTER TABLE orders VALIDATE CONSTRAINT orders_buyer_id_fkey;  -- scans under a lock that lets reads and writes go on',
    ].join('\n');
    expect(r.findings.map((f) => [f.rule, f.fix])).toEqual([
      ['fk-type-mismatch', both],
      ['fk-type-mismatch', both],
    ]);
  });
  // Regression: the fix for a new column of an existing table was only the mismatched columns: the statement's other commands (ADD COLUMN note text) and the column's other constraints were gone from it.
  it("a new column of an existing table: the fix keeps the statement's other commands, the column's other constraints, and the key's name and actions", async () => {
    const r = await lintAfter(
      'CREATE TABLE buyers (id bigint PRIMARY KEY); CREATE TABLE leads (id uuid PRIMARY KEY); CREATE TABLE orders (id bigint PRIMARY KEY);',
      "ALTER TABLE orders ADD COLUMN lead_id text NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000' REFERENCES leads (id) ON DELETE CASCADE, ADD COLUMN note text,\n  ADD COLUMN buyer_id integer CONSTRAINT orders_buyer_fk REFERENCES buyers (id) NOT NULL;",
    );
    const fix = [
      '-- file 1 of 2: in place of the statement',
      "ALTER TABLE orders ADD COLUMN lead_id uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000', ADD COLUMN note text,\n  ADD COLUMN buyer_id bigint NOT NULL;",
      'ALTER TABLE orders ADD CONSTRAINT orders_lead_id_fkey FOREIGN KEY (lead_id) REFERENCES leads (id) ON DELETE CASCADE NOT VALID;  -- instant, enforced for new rows',
      'ALTER TABLE orders ADD CONSTRAINT orders_buyer_fk FOREIGN KEY (buyer_id) REFERENCES buyers (id) NOT VALID;  -- instant, enforced for new rows',
      '-- file 2 of 2: a later migration',
      'ALTER TABLE orders VALIDATE CONSTRAINT orders_lead_id_fkey;  -- scans under a lock that lets reads and writes go on',
      'ALTER TABLE orders VALIDATE CONSTRAINT orders_buyer_fk;  -- scans under a lock that lets reads and writes go on',
    ].join('\n');
    const found = r.findings.filter((f) => f.rule === 'fk-type-mismatch');
    expect(found.map((f) => f.fix)).toEqual([fix, fix]);
    const single = await lintAfter(
      'CREATE TABLE leads (id uuid PRIMARY KEY); CREATE TABLE orders (id bigint PRIMARY KEY);',
      'ALTER TABLE orders ADD COLUMN note text, ADD COLUMN lead_id text REFERENCES leads (id);',
    );
    expect(single.findings.map((f) => f.fix)).toEqual([
      [
        '-- file 1 of 2: in place of the statement',
        'ALTER TABLE orders ADD COLUMN note text, ADD COLUMN lead_id uuid;',
        'ALTER TABLE orders ADD CONSTRAINT orders_lead_id_fkey FOREIGN KEY (lead_id) REFERENCES leads (id) NOT VALID;  -- instant, enforced for new rows',
        '-- file 2 of 2: a later migration',
        'ALTER TABLE orders VALIDATE CONSTRAINT orders_lead_id_fkey;  -- scans under a lock that lets reads and writes go on',
      ].join('\n'),
    ]);
  });
  // Regression: the fix for a FOREIGN KEY on a column the table already has was only the swap to a new column: the statement's other commands (ADD COLUMN note) were gone from it.
  it("an existing column: the fix keeps the statement's other commands, and swaps each mismatched column", async () => {
    const r = await lintAfter(
      'CREATE TABLE buyers (id bigint PRIMARY KEY); CREATE TABLE leads (id uuid PRIMARY KEY); CREATE TABLE orders (id bigint PRIMARY KEY, lead_id text, buyer_id integer);',
      "ALTER TABLE orders ADD CONSTRAINT orders_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id) NOT VALID, ADD COLUMN note text NOT NULL DEFAULT 'none',\n  ADD CONSTRAINT orders_buyer_fk FOREIGN KEY (buyer_id) REFERENCES buyers (id) NOT VALID;",
    );
    const found = r.findings.filter((f) => f.rule === 'fk-type-mismatch');
    expect(found).toHaveLength(2);
    expect(found[1]!.fix).toBe(found[0]!.fix);
    expect(found[0]!.fix.split('\n').filter((l) => !l.startsWith('--'))).toEqual([
      "ALTER TABLE orders ADD COLUMN note text NOT NULL DEFAULT 'none';",
      'ALTER TABLE orders ADD COLUMN lead_id_new uuid;',
      'ALTER TABLE orders ADD CONSTRAINT orders_lead_id_new_fkey FOREIGN KEY (lead_id_new) REFERENCES leads (id) NOT VALID;  -- instant, enforced for new rows',
      'ALTER TABLE orders ADD COLUMN buyer_id_new bigint;',
      'ALTER TABLE orders ADD CONSTRAINT orders_buyer_id_new_fkey FOREIGN KEY (buyer_id_new) REFERENCES buyers (id) NOT VALID;  -- instant, enforced for new rows',
      'ALTER TABLE orders VALIDATE CONSTRAINT orders_lead_id_new_fkey;  -- scans under a lock that lets reads and writes go on',
      'ALTER TABLE orders DROP COLUMN lead_id;',
      'ALTER TABLE orders VALIDATE CONSTRAINT orders_buyer_id_new_fkey;  -- scans under a lock that lets reads and writes go on',
      'ALTER TABLE orders DROP COLUMN buyer_id;',
    ]);
  });
  // Regression: ADD COLUMN a, ADD COLUMN b, ADD FOREIGN KEY (a) …, ADD FOREIGN KEY (b) … printed a fix per key, each with only its own column retyped, so each undid the other.
  it('table FOREIGN KEYs on columns the same ALTER TABLE adds: each fix is the statement with every mismatched column retyped', async () => {
    const keys = 'CREATE TABLE buyers (id bigint PRIMARY KEY); CREATE TABLE leads (id uuid PRIMARY KEY);';
    const alter =
      'ALTER TABLE orders ADD COLUMN lead_id text, ADD COLUMN note text, ADD COLUMN buyer_id integer REFERENCES buyers (id), ADD FOREIGN KEY (lead_id) REFERENCES leads (id);';
    const created = await lintAfter(keys, `CREATE TABLE orders (id bigint PRIMARY KEY);\n${alter}`);
    const both =
      'ALTER TABLE orders ADD COLUMN lead_id uuid, ADD COLUMN note text, ADD COLUMN buyer_id bigint REFERENCES buyers (id), ADD FOREIGN KEY (lead_id) REFERENCES leads (id);';
    expect(created.findings.map((f) => [f.rule, f.fix])).toEqual([
      ['fk-type-mismatch', both],
      ['fk-type-mismatch', both],
    ]);
    const existing = await lintAfter(
      `${keys} CREATE TABLE orders (id bigint PRIMARY KEY);`,
      'ALTER TABLE orders ADD COLUMN lead_id text, ADD COLUMN buyer_id integer, ADD CONSTRAINT orders_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id) NOT VALID, ADD CONSTRAINT orders_buyer_fk FOREIGN KEY (buyer_id) REFERENCES buyers (id) NOT VALID;',
    );
    const retyped =
      'ALTER TABLE orders ADD COLUMN lead_id uuid, ADD COLUMN buyer_id bigint, ADD CONSTRAINT orders_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id) NOT VALID, ADD CONSTRAINT orders_buyer_fk FOREIGN KEY (buyer_id) REFERENCES buyers (id) NOT VALID;';
    expect(existing.findings.map((f) => [f.rule, f.fix])).toEqual([
      ['fk-type-mismatch', retyped],
      ['fk-type-mismatch', retyped],
    ]);
  });
  it('a table FOREIGN KEY on a column the same ALTER TABLE adds to an existing table: the fix is the statement with the column retyped', async () => {
    const r = await lintAfter(
      'CREATE TABLE leads (id uuid PRIMARY KEY); CREATE TABLE orders (id bigint PRIMARY KEY);',
      'ALTER TABLE orders ADD COLUMN note text, ADD COLUMN lead_id text, ADD CONSTRAINT orders_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id) NOT VALID;',
    );
    expect(r.findings.map((f) => [f.rule, f.fix])).toEqual([
      [
        'fk-type-mismatch',
        'ALTER TABLE orders ADD COLUMN note text, ADD COLUMN lead_id uuid, ADD CONSTRAINT orders_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id) NOT VALID;',
      ],
    ]);
  });
});
