import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FK_MISSING } from '../../../../lambda/checks/doctor/fk-missing';
import type { Finding } from '../../../../lambda/checks/findings/finding';
import { fullMatrixMajors, dropDatabases, rows, withClient } from '../../../support/db';
import { applyFix, badSchemaDatabase, findingsOfRule, findingsOn, findingsOnSchema } from './bad-schema';

afterAll(dropDatabases);

describe.each(fullMatrixMajors)('Rule: fk-missing on $name', (target) => {
  const findings = findingsOfRule(target, FK_MISSING);

  it('finds the *_id column no foreign key constrains, and none that one does (even NOT VALID)', () => {
    expect(findings().map((f) => f.object)).toEqual(['lead_purchases.lead_id']);
    expect(findings()[0]!.severity).toBe('warning');
  });

  it('recognises the table a *_id column points at, and the type it must take first', () => {
    const f = findings().find((x) => x.rule === 'fk-missing')!;
    expect(f.message).toBe(
      'lead_purchases.lead_id (character varying(36)) has no foreign key; it looks like a reference to leads.id (uuid), whose type differs',
    );
    expect(f.fix).toContain('ALTER TABLE lead_purchases ALTER COLUMN lead_id TYPE uuid USING lead_id::uuid;');
    expect(f.fix).toContain('FOREIGN KEY (lead_id) REFERENCES leads (id) NOT VALID;');
  });

  it('prints a fix that applies: the type change, the foreign key, its validation', async () => {
    const url = await badSchemaDatabase(target, 'doctor_fk_fix');
    await withClient(url, async (c) => {
      const [lead] = (await c.query<{ id: string }>("INSERT INTO leads (name) VALUES ('a') RETURNING id")).rows;
      await c.query('INSERT INTO lead_purchases (id, lead_id) VALUES (gen_random_uuid(), $1)', [lead!.id]);
    });
    await applyFix(url, findings()[0]!.fix);
    expect(await rows(url, "SELECT convalidated FROM pg_constraint WHERE conname = 'lead_purchases_lead_id_fkey'")).toEqual([{ convalidated: true }]);
    expect(await findingsOn(url, [FK_MISSING])).toEqual([]);
  });
});

/** Columns named like references that are not, or whose reference could not be declared as printed. */
const NOT_REFERENCES = `
CREATE TABLE namespaces (partition_id integer, id uuid, name text, PRIMARY KEY (partition_id, id));
CREATE TABLE shards (shard_id integer PRIMARY KEY, range_id bigint);
CREATE TABLE executions (namespace_id uuid, workflow_id text, run_id uuid, next_event_id bigint,
  PRIMARY KEY (namespace_id, workflow_id, run_id));
CREATE TABLE users (id uuid PRIMARY KEY, user_id integer UNIQUE, stripe_customer_id text, external_user_id text);
CREATE TABLE events (id bigint PRIMARY KEY, event_id text, payload jsonb,
  tenant_id uuid GENERATED ALWAYS AS ((payload->>'tenant')::uuid) STORED);
CREATE TABLE tenants (id uuid PRIMARY KEY);
CREATE TABLE owners (id bigint PRIMARY KEY);
CREATE TABLE tags (id integer, code text);
CREATE UNIQUE INDEX tags_id_key ON tags (id) WHERE code IS NOT NULL;
CREATE TABLE labels (id integer, CONSTRAINT labels_id_key UNIQUE (id) DEFERRABLE);
CREATE TABLE regions (id integer);
CREATE UNIQUE INDEX regions_id_key ON regions ((id + 0));
CREATE TABLE comments (id bigint PRIMARY KEY, owner_id bigint, owner_type text, tag_id integer, label_id integer, region_id integer,
  user_id text, event_id jsonb, shard_id integer REFERENCES shards (shard_id));
`;

describe.each(fullMatrixMajors)('Rule: fk-missing stays quiet where no foreign key would apply, on $name', (target) => {
  let url: string;
  let found: Finding[];

  beforeAll(async () => {
    ({ url, findings: found } = await findingsOnSchema(target, 'doctor_fk_quiet', NOT_REFERENCES, [FK_MISSING]));
  });

  it("finds nothing: composite-key parts, counters, a table's own key, ids of other systems, polymorphic, generated and untyped references", () => {
    expect(found.map((f) => f.object)).toEqual([]);
  });

  it('is right to: PostgreSQL refuses the foreign key to a part of a composite key (42830)', async () => {
    const refused = await withClient(url, (c) =>
      c.query('ALTER TABLE executions ADD FOREIGN KEY (namespace_id) REFERENCES namespaces (id)').catch((e: { code?: string }) => e.code),
    );
    expect(refused).toBe('42830');
  });
});

/** Concrete references: a single-column unique key on the named table, values that fit. */
const REFERENCES = `
CREATE TABLE authors (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
CREATE TABLE categories (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
CREATE TABLE countries (code text PRIMARY KEY, id integer UNIQUE);
CREATE TABLE "order" (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
CREATE TABLE posts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, author_id uuid, category_id integer, country_id integer, order_id bigint);
CREATE TABLE post_links (post_id bigint REFERENCES posts (id));
CREATE TABLE visits (author_id uuid, at date) PARTITION BY RANGE (at);
CREATE TABLE visits_2025 PARTITION OF visits FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO authors DEFAULT VALUES;
INSERT INTO categories DEFAULT VALUES;
INSERT INTO countries VALUES ('fr', 33);
INSERT INTO "order" DEFAULT VALUES;
INSERT INTO posts (author_id, category_id, country_id, order_id) SELECT a.id, 1, 33, 1 FROM authors a;
`;

describe.each(fullMatrixMajors)('Rule: fk-missing on concrete references, on $name', (target) => {
  let url: string;
  let found: Finding[];

  beforeAll(async () => {
    ({ url, findings: found } = await findingsOnSchema(target, 'doctor_fk_refs', REFERENCES, [FK_MISSING]));
  });

  it('finds each, with the unique key it would reference (primary key or unique constraint, plural in -ies)', () => {
    expect(found.map((f) => f.message)).toEqual([
      'posts.author_id (uuid) has no foreign key; it looks like a reference to authors.id (uuid)',
      'posts.category_id (integer) has no foreign key; it looks like a reference to categories.id (bigint), whose type differs',
      'posts.country_id (integer) has no foreign key; it looks like a reference to countries.id (integer)',
      'posts.order_id (bigint) has no foreign key; it looks like a reference to "order".id (bigint)',
      'visits.author_id (uuid) has no foreign key; it looks like a reference to authors.id (uuid)',
    ]);
  });

  it('adds the foreign key of a partitioned table NOT VALID only where PostgreSQL can (18 and later)', () => {
    const fix = found.find((f) => f.object === 'visits.author_id')!.fix;
    expect(fix.includes('NOT VALID;')).toBe(target.major >= 18);
  });

  it('prints fixes that apply, after which the rule finds nothing', async () => {
    for (const f of found) await applyFix(url, f.fix);
    expect(await rows(url, "SELECT count(*)::int AS n FROM pg_constraint WHERE contype = 'f' AND convalidated AND conparentid = 0")).toEqual([{ n: 6 }]);
    expect(await findingsOn(url, [FK_MISSING])).toEqual([]);
  });
});

/** Columns whose name other tables' foreign keys already tie to a key. */
const CONVENTIONS = `
CREATE SCHEMA auth;
CREATE TABLE auth.users (id uuid PRIMARY KEY);
CREATE TABLE oauth_clients (id varchar(255) PRIMARY KEY);
CREATE TABLE access_tokens (signature text PRIMARY KEY, client_id varchar(255) REFERENCES oauth_clients (id), user_id uuid REFERENCES auth.users (id));
CREATE TABLE refresh_tokens (LIKE access_tokens INCLUDING ALL);
CREATE TABLE orgs (id bigint PRIMARY KEY);
CREATE TABLE people (id bigint PRIMARY KEY);
CREATE TABLE repos (id bigint PRIMARY KEY, owner_id bigint REFERENCES orgs (id));
CREATE TABLE gists (id bigint PRIMARY KEY, owner_id bigint REFERENCES people (id));
CREATE TABLE wikis (id bigint PRIMARY KEY, owner_id bigint);
CREATE TABLE categories (id bigint PRIMARY KEY, parent_id bigint REFERENCES categories (id));
CREATE TABLE comments (id bigint PRIMARY KEY, parent_id bigint);
CREATE TABLE accounts (id bigint PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE accounts_1 PARTITION OF accounts FOR VALUES FROM (0) TO (1000);
CREATE TABLE accounts_2 PARTITION OF accounts FOR VALUES FROM (1000) TO (2000);
CREATE TABLE transfers (wallet_id bigint REFERENCES accounts (id));
CREATE TABLE refunds (wallet_id bigint);
`;

describe.each(fullMatrixMajors)("Rule: fk-missing on the schema's own conventions, on $name", (target) => {
  it('finds the column a copied table lost its foreign key on, with the key the original references (in any schema), and none where such keys disagree or point at their own table', async () => {
    const { url, findings: found } = await findingsOnSchema(target, 'doctor_fk_convention', CONVENTIONS, [FK_MISSING]);
    expect(found.map((f) => f.message)).toEqual([
      'refresh_tokens.client_id (character varying(255)) has no foreign key; it looks like a reference to oauth_clients.id (character varying(255)), as access_tokens.client_id is',
      'refresh_tokens.user_id (uuid) has no foreign key; it looks like a reference to auth.users.id (uuid), as access_tokens.user_id is',
      'refunds.wallet_id (bigint) has no foreign key; it looks like a reference to accounts.id (bigint), as transfers.wallet_id is',
    ]);
    for (const f of found) await applyFix(url, f.fix);
    expect(await findingsOn(url, [FK_MISSING])).toEqual([]);
  });
});

describe.each(fullMatrixMajors)('Rule: fk-missing on a schema without any foreign key, on $name', (target) => {
  it('says so once, naming the columns that look like references, not once per column', async () => {
    const { findings: found } = await findingsOnSchema(
      target,
      'doctor_fk_none',
      `
      CREATE TABLE shards (shard_id integer PRIMARY KEY);
      CREATE TABLE workflows (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), shard_id integer);
      CREATE TABLE tasks (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), workflow_id uuid, shard_id integer, next_task_id bigint);
    `,
      [FK_MISSING],
    );
    expect(found.map((f) => [f.object, f.severity])).toEqual([['public', 'warning']]);
    expect(found[0]!.message).toBe(
      'schema public has no foreign key at all; 3 columns look like references: ' +
        'tasks.shard_id → shards.shard_id (integer), tasks.workflow_id → workflows.id (uuid), workflows.shard_id → shards.shard_id (integer)',
    );
    expect(found[0]!.fix).toMatch(
      /^-- by design: nothing to do\. Otherwise one foreign key at a time, e\.g\.\nALTER TABLE tasks ADD CONSTRAINT tasks_shard_id_fkey /,
    );
  });
});

describe.each(fullMatrixMajors)('Rule: fk-missing on inheritance, on $name', (target) => {
  it("reports a child's inherited column through its parent only", async () => {
    const { findings: found } = await findingsOnSchema(
      target,
      'doctor_fk_inherit',
      `
      CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
      CREATE TABLE audit (user_id bigint REFERENCES users (id), at timestamptz);
      CREATE TABLE audit_2024 () INHERITS (audit);
    `,
      [FK_MISSING],
    );
    expect(found).toEqual([]);
  });
});
