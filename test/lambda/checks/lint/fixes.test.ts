/**
 * Every fix a rule prints is itself SQL that lint passes: each case below
 * triggers one of the fix texts a rule can print (every branch of every
 * rule), and the fix is linted as the migration files it describes, after
 * the same existing tables.
 */
import { describe, expect, it } from 'vitest';
import { fixFiles } from '../../../../lambda/checks/lint/fix';
import { LINT_RULES } from '../../../../lambda/checks/lint';
import { formatFinding } from '../../../../lambda/checks/finding';
import { lintAfter } from './pending';

const TABLES = `
CREATE TABLE leads (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text, email text, score int, code varchar(20), at timestamp(3));
CREATE TABLE purchases (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, lead_id uuid, legacy_lead varchar(36));
CREATE TABLE events (id bigint, kind text);
CREATE SCHEMA app;
CREATE TABLE app."Accounts" ("Name" text, "user" text);
CREATE DOMAIN positive_int AS int CHECK (VALUE > 0);
CREATE EXTENSION IF NOT EXISTS btree_gist;
`;

/** [rule, what the case covers, pending SQL that triggers it] — after TABLES unless a fourth element gives the existing tables. */
const CASES: [string, string, string, string?][] = [
  ['index-not-concurrent', 'a named index', 'CREATE INDEX leads_name ON leads (name);'],
  ['index-not-concurrent', 'an unnamed unique index on an expression', 'CREATE UNIQUE INDEX ON leads (lower(email));'],
  ['index-not-concurrent', 'an index already IF NOT EXISTS', 'CREATE INDEX IF NOT EXISTS leads_score ON leads USING btree (score) WHERE score > 0;'],
  ['index-not-concurrent', 'ADD CONSTRAINT UNIQUE', 'ALTER TABLE leads ADD CONSTRAINT leads_code_key UNIQUE (code);'],
  ['index-not-concurrent', 'ADD PRIMARY KEY on a nullable column', 'ALTER TABLE events ADD PRIMARY KEY (id);'],
  ['index-not-concurrent', 'ADD CONSTRAINT EXCLUDE', 'ALTER TABLE events ADD CONSTRAINT events_excl EXCLUDE USING gist (kind WITH =);'],
  ['index-not-concurrent', 'ADD COLUMN UNIQUE', 'ALTER TABLE leads ADD COLUMN handle text UNIQUE;'],
  ['index-not-concurrent', 'ADD COLUMN PRIMARY KEY', 'ALTER TABLE events ADD COLUMN event_id bigint DEFAULT 0 PRIMARY KEY;'],
  ['index-not-concurrent', 'a quoted table in another schema', 'CREATE INDEX accounts_name ON app."Accounts" ("Name");'],
  ['constraint-not-valid', 'a named foreign key', 'ALTER TABLE purchases ADD CONSTRAINT purchases_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id) ON DELETE CASCADE;'],
  ['constraint-not-valid', 'an unnamed foreign key', 'ALTER TABLE purchases ADD FOREIGN KEY (lead_id) REFERENCES leads;'],
  ['constraint-not-valid', 'a named CHECK', "ALTER TABLE leads ADD CONSTRAINT leads_score_range CHECK (score BETWEEN 0 AND 100 AND name <> ',');"],
  ['constraint-not-valid', 'an unnamed CHECK', 'ALTER TABLE leads ADD CHECK (score > 0);'],
  ['constraint-not-valid', 'a new column with REFERENCES', 'ALTER TABLE purchases ADD COLUMN other_lead uuid REFERENCES leads (id) ON DELETE SET NULL;'],
  ['constraint-not-valid', 'a new column with a named REFERENCES and a CHECK', 'ALTER TABLE purchases ADD COLUMN qty int CHECK (qty > 0) DEFAULT 1, ADD COLUMN lead2 uuid CONSTRAINT purchases_lead2_fk REFERENCES leads;'],
  ['validate-in-same-transaction', 'a CHECK', 'ALTER TABLE leads ADD CONSTRAINT leads_score_positive CHECK (score > 0) NOT VALID;\nALTER TABLE leads VALIDATE CONSTRAINT leads_score_positive;'],
  ['validate-in-same-transaction', 'a foreign key', 'ALTER TABLE purchases ADD CONSTRAINT purchases_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id) NOT VALID;\nALTER TABLE purchases VALIDATE CONSTRAINT purchases_lead_fk;'],
  ['set-not-null-without-check', 'a plain column', 'ALTER TABLE leads ALTER COLUMN name SET NOT NULL;'],
  ['set-not-null-without-check', 'quoted names in another schema', 'ALTER TABLE app."Accounts" ALTER COLUMN "Name" SET NOT NULL, ALTER COLUMN "user" SET NOT NULL;'],
  ['adding-required-field', 'NOT NULL without a default', 'ALTER TABLE leads ADD COLUMN public boolean NOT NULL;'],
  ['adding-required-field', 'a PRIMARY KEY without a default', 'ALTER TABLE events ADD COLUMN uid uuid PRIMARY KEY;'],
  ['adding-required-field', 'NOT NULL with a CHECK kept', 'ALTER TABLE leads ADD COLUMN rank int NOT NULL CHECK (rank > 0);'],
  ['column-type-rewrite', 'a known type', 'ALTER TABLE leads ALTER COLUMN score TYPE bigint;'],
  ['column-type-rewrite', 'a type written with precision and time zone', 'ALTER TABLE leads ALTER COLUMN at TYPE timestamp(3) with time zone USING at AT TIME ZONE \'UTC\';'],
  ['column-type-rewrite', 'an unknown current type', 'ALTER TABLE elsewhere ALTER COLUMN a TYPE numeric(12, 2);'],
  ['volatile-default', 'a volatile built-in', 'ALTER TABLE leads ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();'],
  ['volatile-default', 'an expression around a volatile call', "ALTER TABLE leads ADD COLUMN salt text DEFAULT md5(random()::text || 'x');"],
  ['volatile-default', 'a serial type', 'ALTER TABLE leads ADD COLUMN n bigserial;'],
  ['volatile-default', 'an identity', 'ALTER TABLE leads ADD COLUMN seq bigint GENERATED BY DEFAULT AS IDENTITY;'],
  ['volatile-default', 'a stored generated column', 'ALTER TABLE leads ADD COLUMN doubled int GENERATED ALWAYS AS (score * 2) STORED;'],
  ['volatile-default', 'a function lint does not know', 'ALTER TABLE leads ADD COLUMN slug text DEFAULT make_slug();'],
  ['volatile-default', 'a domain with a CHECK', 'ALTER TABLE leads ADD COLUMN qty positive_int DEFAULT 1;'],
  ['uuid-pk-without-default', 'a column key named id', 'CREATE TABLE lead_purchases (id uuid PRIMARY KEY, lead_id uuid);'],
  ['uuid-pk-without-default', 'a table key', 'CREATE TABLE notes (id pg_catalog.uuid NOT NULL, body text, PRIMARY KEY (id));'],
  ['uuid-pk-without-default', 'a key not named id (warning)', 'CREATE TABLE audit (purchase_id uuid PRIMARY KEY);'],
  ['fk-type-mismatch', 'an inline REFERENCES in CREATE TABLE', 'CREATE TABLE notes (id bigint PRIMARY KEY, lead_id text REFERENCES leads (id));'],
  ['fk-type-mismatch', 'a table FOREIGN KEY in CREATE TABLE', 'CREATE TABLE notes (id bigint PRIMARY KEY, lead_id varchar(36), FOREIGN KEY (lead_id) REFERENCES leads);'],
  ['fk-type-mismatch', 'an existing column', 'ALTER TABLE purchases ADD CONSTRAINT legacy_fk FOREIGN KEY (legacy_lead) REFERENCES leads (id) NOT VALID;'],
  ['fk-type-mismatch', 'a new column of an existing table', 'ALTER TABLE purchases ADD COLUMN lead3 text REFERENCES leads (id);'],
  ['lock-timeout-disabled', 'the directive', '-- schemaguard:lock-timeout=0\nCREATE TABLE t (id int);'],
  ['lock-timeout-disabled', 'a SET', "SET LOCAL lock_timeout TO '0';"],
  ['concurrently-in-transaction', 'CREATE INDEX CONCURRENTLY', 'CREATE INDEX CONCURRENTLY leads_name ON leads (name);'],
  ['concurrently-in-transaction', 'an unnamed one', 'CREATE INDEX CONCURRENTLY ON leads (name);'],
  ['concurrently-in-transaction', 'DROP INDEX CONCURRENTLY', 'DROP INDEX CONCURRENTLY leads_name;'],
  ['concurrently-in-transaction', 'REINDEX CONCURRENTLY', 'REINDEX (CONCURRENTLY) INDEX leads_name;'],
  ['unused-allow', 'a stale allow', '-- schemaguard:allow index-not-concurrent small\nCREATE TABLE t (id int);'],
  ['unused-allow', 'an unknown rule', '-- schemaguard:allow no-such-rule because\nCREATE TABLE t (id int);'],
];

describe('Fixes: every fix a rule prints passes lint', () => {
  it('the cases cover every rule', () => {
    expect(new Set(CASES.map((c) => c[0]))).toEqual(new Set(LINT_RULES.map((r) => r.id)));
  });

  it.each(CASES)('%s (%s)', async (rule, _what, sql, existing = TABLES) => {
    const findings = (await lintAfter(existing, sql)).findings.filter((f) => f.rule === rule);
    expect(findings.length, `${rule} does not fire on: ${sql}`).toBeGreaterThan(0);
    for (const f of findings) {
      const files = fixFiles(f.fix);
      const again = await lintAfter(existing, ...files);
      expect(again.findings.map(formatFinding), `the fix of:\n${formatFinding(f)}`).toEqual([]);
    }
  });
});
