/**
 * What lint says CASCADE would take, against what PostgreSQL (18; 15 too in
 * the full matrix) says when it does it: each statement runs in a transaction
 * that is rolled back, and its NOTICE lines ("drop cascades to …", "truncate
 * cascades to …") are the list lint's walk of pg_depend must give, object for
 * object. The schema has what a walk can get wrong: views of views (named by
 * the view, not its rewrite rule), a primary key's index that other tables'
 * foreign keys hang on, partitions and inheritance, an extension's function
 * in a default, a generated column, an index expression, a policy, a rule, a
 * table used as a column's type.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintMigrations, lintSourceFromText, readLintCatalog } from '../../../../lambda/checks/lint';
import { cascadeOf, readDependencies, resolve, truncatedWith, type DependencyGraph, type DropTarget } from '../../../../lambda/checks/lint/dependencies';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../../support/db';
import { makeDataApiDriver } from '../../../support/drivers';

afterAll(dropDatabases);

const SCHEMA = `
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE SEQUENCE lead_numbers;
CREATE TYPE mood AS ENUM ('ok', 'bad');
CREATE DOMAIN score AS int CHECK (VALUE >= 0);
CREATE TYPE address AS (street text, city text);
CREATE TABLE leads (id bigint PRIMARY KEY DEFAULT nextval('lead_numbers'), ref uuid DEFAULT uuid_generate_v4(), m mood, s score, home address, name text);
CREATE INDEX leads_name ON leads (name);
CREATE TABLE buys (id bigint PRIMARY KEY, lead_id bigint REFERENCES leads (id));
CREATE TABLE refunds (id bigint, buy_id bigint REFERENCES buys (id));
CREATE VIEW lead_names AS SELECT id, name FROM leads;
CREATE VIEW lead_names_ok AS SELECT * FROM lead_names WHERE id > 0;
CREATE MATERIALIZED VIEW lead_count AS SELECT count(*) AS n FROM leads;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER leads_touch BEFORE UPDATE ON leads FOR EACH ROW EXECUTE FUNCTION touch();
CREATE SCHEMA billing;
CREATE TABLE billing.invoices (id bigint, lead_id bigint REFERENCES leads (id), m mood);
CREATE VIEW billing.open_invoices AS SELECT id FROM billing.invoices;
CREATE TABLE events (at date, what text) PARTITION BY RANGE (at);
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE VIEW recent_events AS SELECT what FROM events;
CREATE VIEW events_of_2026 AS SELECT what FROM events_2026;
CREATE INDEX events_at ON events (at);
CREATE TABLE lonely (id int);
CREATE FUNCTION doubled(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 * 2';
CREATE FUNCTION positive(int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 > 0';
CREATE TABLE scores (a int, b int GENERATED ALWAYS AS (a * 2) STORED, c int CHECK (positive(c)), d int GENERATED ALWAYS AS IDENTITY, e int);
CREATE INDEX scores_doubled ON scores (doubled(e));
CREATE INDEX scores_positive ON scores (e) WHERE positive(e);
ALTER TABLE scores ENABLE ROW LEVEL SECURITY;
CREATE POLICY scores_visible ON scores USING (positive(a));
CREATE VIEW doubled_scores AS SELECT doubled(a) FROM scores;
CREATE MATERIALIZED VIEW doubled_scores_then AS SELECT * FROM doubled_scores;
CREATE TABLE score_holders (x scores);
CREATE FUNCTION score_of(scores) RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE RULE refunds_seen AS ON INSERT TO refunds DO ALSO SELECT 1 FROM buys;
CREATE TABLE notes (body text CHECK (body <> ''));
CREATE TABLE lead_notes (lead_id bigint UNIQUE) INHERITS (notes);
CREATE VIEW lead_note_bodies AS SELECT body FROM lead_notes;
CREATE TABLE note_links (lead_id bigint REFERENCES lead_notes (lead_id));
CREATE TABLE shifts (id int, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE shifts_2026 PARTITION OF shifts FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE shift_notes (id int, at date, FOREIGN KEY (id, at) REFERENCES shifts) PARTITION BY RANGE (at);
CREATE TABLE shift_notes_2026 PARTITION OF shift_notes FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TABLE vault (secret bytea);
CREATE VIEW vault_secrets AS SELECT secret FROM vault;
ALTER EXTENSION pgcrypto ADD VIEW vault_secrets;
CREATE TYPE floatrange AS RANGE (subtype = float8);
CREATE TABLE spans (during floatrange);
CREATE TYPE pair AS (x int, y int);
CREATE TABLE pairs OF pair;
CREATE TABLE prices (amount int, currency text);
CREATE TABLE folders (id int, CONSTRAINT folder_key CHECK (id > 0) NO INHERIT);
CREATE TABLE sub_folders (k int, CONSTRAINT folder_key UNIQUE (k)) INHERITS (folders);
CREATE TABLE folder_refs (k int REFERENCES sub_folders (k));
CREATE TABLE slots (id int);
CREATE UNIQUE INDEX slots_id ON slots (id);
CREATE TABLE slot_refs (id int REFERENCES slots (id));
CREATE FUNCTION total_amount() RETURNS bigint BEGIN ATOMIC SELECT sum(amount) FROM prices; END;
CREATE FUNCTION currency_count() RETURNS bigint LANGUAGE plpgsql AS $$BEGIN RETURN (SELECT count(DISTINCT currency) FROM prices); END$$;
`;

/** What PostgreSQL names when it runs `sql` (rolled back): the objects of its "… cascades to" NOTICE lines. */
async function postgresSays(c: pg.Client, sql: string): Promise<string[]> {
  const said: string[] = [];
  const listen = (n: { message?: string; detail?: string }) => said.push(...[n.message ?? '', ...(n.detail ?? '').split('\n')]);
  c.on('notice', listen);
  try {
    await c.query('BEGIN');
    await c.query(sql);
  } finally {
    await c.query('ROLLBACK');
    c.off('notice', listen);
  }
  return said
    .map((l) => /^(?:drop|truncate) cascades to (?!\d+ other objects)(.+)$/.exec(l)?.[1])
    .filter((l): l is string => l !== undefined)
    .map((l) => l.replace(/^table "(.+)"$/, 'table $1'))
    .sort();
}

const PATH = ['$user', 'public'];

/** What drop-cascade adds to "nothing depends on it": PostgreSQL's record leaves out string function bodies. */
const UNRECORDED = " (PostgreSQL does not record what a function body in quotes uses, such as PL/pgSQL's: such a function stays, and fails when it next runs)";

/** drop-cascade's messages for a pending file `sql` after SCHEMA (applied), with the catalog of the database at `url` read now. */
async function cascadeMessages(url: string, sql: string): Promise<string[]> {
  const catalog = await withClient(url, (c) => readLintCatalog(c, { dependencies: true }));
  return (await lintMigrations([lintSourceFromText('1_schema.sql', SCHEMA, true), lintSourceFromText('2_drop.sql', sql)], { catalog })).findings
    .filter((f) => f.rule === 'drop-cascade')
    .map((f) => f.message);
}

/** What a child got from its parent (42P16), as lint words the refusal. */
const inheritedRefusal = (named: string) =>
  `${named} with CASCADE: in the database now PostgreSQL refuses it (42P16), since the table got it from a parent: drop it on the parent, which drops it on every child`;

const DROPS: [string, DropTarget][] = [
  ['DROP SEQUENCE lead_numbers CASCADE', { kind: 'relation', name: 'lead_numbers', relkinds: 'S' }],
  ['DROP TABLE leads CASCADE', { kind: 'relation', name: 'leads', relkinds: 'rp' }],
  ['DROP TABLE buys CASCADE', { kind: 'relation', name: 'buys', relkinds: 'rp' }],
  ['DROP TABLE events CASCADE', { kind: 'relation', name: 'events', relkinds: 'rp' }],
  ['DROP TABLE lonely CASCADE', { kind: 'relation', name: 'lonely', relkinds: 'rp' }],
  ['DROP VIEW lead_names CASCADE', { kind: 'relation', name: 'lead_names', relkinds: 'v' }],
  ['DROP INDEX leads_name CASCADE', { kind: 'relation', name: 'leads_name', relkinds: 'iI' }],
  ['DROP TYPE mood CASCADE', { kind: 'type', name: 'mood' }],
  ['DROP TYPE address CASCADE', { kind: 'type', name: 'address' }],
  ['DROP DOMAIN score CASCADE', { kind: 'type', name: 'score' }],
  ['DROP FUNCTION touch() CASCADE', { kind: 'function', name: 'touch' }],
  ['DROP SCHEMA billing CASCADE', { kind: 'schema', name: 'billing' }],
  ['DROP SCHEMA public CASCADE', { kind: 'schema', name: 'public' }],
  ['DROP EXTENSION "uuid-ossp" CASCADE', { kind: 'extension', name: 'uuid-ossp' }],
  ['ALTER TABLE leads DROP COLUMN id CASCADE', { kind: 'column', table: 'leads', name: 'id' }],
  ['ALTER TABLE leads DROP COLUMN name CASCADE', { kind: 'column', table: 'leads', name: 'name' }],
  ['ALTER TABLE leads DROP CONSTRAINT leads_pkey CASCADE', { kind: 'constraint', table: 'leads', name: 'leads_pkey' }],
  ['ALTER TABLE billing.invoices DROP COLUMN id CASCADE', { kind: 'column', schema: 'billing', table: 'invoices', name: 'id' }],
  ['ALTER TABLE scores DROP COLUMN a CASCADE', { kind: 'column', table: 'scores', name: 'a' }],
  ['ALTER TABLE scores DROP COLUMN e CASCADE', { kind: 'column', table: 'scores', name: 'e' }],
  ['DROP FUNCTION doubled(int) CASCADE', { kind: 'function', name: 'doubled' }],
  ['DROP FUNCTION positive(int) CASCADE', { kind: 'function', name: 'positive' }],
  ['DROP TABLE scores CASCADE', { kind: 'relation', name: 'scores', relkinds: 'rp' }],
  ['DROP TABLE notes CASCADE', { kind: 'relation', name: 'notes', relkinds: 'rp' }],
  ['ALTER TABLE events DROP COLUMN what CASCADE', { kind: 'column', table: 'events', name: 'what' }],
  ['ALTER TABLE notes DROP COLUMN body CASCADE', { kind: 'column', table: 'notes', name: 'body' }],
  ['DROP EXTENSION plpgsql CASCADE', { kind: 'extension', name: 'plpgsql' }],
  ['DROP EXTENSION pgcrypto CASCADE', { kind: 'extension', name: 'pgcrypto' }],
  ['DROP TABLE vault CASCADE', { kind: 'relation', name: 'vault', relkinds: 'rp' }],
  ['DROP FUNCTION doubled(integer) CASCADE', { kind: 'function', name: 'doubled', args: ['integer'] }],
  ['DROP TYPE floatrange CASCADE', { kind: 'type', name: 'floatrange' }],
  // A function with an SQL-standard body (BEGIN ATOMIC): PostgreSQL records what it uses.
  ['ALTER TABLE prices DROP COLUMN amount CASCADE', { kind: 'column', table: 'prices', name: 'amount' }],
];

/** Statements PostgreSQL refuses even with CASCADE: they drop part of an object they leave (2BP01). */
const REFUSED: [string, DropTarget, string][] = [
  ['DROP SEQUENCE scores_d_seq CASCADE', { kind: 'relation', name: 'scores_d_seq', relkinds: 'S' }, 'column d of table scores requires sequence scores_d_seq'],
  ['DROP VIEW vault_secrets CASCADE', { kind: 'relation', name: 'vault_secrets', relkinds: 'v' }, 'extension pgcrypto requires view vault_secrets'],
  ['DROP INDEX leads_pkey CASCADE', { kind: 'relation', name: 'leads_pkey', relkinds: 'iI' }, 'constraint leads_pkey on table leads requires index leads_pkey'],
  [
    'DROP INDEX events_2026_at_idx CASCADE',
    { kind: 'relation', name: 'events_2026_at_idx', relkinds: 'iI' },
    'index events_at requires index events_2026_at_idx',
  ],
  ['DROP TYPE floatmultirange CASCADE', { kind: 'type', name: 'floatmultirange' }, 'type floatrange requires type floatmultirange'],
];

describe.each(targets)('what CASCADE takes, on $name', (target) => {
  let url: string;
  let graph: DependencyGraph;
  beforeAll(async () => {
    url = await freshDatabase(target, 'lint_dependencies');
    await rows(url, SCHEMA);
    graph = await withClient(url, (c) => readDependencies(c));
  });

  it.each(DROPS)("%s: lint names what PostgreSQL's NOTICE names", async (sql, dropped) => {
    const { ids } = resolve(graph, dropped, PATH);
    // One object; a parent's column comes with the columns it passed to its children.
    expect(ids.length).toBeGreaterThanOrEqual(1);
    expect(ids.length === 1 || dropped.kind === 'column').toBe(true);
    const pgSays = await withClient(url, (c) => postgresSays(c, sql));
    const cascade = cascadeOf(graph, ids);
    expect(cascade.refused).toBeUndefined();
    expect(cascade.names.sort()).toEqual(pgSays);
  });

  it.each(REFUSED)('%s: PostgreSQL refuses it (2BP01), and lint says why in its words', async (sql, dropped, why) => {
    const { ids } = resolve(graph, dropped, PATH);
    const e = await withClient(url, (c) =>
      postgresSays(c, sql).then(
        () => undefined,
        (err: { code?: string; message?: string }) => err,
      ),
    );
    expect(e).toMatchObject({ code: '2BP01' });
    expect(e!.message).toMatch(/^cannot drop \S+ \S+ because .+ requires it$/);
    expect(cascadeOf(graph, ids)).toEqual({ names: [], refused: why });
    const [owner, object] = why.split(' requires ');
    expect(e!.message).toBe(`cannot drop ${object} because ${owner} requires it`);
  });

  it('DROP … CASCADE of several objects at once: each dependent once, the dropped ones left out', async () => {
    const ids = [...resolve(graph, { kind: 'type', name: 'mood' }, PATH).ids, ...resolve(graph, { kind: 'relation', name: 'leads', relkinds: 'rp' }, PATH).ids];
    expect(cascadeOf(graph, ids).names.sort()).toEqual(await withClient(url, (c) => postgresSays(c, 'DROP TABLE leads CASCADE; DROP TYPE mood CASCADE')));
  });

  it.each([
    ['leads', false, ['table buys', 'table invoices', 'table refunds']],
    ['notes', false, ['table note_links']],
    ['notes', true, []],
    ['shifts_2026', false, ['table shift_notes', 'table shift_notes_2026']],
    ['shifts', false, ['table shift_notes', 'table shift_notes_2026']],
  ])(
    'TRUNCATE %s CASCADE (ONLY: %s): lint names the tables PostgreSQL empties with it, through foreign keys, children and partitions',
    async (table, only, tables) => {
      const pgSays = await withClient(url, (c) => postgresSays(c, `TRUNCATE ${only ? 'ONLY ' : ''}${table} CASCADE`));
      expect(pgSays).toEqual(tables);
      const { ids } = resolve(graph, { kind: 'relation', name: table, relkinds: 'rp' }, PATH);
      // PostgreSQL's TRUNCATE notice names a table without its schema.
      expect(
        truncatedWith(
          graph,
          ids.map((id) => ({ id, only })),
        )
          .map((t) => t.replace('billing.', ''))
          .sort(),
      ).toEqual(pgSays);
    },
  );

  it.each([
    [
      'ALTER TABLE lead_notes DROP COLUMN body CASCADE',
      '42P16',
      'cannot drop inherited column "body"',
      inheritedRefusal('ALTER TABLE lead_notes DROP COLUMN body'),
    ],
    [
      'ALTER TABLE lead_notes DROP CONSTRAINT notes_body_check CASCADE',
      '42P16',
      'cannot drop inherited constraint "notes_body_check" of relation "lead_notes"',
      inheritedRefusal('ALTER TABLE lead_notes DROP CONSTRAINT notes_body_check'),
    ],
    [
      'ALTER TABLE events_2026 DROP COLUMN what CASCADE',
      '42P16',
      'cannot drop inherited column "what"',
      inheritedRefusal('ALTER TABLE events_2026 DROP COLUMN what'),
    ],
    [
      'ALTER TABLE events RENAME COLUMN what TO w;\nALTER TABLE events_2026 DROP COLUMN w CASCADE',
      '42P16',
      'cannot drop inherited column "w"',
      inheritedRefusal('ALTER TABLE events_2026 DROP COLUMN w'),
    ],
    [
      'ALTER TABLE events DROP COLUMN at CASCADE',
      '42P16',
      'cannot drop column "at" because it is part of the partition key of relation "events"',
      'ALTER TABLE events DROP COLUMN at with CASCADE: in the database now PostgreSQL refuses it (42P16), since column at of table events is part of the partition key',
    ],
    [
      'ALTER TABLE shift_notes RENAME CONSTRAINT shift_notes_id_at_fkey TO shift_notes_fk;\nALTER TABLE shift_notes_2026 DROP CONSTRAINT shift_notes_id_at_fkey CASCADE',
      '42P16',
      'cannot drop inherited constraint "shift_notes_id_at_fkey" of relation "shift_notes_2026"',
      inheritedRefusal('ALTER TABLE shift_notes_2026 DROP CONSTRAINT shift_notes_id_at_fkey'),
    ],
    [
      'ALTER TABLE pairs DROP COLUMN x CASCADE',
      '42809',
      'cannot drop column from typed table',
      'ALTER TABLE pairs DROP COLUMN x with CASCADE: in the database now PostgreSQL refuses it (42809), since the table is of a composite type (CREATE TABLE … OF): ALTER TYPE … DROP ATTRIBUTE … CASCADE drops the column from every table of that type',
    ],
  ])('%s: PostgreSQL refuses it (%s), and lint says so', async (sql, code, pgMessage, lintMessage) => {
    const e = await withClient(url, (c) =>
      postgresSays(c, sql).then(
        () => undefined,
        (err: { code?: string; message?: string }) => err,
      ),
    );
    expect(e).toMatchObject({ code, message: pgMessage });
    expect(await cascadeMessages(url, `${sql};`)).toEqual([lintMessage]);
  });

  it.each([
    [
      'ALTER TABLE leads RENAME COLUMN name TO full_name;\nALTER TABLE leads DROP COLUMN full_name CASCADE;',
      'a column renamed first: by the name the database has',
    ],
    [
      'ALTER TABLE leads RENAME name TO was_name;\nALTER TABLE leads RENAME COLUMN m TO name;\nALTER TABLE leads DROP COLUMN name CASCADE;',
      'another column renamed into the name',
    ],
    ['ALTER TABLE lonely ADD COLUMN extra int;\nALTER TABLE lonely DROP COLUMN extra CASCADE;', 'a column the pending set added'],
    [
      'ALTER TABLE leads RENAME COLUMN name TO old_name;\nALTER TABLE leads ADD COLUMN name text;\nALTER TABLE leads DROP COLUMN name CASCADE;',
      'a column renamed away, and a new one of its name',
    ],
    [
      'ALTER TABLE leads ADD COLUMN IF NOT EXISTS name text;\nALTER TABLE leads DROP COLUMN name CASCADE;',
      'ADD COLUMN IF NOT EXISTS of a column the table has',
    ],
    [
      'ALTER TABLE leads RENAME CONSTRAINT leads_pkey TO leads_key;\nALTER TABLE leads DROP CONSTRAINT leads_key CASCADE;',
      'a constraint renamed first: by the name the database has',
    ],
    [
      'ALTER TABLE scores ADD CONSTRAINT a_positive CHECK (a > 0);\nALTER TABLE scores DROP CONSTRAINT a_positive CASCADE;',
      'a constraint the pending set added',
    ],
    [
      'ALTER TABLE notes RENAME CONSTRAINT notes_body_check TO body_given;\nALTER TABLE notes DROP CONSTRAINT body_given CASCADE;',
      "a parent's constraint renamed, then dropped on the parent",
    ],
    [
      'ALTER TABLE folders RENAME CONSTRAINT folder_key TO folder_positive;\nALTER TABLE sub_folders DROP CONSTRAINT folder_key CASCADE;',
      "a parent's constraint renamed, not inherited: the child's of that name keeps it",
    ],
  ])('%s (%s): lint names what PostgreSQL names when it runs the file', async (sql) => {
    const [message] = await cascadeMessages(url, sql);
    const pgSays = await withClient(url, (c) => postgresSays(c, sql));

    const named = message!.split(': in the database now, ')[1];
    if (pgSays.length) expect(named?.split(', ').sort()).toEqual(pgSays);
    else expect(message).toContain('nothing depends on it in the database now');
  });

  it('what the pending files did that lint does not follow gets the general message: a constraint made USING INDEX, a column a parent added', async () => {
    const general = (text: string) => `${text} with CASCADE: everything that depends on it is dropped too, and the migration does not say what that is`;
    const usingIndex = 'ALTER TABLE slots ADD CONSTRAINT slots_key UNIQUE USING INDEX slots_id;\nALTER TABLE slots DROP CONSTRAINT slots_key CASCADE;';
    expect(await withClient(url, (c) => postgresSays(c, usingIndex))).toEqual(['constraint slot_refs_id_fkey on table slot_refs']);
    expect(await cascadeMessages(url, usingIndex)).toEqual([general('ALTER TABLE slots DROP CONSTRAINT slots_key')]);
    const parentAdded = 'ALTER TABLE notes ADD COLUMN extra int;\nALTER TABLE lead_notes DROP COLUMN extra CASCADE;';
    const e = await withClient(url, (c) =>
      postgresSays(c, parentAdded).then(
        () => undefined,
        (err: { code?: string }) => err,
      ),
    );
    expect(e).toMatchObject({ code: '42P16' });
    expect(await cascadeMessages(url, parentAdded)).toEqual([general('ALTER TABLE lead_notes DROP COLUMN extra')]);
  });

  it('a table the pending files made not typed (NOT OF): PostgreSQL drops the column, and lint does not say it refuses', async () => {
    const sql = 'ALTER TABLE pairs NOT OF;\nALTER TABLE pairs DROP COLUMN x CASCADE;';
    expect(await withClient(url, (c) => postgresSays(c, sql))).toEqual([]);
    expect(await cascadeMessages(url, sql)).toEqual([
      'ALTER TABLE pairs DROP COLUMN x with CASCADE: everything that depends on it is dropped too, and the migration does not say what that is',
    ]);
  });

  it('a column nothing depends on is not in the graph: lint finds its table and knows nothing depends on it, as PostgreSQL names nothing', async () => {
    expect(await withClient(url, (c) => postgresSays(c, 'ALTER TABLE lonely DROP COLUMN id CASCADE'))).toEqual([]);
    expect(resolve(graph, { kind: 'column', table: 'lonely', name: 'id' }, PATH)).toEqual({ ids: [], named: false, independent: true });
    // Its table not in the database: lint cannot tell.
    expect(resolve(graph, { kind: 'column', table: 'not_there', name: 'id' }, PATH)).toEqual({ ids: [], named: false });
    // A parent's column nothing depends on still takes the columns its children got from it.
    const body = resolve(graph, { kind: 'column', table: 'events', name: 'at' }, PATH);
    expect(body.independent).toBeUndefined();
    expect(body.ids.length).toBeGreaterThan(0);
  });

  it('finds an object through the search path, or not at all when it is not there', () => {
    const nothing = { ids: [], named: false };
    expect(resolve(graph, { kind: 'relation', name: 'invoices', relkinds: 'rp' }, PATH)).toEqual(nothing);
    expect(resolve(graph, { kind: 'relation', name: 'invoices', relkinds: 'rp' }, ['billing', 'public']).ids).toHaveLength(1);
    expect(resolve(graph, { kind: 'relation', name: 'lead_names', relkinds: 'rp' }, PATH)).toEqual(nothing);
    expect(resolve(graph, { kind: 'type', name: 'mood', schema: 'billing' }, PATH)).toEqual(nothing);
    expect(resolve(graph, { kind: 'function', name: 'doubled', args: ['text'] }, PATH)).toEqual({ ids: [], named: true });
  });

  it('the drop-cascade finding names them, says when nothing depends on it, and stays general for what it cannot look up', async () => {
    const messages = (sql: string) => cascadeMessages(url, sql);
    expect(await messages('DROP SEQUENCE lead_numbers CASCADE;')).toEqual([
      'DROP SEQUENCE of lead_numbers with CASCADE: everything that depends on it is dropped too, and the migration does not say what that is: in the database now, default value for column id of table leads',
    ]);
    expect(await messages('TRUNCATE buys CASCADE;')).toEqual([
      'TRUNCATE of buys with CASCADE: every table with a foreign key to it is emptied too, and the migration does not say what that is: in the database now, table refunds',
    ]);
    expect(await messages('DROP TABLE lonely CASCADE;')).toEqual([
      `DROP TABLE of lonely with CASCADE: nothing depends on it in the database now, but anything that does by the time this runs is dropped too, unnamed in the migration${UNRECORDED}`,
    ]);
    expect(await messages('TRUNCATE refunds CASCADE;')).toEqual([
      'TRUNCATE of refunds with CASCADE: no table has a foreign key to it in the database now, but any that does by the time this runs is emptied too, unnamed in the migration',
    ]);
    expect(await messages('SET search_path = billing, public;\nDROP TABLE invoices CASCADE;')).toEqual([
      'DROP TABLE of invoices with CASCADE: everything that depends on it is dropped too, and the migration does not say what that is: in the database now, view billing.open_invoices',
    ]);
    const general = 'with CASCADE: everything that depends on it is dropped too, and the migration does not say what that is';
    expect(
      await messages(
        'DROP TABLE IF EXISTS not_there CASCADE;\nDROP TYPE IF EXISTS no_type, public.no_type_either CASCADE;\nDROP SCHEMA IF EXISTS no_schema CASCADE;',
      ),
    ).toEqual([]);
    expect(await messages('DROP TABLE IF EXISTS not_there, lonely CASCADE;')).toEqual([
      `DROP TABLE of not_there, lonely with CASCADE: nothing depends on them in the database now, but anything that does by the time this runs is dropped too, unnamed in the migration${UNRECORDED}`,
    ]);
    expect(await messages('DROP SEQUENCE IF EXISTS not_there, lead_numbers CASCADE;')).toEqual([
      'DROP SEQUENCE of not_there, lead_numbers with CASCADE: everything that depends on them is dropped too, and the migration does not say what that is: in the database now, default value for column id of table leads',
    ]);
    expect(await messages('ALTER TABLE lonely DROP COLUMN id CASCADE;')).toEqual([
      `ALTER TABLE lonely DROP COLUMN id with CASCADE: nothing depends on it in the database now, but anything that does by the time this runs is dropped too, unnamed in the migration${UNRECORDED}`,
    ]);
    // A PL/pgSQL function uses the column: PostgreSQL names nothing and leaves the function, and lint says so.
    expect(await withClient(url, (c) => postgresSays(c, 'ALTER TABLE prices DROP COLUMN currency CASCADE'))).toEqual([]);
    expect(await messages('ALTER TABLE prices DROP COLUMN currency CASCADE;')).toEqual([
      `ALTER TABLE prices DROP COLUMN currency with CASCADE: nothing depends on it in the database now, but anything that does by the time this runs is dropped too, unnamed in the migration${UNRECORDED}`,
    ]);
    expect(await messages('ALTER TABLE leads DROP COLUMN name CASCADE, DROP COLUMN m CASCADE;')).toEqual([
      `ALTER TABLE leads DROP COLUMN name, DROP COLUMN m ${general.replace('on it', 'on them')}: in the database now, view lead_names, view lead_names_ok`,
    ]);
    expect(await messages('DROP CAST (mood AS text) CASCADE;')).toEqual([`DROP CAST ${general}`]);
    const [schema] = await messages('DROP SCHEMA public CASCADE;');
    expect(schema).toMatch(/in the database now, (?:[^,]+, ){10}and \d+ more$/);
    expect(await messages('DROP SEQUENCE scores_d_seq CASCADE;')).toEqual([
      'DROP SEQUENCE of scores_d_seq with CASCADE: in the database now PostgreSQL refuses it (2BP01), since column d of table scores requires sequence scores_d_seq',
    ]);
    expect(await messages('DROP FUNCTION doubled(int4) CASCADE;')).toEqual([
      `DROP FUNCTION of doubled(…) ${general}: in the database now, index scores_doubled, materialized view doubled_scores_then, view doubled_scores`,
    ]);
    expect(await messages('DROP FUNCTION IF EXISTS doubled(text) CASCADE;')).toEqual([`DROP FUNCTION of doubled(…) ${general}`]);
    expect(await messages('ALTER TABLE lead_notes DROP COLUMN lead_id CASCADE, DROP COLUMN body CASCADE;')).toEqual([
      'ALTER TABLE lead_notes DROP COLUMN lead_id, DROP COLUMN body with CASCADE: in the database now PostgreSQL refuses it (42P16), since the table got at least one of them from a parent: drop that one on the parent, which drops it on every child',
    ]);
    expect(await messages('ALTER TABLE notes DROP COLUMN body CASCADE;')).toEqual([
      `ALTER TABLE notes DROP COLUMN body ${general}: in the database now, view lead_note_bodies`,
    ]);
  });

  it("looks unqualified names up through the session's search path (here the database's own), unless the file sets one", async () => {
    await rows(url, `ALTER DATABASE ${url.split('/').pop()} SET search_path = billing, public`);
    try {
      const catalog = await withClient(url, (c) => readLintCatalog(c, { dependencies: true }));
      expect(catalog.dependencies!.searchPath).toEqual(['billing', 'public']);
      const lint = async (sql: string) =>
        (await lintMigrations([lintSourceFromText('1_schema.sql', SCHEMA, true), lintSourceFromText('2_drop.sql', sql)], { catalog })).findings
          .filter((f) => f.rule === 'drop-cascade')
          .map((f) => f.message.split(': in the database now, ')[1]);
      expect(await lint('DROP TABLE invoices CASCADE;')).toEqual(['view open_invoices']);
      expect(await lint('SET search_path = public;\nDROP TABLE invoices CASCADE;')).toEqual([]);
      // A column renamed under one name of the table and dropped under another: one table.
      const renamed = 'ALTER TABLE invoices RENAME COLUMN id TO invoice_id;\nALTER TABLE billing.invoices DROP COLUMN invoice_id CASCADE;';
      expect(await withClient(url, (c) => postgresSays(c, renamed))).toEqual(['view open_invoices']);
      expect(await lint(renamed)).toEqual(['view open_invoices']);
    } finally {
      await rows(url, `ALTER DATABASE ${url.split('/').pop()} RESET search_path`);
    }
  });

  it('reads the same through the RDS Data API (Aurora): every object, edge and name', async () => {
    const driver = makeDataApiDriver(url);
    const session = await driver.connect();
    try {
      const viaApi = await readDependencies(session);
      expect(viaApi.searchPath).toEqual(graph.searchPath);
      expect(viaApi.objects).toEqual(graph.objects);
      expect(viaApi.byRef).toEqual(graph.byRef);
      expect(viaApi.owner).toEqual(graph.owner);
      expect(viaApi.children).toEqual(graph.children);
      expect(viaApi.inheritedColumns).toEqual(graph.inheritedColumns);
      expect(viaApi.referencedBy).toEqual(graph.referencedBy);
      const leads = resolve(viaApi, { kind: 'relation', name: 'leads', relkinds: 'rp' }, PATH);
      expect(cascadeOf(viaApi, leads.ids).names).toContain('view lead_names');
    } finally {
      await session.close();
      await driver.end();
    }
  });

  it('through the RDS Data API, a graph over its 1 MiB limit is not read: lint says why and goes on without the names', async () => {
    const big = await freshDatabase(target, 'lint_dependencies_big');
    await rows(
      big,
      "DO $$BEGIN FOR i IN 1..400 LOOP EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY, name text); CREATE VIEW v%s AS SELECT * FROM t%s', i, i, i); END LOOP; END$$",
    );
    const driver = makeDataApiDriver(big);
    const session = await driver.connect();
    try {
      const lines: string[] = [];
      const catalog = await readLintCatalog(session, { dependencies: true, onUnread: (line) => lines.push(line) });
      expect(lines).toEqual([
        expect.stringMatching(
          /^lint could not read what depends on what \(Database response exceeded size limit: a Data API response is limited to 1 MiB.*\), so drop-cascade names no dependents$/,
        ),
      ]);
      expect(catalog.dependencies).toBeUndefined();
      expect(catalog.functions.length).toBeGreaterThan(1000);
      const findings = (await lintMigrations([lintSourceFromText('1_drop.sql', 'DROP TABLE t1 CASCADE;')], { catalog })).findings;
      expect(findings.map((f) => f.message)).toContain(
        'DROP TABLE of t1 with CASCADE: everything that depends on it is dropped too, and the migration does not say what that is',
      );
      expect((await withClient(big, (c) => readDependencies(c))).objects.size).toBeGreaterThan(4000);
    } finally {
      await session.close();
      await driver.end();
    }
  });

  it('reads the catalog only: no lock stronger than ACCESS SHARE', async () => {
    await withClient(url, async (c) => {
      await c.query('BEGIN');
      try {
        await readLintCatalog(c, { dependencies: true });
        const locks = await c.query(
          "SELECT count(*)::int AS n FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation' AND mode <> 'AccessShareLock'",
        );
        expect(locks.rows).toEqual([{ n: 0 }]);
      } finally {
        await c.query('ROLLBACK');
      }
    });
  });
});
