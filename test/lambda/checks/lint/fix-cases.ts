/**
 * Cases that make every rule print every kind of fix it has: fixes.test.ts
 * lints each fix as the migrations it describes, fixes.int.test.ts applies
 * them to real PostgreSQL.
 */

export const TABLES = `
CREATE TABLE leads (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text, email text, score int, code varchar(20), at timestamp(3));
CREATE TABLE purchases (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, lead_id uuid, legacy_lead varchar(36));
CREATE TABLE events (id bigint, kind text);
CREATE TABLE tickets (id bigint, note text);
CREATE UNIQUE INDEX tickets_id_key ON tickets (id);
CREATE TABLE tokens (id uuid NOT NULL, body text);
CREATE UNIQUE INDEX tokens_id_key ON tokens (id);
CREATE SCHEMA app;
CREATE TABLE app."Accounts" ("Name" text, "user" text);
CREATE DOMAIN positive_int AS int CHECK (VALUE > 0);
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE ledger (id bigint, at date NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE TABLE ledger_2025 PARTITION OF ledger FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE app.ledger_2026 PARTITION OF ledger FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE ledger_old (id bigint, at date NOT NULL, kind text);
ALTER TABLE ledger ATTACH PARTITION ledger_old FOR VALUES FROM ('2020-01-01') TO ('2025-01-01');
CREATE TABLE quotas (n int CONSTRAINT quotas_n_positive CHECK (n > 0));
CREATE TYPE lead_kind AS ENUM ('direct');
CREATE TABLE referrals (id int, kind lead_kind);
`;

export interface FixCase {
  rule: string;
  /** What the case covers. */
  what: string;
  /** A pending migration that triggers the rule, after TABLES. */
  sql: string;
  /** Run on the database after TABLES, unseen by lint (what the SQL uses but no migration creates). @default - nothing */
  databaseOnly?: string;
  /** The oldest PostgreSQL major whose grammar has the case's syntax; older servers must refuse it (42601). @default - every server */
  minMajor?: number;
}

/** One case per fix text a rule can print. */
export const FIX_CASES: FixCase[] = [
  { rule: 'index-not-concurrent', what: 'a named index', sql: 'CREATE INDEX leads_name ON leads (name);' },
  { rule: 'index-not-concurrent', what: 'an unnamed unique index on an expression', sql: 'CREATE UNIQUE INDEX ON leads (lower(email));' },
  {
    rule: 'index-not-concurrent',
    what: 'an index already IF NOT EXISTS',
    sql: 'CREATE INDEX IF NOT EXISTS leads_score ON leads USING btree (score) WHERE score > 0;',
  },
  { rule: 'index-not-concurrent', what: 'ADD CONSTRAINT UNIQUE', sql: 'ALTER TABLE leads ADD CONSTRAINT leads_code_key UNIQUE (code);' },
  {
    rule: 'index-not-concurrent',
    what: "ADD CONSTRAINT UNIQUE with an ORM's name, NULLS NOT DISTINCT, INCLUDE, DEFERRABLE",
    sql: 'ALTER TABLE "leads" ADD CONSTRAINT "UQ_e12875dfb3b1d92d7d7c5377e22" UNIQUE NULLS NOT DISTINCT ("name", "email") INCLUDE (score) DEFERRABLE INITIALLY DEFERRED;',
  },
  {
    rule: 'index-not-concurrent',
    what: 'ADD PRIMARY KEY DEFERRABLE, named',
    sql: 'ALTER TABLE events ADD CONSTRAINT events_id_pk PRIMARY KEY (id) DEFERRABLE;',
  },
  { rule: 'index-not-concurrent', what: 'REINDEX TABLE', sql: 'REINDEX TABLE leads;' },
  { rule: 'index-not-concurrent', what: 'REINDEX INDEX, with options', sql: 'REINDEX (VERBOSE) INDEX tickets_id_key;' },
  { rule: 'index-not-concurrent', what: 'REINDEX SCHEMA', sql: '-- schemaguard:no-transaction\nREINDEX SCHEMA app;' },
  { rule: 'index-not-concurrent', what: 'ADD PRIMARY KEY on a nullable column', sql: 'ALTER TABLE events ADD PRIMARY KEY (id);' },
  { rule: 'index-not-concurrent', what: 'ADD CONSTRAINT EXCLUDE', sql: 'ALTER TABLE events ADD CONSTRAINT events_excl EXCLUDE USING gist (kind WITH =);' },
  { rule: 'index-not-concurrent', what: 'ADD COLUMN UNIQUE', sql: 'ALTER TABLE leads ADD COLUMN handle text UNIQUE;' },
  { rule: 'index-not-concurrent', what: 'ADD COLUMN PRIMARY KEY', sql: 'ALTER TABLE events ADD COLUMN event_id bigint DEFAULT 0 PRIMARY KEY;' },
  {
    rule: 'index-not-concurrent',
    what: 'ADD COLUMN UNIQUE DEFERRABLE and ADD CONSTRAINT UNIQUE beside another command (the fix keeps it)',
    sql: 'ALTER TABLE leads ADD COLUMN rank int, ADD CONSTRAINT leads_email_key UNIQUE (email), ADD COLUMN handle text CONSTRAINT leads_handle_uq UNIQUE DEFERRABLE;',
  },
  {
    rule: 'index-not-concurrent',
    what: 'a partial index whose literal output masks as a password (the fix keeps it, and says so)',
    sql: "CREATE INDEX leads_code_pw ON leads (code) WHERE code <> 'host=x password=LintSecret1';",
  },
  { rule: 'index-not-concurrent', what: 'a quoted table in another schema', sql: 'CREATE INDEX accounts_name ON app."Accounts" ("Name");' },
  {
    rule: 'index-not-concurrent',
    what: 'a partial index on a partitioned table, partitions in two schemas, one attached',
    sql: 'CREATE INDEX ledger_kind ON ledger USING btree (kind) WHERE kind IS NOT NULL;',
  },
  { rule: 'index-not-concurrent', what: 'an unnamed unique index on a partitioned table', sql: 'CREATE UNIQUE INDEX ON ledger (id, at);' },
  {
    rule: 'index-not-concurrent',
    what: 'CREATE INDEX CONCURRENTLY on a partitioned table (PostgreSQL refuses it)',
    sql: '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS ledger_kind ON ledger (kind);',
  },
  {
    rule: 'index-not-concurrent',
    what: 'CREATE INDEX CONCURRENTLY ON ONLY a partitioned table',
    sql: '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY ledger_id ON ONLY ledger (id);',
  },
  {
    rule: 'index-not-concurrent',
    what: 'ALTER TABLE ONLY … ADD PRIMARY KEY (ONLY kept on the key; its NOT NULL steps reach inheritance children, as PostgreSQL 18 requires)',
    sql: 'ALTER TABLE ONLY events ADD PRIMARY KEY (id);',
  },
  {
    rule: 'index-not-concurrent',
    what: "ADD CONSTRAINT UNIQUE on a partitioned table (each partition's built CONCURRENTLY and made its constraint, then the parent's)",
    sql: 'ALTER TABLE ledger ADD CONSTRAINT ledger_id_at_key UNIQUE NULLS NOT DISTINCT (id, at) INCLUDE (kind) DEFERRABLE;',
  },
  {
    rule: 'index-not-concurrent',
    what: 'ADD PRIMARY KEY on a partitioned table, beside another command (NOT NULL on every partition first)',
    sql: 'ALTER TABLE ledger ADD PRIMARY KEY (id, at), ADD COLUMN ref bigint;',
  },
  {
    rule: 'index-not-concurrent',
    what: 'ALTER TABLE ONLY of a table lint knows nothing of (the fix says what ONLY means on a partitioned one)',
    sql: 'ALTER TABLE ONLY elsewhere ADD CONSTRAINT elsewhere_id_key UNIQUE (id);',
    databaseOnly: 'CREATE TABLE elsewhere (id int);',
  },
  {
    rule: 'constraint-not-valid',
    what: 'a named foreign key',
    sql: 'ALTER TABLE purchases ADD CONSTRAINT purchases_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id) ON DELETE CASCADE;',
  },
  { rule: 'constraint-not-valid', what: 'an unnamed foreign key', sql: 'ALTER TABLE purchases ADD FOREIGN KEY (lead_id) REFERENCES leads;' },
  {
    rule: 'constraint-not-valid',
    what: 'a named CHECK',
    sql: "ALTER TABLE leads ADD CONSTRAINT leads_score_range CHECK (score BETWEEN 0 AND 100 AND name <> ',');",
  },
  { rule: 'constraint-not-valid', what: 'an unnamed CHECK', sql: 'ALTER TABLE leads ADD CHECK (score > 0);' },
  {
    rule: 'constraint-not-valid',
    what: 'a new column with a DEFAULT and REFERENCES',
    sql: 'ALTER TABLE purchases ADD COLUMN other_lead uuid DEFAULT NULL REFERENCES leads (id) ON DELETE SET NULL;',
  },
  {
    rule: 'constraint-not-valid',
    what: 'a new identity column with REFERENCES (marked valid unchecked)',
    sql: 'ALTER TABLE leads ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY REFERENCES purchases (id);',
  },
  {
    rule: 'constraint-not-valid',
    what: 'a new column with a named REFERENCES and a CHECK',
    sql: 'ALTER TABLE purchases ADD COLUMN qty int CHECK (qty > 0) DEFAULT 1, ADD COLUMN lead2 uuid DEFAULT NULL CONSTRAINT purchases_lead2_fk REFERENCES leads;',
  },
  {
    rule: 'constraint-not-valid',
    what: 'new columns with a CHECK and a REFERENCES, and ADD CONSTRAINT, beside other commands (the fix keeps them)',
    sql: "ALTER TABLE purchases ADD CONSTRAINT purchases_id_positive CHECK (id > 0), ADD COLUMN note text NOT NULL DEFAULT '',\n  ADD COLUMN qty2 int DEFAULT 1 CHECK (qty2 > 0), ADD COLUMN lead3 uuid DEFAULT NULL REFERENCES leads ON DELETE CASCADE;",
  },
  {
    rule: 'constraint-not-valid',
    what: "ALTER TABLE ONLY: a NO INHERIT CHECK and a foreign key (the fix's ADD keeps ONLY)",
    sql: 'ALTER TABLE ONLY purchases ADD CONSTRAINT purchases_id_positive CHECK (id > 0) NO INHERIT, ADD CONSTRAINT purchases_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id);',
  },
  {
    rule: 'validate-in-same-transaction',
    what: 'a CHECK',
    sql: 'ALTER TABLE leads ADD CONSTRAINT leads_score_positive CHECK (score > 0) NOT VALID;\nALTER TABLE leads VALIDATE CONSTRAINT leads_score_positive;',
  },
  {
    rule: 'enum-value-before-commit',
    what: 'a label added, then set',
    sql: "ALTER TYPE lead_kind ADD VALUE 'partner';\nUPDATE referrals SET kind = 'partner' WHERE id = 1;",
  },
  {
    rule: 'validate-in-same-transaction',
    what: 'a foreign key',
    sql: 'ALTER TABLE purchases ADD CONSTRAINT purchases_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id) NOT VALID;\nALTER TABLE purchases VALIDATE CONSTRAINT purchases_lead_fk;',
  },
  { rule: 'set-not-null-without-check', what: 'a plain column', sql: 'ALTER TABLE leads ALTER COLUMN name SET NOT NULL;' },
  {
    rule: 'set-not-null-without-check',
    what: "PostgreSQL 18's ADD CONSTRAINT … NOT NULL, named as the CHECK would be",
    sql: 'ALTER TABLE leads ADD CONSTRAINT leads_name_not_null_proof NOT NULL name;',
    minMajor: 18,
  },
  {
    rule: 'set-not-null-without-check',
    what: 'beside other commands, first and last (the fix keeps them)',
    sql: "ALTER TABLE leads ALTER COLUMN name SET NOT NULL, ADD COLUMN note text, ALTER COLUMN code SET DEFAULT 'x', ALTER email SET NOT NULL;",
  },
  {
    rule: 'set-not-null-without-check',
    what: 'ALTER TABLE ONLY beside another command (ONLY kept on both, the command kept)',
    sql: "ALTER TABLE ONLY leads ALTER COLUMN name SET NOT NULL, ALTER COLUMN code SET DEFAULT 'y';",
  },
  {
    rule: 'set-not-null-without-check',
    what: 'quoted names in another schema',
    sql: 'ALTER TABLE app."Accounts" ALTER COLUMN "Name" SET NOT NULL, ALTER COLUMN "user" SET NOT NULL;',
  },
  {
    rule: 'set-not-null-without-check',
    what: 'ALTER TABLE ONLY (the CHECK NO INHERIT, ONLY kept on SET NOT NULL)',
    sql: 'ALTER TABLE ONLY leads ALTER COLUMN name SET NOT NULL;',
  },
  {
    rule: 'primary-key-not-valid-not-null',
    what: 'USING INDEX, the NOT NULL added NOT VALID in the same file',
    sql: 'ALTER TABLE tickets ADD CONSTRAINT tickets_id_nn NOT NULL id NOT VALID;\nALTER TABLE tickets ADD CONSTRAINT tickets_pkey PRIMARY KEY USING INDEX tickets_id_key;',
    minMajor: 18,
  },
  { rule: 'adding-required-field', what: 'NOT NULL without a default', sql: 'ALTER TABLE leads ADD COLUMN public boolean NOT NULL;' },
  { rule: 'adding-required-field', what: 'a PRIMARY KEY without a default', sql: 'ALTER TABLE events ADD COLUMN uid uuid PRIMARY KEY;' },
  { rule: 'adding-required-field', what: 'NOT NULL with a CHECK kept', sql: 'ALTER TABLE leads ADD COLUMN rank int NOT NULL CHECK (rank > 0);' },
  {
    rule: 'adding-required-field',
    what: 'ALTER TABLE ONLY (ONLY kept on ADD COLUMN, the CHECK and SET NOT NULL)',
    sql: 'ALTER TABLE ONLY leads ADD COLUMN rank int NOT NULL CHECK (rank > 0);',
  },
  { rule: 'column-type-rewrite', what: 'a known type', sql: 'ALTER TABLE leads ALTER COLUMN score TYPE bigint;' },
  {
    rule: 'column-type-rewrite',
    what: 'a type written with precision and time zone',
    sql: "ALTER TABLE leads ALTER COLUMN at TYPE timestamp(3) with time zone USING at AT TIME ZONE 'UTC';",
  },
  {
    rule: 'column-type-rewrite',
    what: 'an unknown current type',
    sql: 'ALTER TABLE elsewhere ALTER COLUMN a TYPE numeric(12, 2);',
    databaseOnly: 'CREATE TABLE elsewhere (a text);',
  },
  { rule: 'volatile-default', what: 'a volatile built-in', sql: 'ALTER TABLE leads ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();' },
  { rule: 'volatile-default', what: 'an expression around a volatile call', sql: "ALTER TABLE leads ADD COLUMN salt text DEFAULT md5(random()::text || 'x');" },
  { rule: 'volatile-default', what: 'a serial type', sql: 'ALTER TABLE leads ADD COLUMN n bigserial;' },
  { rule: 'volatile-default', what: 'an identity', sql: 'ALTER TABLE leads ADD COLUMN seq bigint GENERATED BY DEFAULT AS IDENTITY;' },
  { rule: 'volatile-default', what: 'a stored generated column', sql: 'ALTER TABLE leads ADD COLUMN doubled int GENERATED ALWAYS AS (score * 2) STORED;' },
  {
    rule: 'volatile-default',
    what: 'a function lint does not know',
    sql: 'ALTER TABLE leads ADD COLUMN slug text DEFAULT make_slug();',
    databaseOnly: "CREATE FUNCTION make_slug() RETURNS text LANGUAGE sql STABLE AS $$SELECT 'x'$$;",
  },
  { rule: 'volatile-default', what: 'a domain with a CHECK', sql: 'ALTER TABLE leads ADD COLUMN qty positive_int DEFAULT 1;' },
  { rule: 'uuid-pk-without-default', what: 'a column key named id', sql: 'CREATE TABLE lead_purchases (id uuid PRIMARY KEY, lead_id uuid);' },
  { rule: 'uuid-pk-without-default', what: 'a table key', sql: 'CREATE TABLE notes (id pg_catalog.uuid NOT NULL, body text, PRIMARY KEY (id));' },
  {
    rule: 'uuid-pk-without-default',
    what: "ALTER TABLE ONLY … ADD CONSTRAINT … PRIMARY KEY after CREATE TABLE (pg_dump's form), USING INDEX",
    sql: 'ALTER TABLE ONLY tokens ADD CONSTRAINT tokens_pkey PRIMARY KEY USING INDEX tokens_id_key;',
  },
  { rule: 'uuid-pk-without-default', what: 'a key not named id (warning)', sql: 'CREATE TABLE audit (purchase_id uuid PRIMARY KEY);' },
  {
    rule: 'fk-type-mismatch',
    what: 'an inline REFERENCES in CREATE TABLE',
    sql: 'CREATE TABLE notes (id bigint PRIMARY KEY, lead_id text REFERENCES leads (id));',
  },
  {
    rule: 'fk-type-mismatch',
    what: 'a table FOREIGN KEY in CREATE TABLE',
    sql: 'CREATE TABLE notes (id bigint PRIMARY KEY, lead_id varchar(36), FOREIGN KEY (lead_id) REFERENCES leads);',
  },
  {
    rule: 'fk-type-mismatch',
    what: 'two mismatched keys in one CREATE TABLE (each fix changes both)',
    sql: 'CREATE TABLE notes (id bigint PRIMARY KEY, lead_id text REFERENCES leads (id), purchase_id integer REFERENCES purchases (id));',
  },
  {
    rule: 'fk-type-mismatch',
    what: 'an existing column',
    sql: 'ALTER TABLE purchases ADD CONSTRAINT legacy_fk FOREIGN KEY (legacy_lead) REFERENCES leads (id) NOT VALID;',
  },
  { rule: 'fk-type-mismatch', what: 'a new column of an existing table', sql: 'ALTER TABLE purchases ADD COLUMN lead3 text REFERENCES leads (id);' },
  {
    rule: 'fk-type-mismatch',
    what: 'a new column of an existing table beside another command (the fix keeps it)',
    sql: 'ALTER TABLE events ADD COLUMN note text, ADD COLUMN lead_ref text REFERENCES leads (id) ON DELETE CASCADE;',
  },
  {
    rule: 'fk-type-mismatch',
    what: 'two new columns of an existing table in one ALTER TABLE (each fix changes both)',
    sql: 'ALTER TABLE events ADD COLUMN lead_ref text REFERENCES leads (id), ADD COLUMN purchase_ref integer REFERENCES purchases (id);',
  },
  {
    rule: 'fk-type-mismatch',
    what: "ALTER TABLE ONLY: a new column and an existing one (the fix's ADD CONSTRAINT keeps ONLY)",
    sql: 'ALTER TABLE ONLY events ADD COLUMN lead_ref text REFERENCES leads (id), ADD CONSTRAINT events_kind_fk FOREIGN KEY (kind) REFERENCES leads (id) NOT VALID;',
  },
  {
    rule: 'fk-type-mismatch',
    what: 'existing columns beside another command (the fix keeps it)',
    sql: 'ALTER TABLE events ADD CONSTRAINT events_kind_fk FOREIGN KEY (kind) REFERENCES leads (id) NOT VALID, ADD COLUMN note text, ADD CONSTRAINT events_id_fk FOREIGN KEY (id) REFERENCES tokens (id) NOT VALID;',
  },
  {
    rule: 'fk-type-mismatch',
    what: 'table FOREIGN KEYs on two columns the same ALTER TABLE adds (each fix changes both)',
    sql: 'ALTER TABLE events ADD COLUMN lead_ref text, ADD COLUMN purchase_ref integer, ADD CONSTRAINT events_lead_fk FOREIGN KEY (lead_ref) REFERENCES leads (id) NOT VALID, ADD FOREIGN KEY (purchase_ref) REFERENCES purchases (id) NOT VALID;',
  },
  {
    rule: 'table-rewrite',
    what: 'REFRESH MATERIALIZED VIEW',
    sql: 'REFRESH MATERIALIZED VIEW lead_scores;',
    databaseOnly: 'CREATE MATERIALIZED VIEW lead_scores AS SELECT id, score FROM leads; CREATE UNIQUE INDEX lead_scores_id ON lead_scores (id);',
  },
  { rule: 'table-rewrite', what: 'SET UNLOGGED', sql: 'ALTER TABLE events SET UNLOGGED;' },
  { rule: 'table-rewrite', what: 'VACUUM FULL in a no-transaction file', sql: '-- schemaguard:no-transaction\nVACUUM FULL tickets;' },
  { rule: 'table-rewrite', what: 'VACUUM FULL in a transactional file (PostgreSQL refuses it there)', sql: 'VACUUM (FULL, ANALYZE) tickets;' },
  {
    rule: 'table-rewrite',
    what: 'a materialized view moved',
    sql: 'ALTER MATERIALIZED VIEW lead_counts SET TABLESPACE pg_default;',
    databaseOnly: 'CREATE MATERIALIZED VIEW lead_counts AS SELECT count(*) AS n FROM leads;',
  },
  { rule: 'whole-table-update', what: 'a one-column bigint key', sql: 'UPDATE purchases SET legacy_lead = NULL;' },
  {
    rule: 'whole-table-update',
    what: 'a uuid key, a comment after the SET',
    sql: 'UPDATE leads SET score = coalesce(score, 0), name = trim(name) -- nulls to zero\n;',
  },
  { rule: 'renaming-schema', what: 'a schema with a quoted table and a partition', sql: 'ALTER SCHEMA app RENAME TO core;' },
  { rule: 'renaming-constraint', what: 'RENAME CONSTRAINT of a primary key', sql: 'ALTER TABLE leads RENAME CONSTRAINT leads_pkey TO leads_id_pkey;' },
  { rule: 'renaming-constraint', what: 'ALTER INDEX … RENAME of the index behind a primary key', sql: 'ALTER INDEX leads_pkey RENAME TO leads_id_pkey;' },
  {
    rule: 'renaming-constraint',
    what: 'RENAME CONSTRAINT of a CHECK (no ON CONFLICT names one)',
    sql: 'ALTER TABLE quotas RENAME CONSTRAINT quotas_n_positive TO n_positive;',
  },
  { rule: 'dropping-column', what: 'a column of an existing table', sql: 'ALTER TABLE leads DROP COLUMN code;' },
  {
    rule: 'dropping-column',
    what: 'IF EXISTS … CASCADE, beside another change',
    sql: 'ALTER TABLE leads DROP COLUMN IF EXISTS score CASCADE, ADD COLUMN rank int;',
  },
  { rule: 'dropping-table', what: 'an existing table', sql: 'DROP TABLE events;' },
  { rule: 'dropping-table', what: 'IF EXISTS … CASCADE of a quoted table in another schema', sql: 'DROP TABLE IF EXISTS app."Accounts" CASCADE;' },
  {
    rule: 'dropping-table',
    what: 'a table dropped and created again (pg_dump --clean): the rows are lost',
    sql: 'DROP TABLE IF EXISTS events CASCADE;\nCREATE TABLE events (id bigint PRIMARY KEY, kind text);',
  },
  {
    rule: 'drop-cascade',
    what: 'a sequence, a type and a function',
    sql: 'DROP SEQUENCE lead_numbers CASCADE;\nDROP TYPE IF EXISTS lead_state, app.lead_kind CASCADE;\nDROP FUNCTION app.touch() CASCADE;',
    databaseOnly:
      "CREATE SEQUENCE lead_numbers; CREATE TYPE lead_state AS ENUM ('new'); CREATE TYPE app.lead_kind AS ENUM ('web'); CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;",
  },
  { rule: 'drop-cascade', what: 'a constraint of an existing table', sql: 'ALTER TABLE quotas DROP CONSTRAINT quotas_n_positive CASCADE;' },
  { rule: 'drop-cascade', what: 'TRUNCATE', sql: 'TRUNCATE TABLE events CASCADE;' },
  {
    rule: 'whole-table-update',
    what: 'a backfill of a column this run added',
    sql: "ALTER TABLE purchases ADD COLUMN channel text;\nUPDATE purchases SET channel = 'web' WHERE channel IS NULL;",
  },
  { rule: 'whole-table-update', what: 'no primary key (advice only)', sql: 'UPDATE events SET kind = lower(kind);' },
  { rule: 'whole-table-update', what: 'a FROM clause (advice only)', sql: 'UPDATE purchases SET legacy_lead = l.code FROM leads AS l;' },
  { rule: 'whole-table-delete', what: 'a one-column key', sql: 'DELETE FROM purchases;' },
  { rule: 'whole-table-delete', what: 'a WHERE every row matches', sql: 'DELETE FROM purchases WHERE id IS NOT NULL AND true;' },
  { rule: 'whole-table-delete', what: 'USING (advice only)', sql: 'DELETE FROM purchases USING leads AS l;' },
  { rule: 'renaming-column', what: 'a column of a known type', sql: 'ALTER TABLE leads RENAME COLUMN name TO full_name;' },
  { rule: 'renaming-column', what: 'a NOT NULL primary key column', sql: 'ALTER TABLE leads RENAME COLUMN id TO lead_id;' },
  { rule: 'renaming-column', what: 'a partition key column', sql: 'ALTER TABLE ledger RENAME COLUMN at TO booked_on;' },
  { rule: 'renaming-column', what: 'a column of a partitioned table', sql: 'ALTER TABLE ledger RENAME COLUMN kind TO category;' },
  { rule: 'renaming-column', what: 'quoted names in another schema', sql: 'ALTER TABLE app."Accounts" RENAME COLUMN "Name" TO "DisplayName";' },
  {
    rule: 'renaming-column',
    what: 'an unknown current type',
    sql: 'ALTER TABLE elsewhere RENAME COLUMN a TO b;',
    databaseOnly: 'CREATE TABLE elsewhere (a text);',
  },
  {
    rule: 'renaming-column',
    what: 'a view column',
    sql: 'ALTER VIEW lead_names RENAME COLUMN name TO full_name;',
    databaseOnly: 'CREATE VIEW lead_names AS SELECT id, name FROM leads;',
  },
  { rule: 'renaming-table', what: 'RENAME TO', sql: 'ALTER TABLE leads RENAME TO customers;' },
  { rule: 'renaming-table', what: 'a quoted table in another schema', sql: 'ALTER TABLE app."Accounts" RENAME TO "Users";' },
  { rule: 'renaming-table', what: 'SET SCHEMA', sql: 'ALTER TABLE events SET SCHEMA app;' },
  {
    rule: 'renaming-table',
    what: 'a view',
    sql: 'ALTER VIEW lead_names RENAME TO customer_names;',
    databaseOnly: 'CREATE VIEW lead_names AS SELECT id, name FROM leads;',
  },
  {
    rule: 'renaming-table',
    what: 'a materialized view',
    sql: 'ALTER MATERIALIZED VIEW lead_counts RENAME TO customer_counts;',
    databaseOnly: 'CREATE MATERIALIZED VIEW lead_counts AS SELECT count(*) AS n FROM leads;',
  },
  { rule: 'lock-timeout-disabled', what: 'the directive', sql: '-- schemaguard:lock-timeout=0\nCREATE TABLE t (id int);' },
  { rule: 'lock-timeout-disabled', what: 'a SET', sql: "SET LOCAL lock_timeout TO '0';" },
  {
    rule: 'lock-timeout-disabled',
    what: 'the directive in a file of concurrent index statements',
    sql: '-- schemaguard:no-transaction\n-- schemaguard:lock-timeout=0\nCREATE INDEX CONCURRENTLY IF NOT EXISTS leads_name ON leads (name);',
  },
  { rule: 'concurrently-in-transaction', what: 'CREATE INDEX CONCURRENTLY', sql: 'CREATE INDEX CONCURRENTLY leads_name ON leads (name);' },
  {
    rule: 'concurrently-in-transaction',
    what: "a file with mattermost's -- morph:nontransactional (a plain comment here)",
    sql: '-- morph:nontransactional\nCREATE INDEX CONCURRENTLY leads_name ON leads (name);',
  },
  { rule: 'concurrently-in-transaction', what: 'an unnamed one', sql: 'CREATE INDEX CONCURRENTLY ON leads (name);' },
  { rule: 'concurrently-in-transaction', what: 'DROP INDEX CONCURRENTLY', sql: 'DROP INDEX CONCURRENTLY leads_name;' },
  {
    rule: 'concurrently-in-transaction',
    what: 'REINDEX CONCURRENTLY',
    sql: 'REINDEX (CONCURRENTLY) INDEX leads_name;',
    databaseOnly: 'CREATE INDEX leads_name ON leads (name);',
  },
  { rule: 'unnamed-concurrent-index', what: 'a column key', sql: '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY ON leads (name);' },
  {
    rule: 'unnamed-concurrent-index',
    what: 'a partial unique expression key',
    sql: '-- schemaguard:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY ON leads (lower(name)) WHERE name IS NOT NULL;',
  },
  {
    rule: 'no-transaction-rerun',
    what: 'a named concurrent build before another statement',
    sql: '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY leads_name_idx ON leads (name);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS leads_email_idx ON leads (email);',
  },
  {
    rule: 'no-transaction-rerun',
    what: 'CREATE TABLE in another schema before another statement',
    sql: '-- schemaguard:no-transaction\nCREATE TABLE app.notes (id bigint PRIMARY KEY, body text);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS leads_name_idx ON leads (name);',
  },
  {
    rule: 'no-transaction-rerun',
    what: 'two ADD COLUMNs, one already IF NOT EXISTS, before another statement',
    sql: '-- schemaguard:no-transaction\nALTER TABLE leads ADD COLUMN nickname text, ADD COLUMN IF NOT EXISTS city text, ADD note text;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS leads_nickname_idx ON leads (nickname);',
  },
  { rule: 'unused-allow', what: 'a stale allow', sql: '-- schemaguard:allow index-not-concurrent small\nCREATE TABLE t (id int);' },
  { rule: 'unused-allow', what: 'an unknown rule', sql: '-- schemaguard:allow no-such-rule because\nCREATE TABLE t (id int);' },
];
