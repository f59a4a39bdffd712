/**
 * The copy plan --trace runs on: made from a database's catalog, it has the
 * database's catalog (every part the drift dump compares, but comments,
 * which the copy leaves out) and none of its rows; what it cannot make is
 * named, not fatal.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCopy, schemaStatements } from '../../../../lambda/checks/trace/copy';
import { parseMigration } from '../../../../lambda/engine/files/source';
import { diffCatalogs, readCatalog, type Difference } from '../../../../lambda/schema/catalog';
import { loadHistories } from '../../../corpus/histories';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../../support/db';
import type { Target } from '../../../support/targets';

afterAll(dropDatabases);

/** What a copy is made of, each part a statement the copy must reproduce. */
const WIDE_SCHEMA = `
CREATE SCHEMA app;
CREATE TYPE app.mood AS ENUM ('ok', 'sad');
CREATE TYPE app.pair AS (a int, b text);
CREATE DOMAIN app.positive AS int DEFAULT 1 NOT NULL CHECK (VALUE > 0);
CREATE SEQUENCE app.tickets START 100 INCREMENT 5;
CREATE TABLE app.accounts (id bigint GENERATED ALWAYS AS IDENTITY (START WITH 7) PRIMARY KEY, email text UNIQUE, mood app.mood DEFAULT 'ok', n app.positive);
CREATE TABLE app.orders (id serial PRIMARY KEY, account_id bigint REFERENCES app.accounts (id), total numeric(10,2), note text COLLATE "C",
  doubled numeric GENERATED ALWAYS AS (total * 2) STORED, ticket int DEFAULT nextval('app.tickets'));
ALTER TABLE app.orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;
ALTER SEQUENCE app.tickets OWNED BY app.orders.ticket;
CREATE UNLOGGED TABLE app.scratch (id int) WITH (fillfactor = 70);
CREATE TABLE app.base (id int, created timestamptz DEFAULT now());
CREATE TABLE app.child (extra text) INHERITS (app.base);
CREATE TABLE app.events (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01') PARTITION BY HASH (id);
CREATE TABLE app.events_2024_0 PARTITION OF app.events_2024 FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE app.events_2024_1 PARTITION OF app.events_2024 FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE TABLE app.events_old PARTITION OF app.events DEFAULT;
CREATE INDEX events_at ON app.events (at);
ALTER TABLE app.events ADD CONSTRAINT events_at_known CHECK (at > '2000-01-01');
CREATE FUNCTION app.account_orders(a app.accounts) RETURNS SETOF app.orders LANGUAGE sql STABLE AS $$ SELECT * FROM app.orders WHERE account_id = a.id $$;
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.note := coalesce(NEW.note, ''); RETURN NEW; END$$;
CREATE TRIGGER orders_touch BEFORE INSERT ON app.orders FOR EACH ROW EXECUTE FUNCTION app.touch();
CREATE TRIGGER orders_touch_off BEFORE UPDATE ON app.orders FOR EACH ROW EXECUTE FUNCTION app.touch();
ALTER TABLE app.orders DISABLE TRIGGER orders_touch_off;
CREATE VIEW app.big_orders AS SELECT id, total FROM app.orders WHERE total > 100;
CREATE VIEW app.big_order_ids AS SELECT id FROM app.big_orders;
CREATE MATERIALIZED VIEW app.totals AS SELECT account_id, sum(total) AS total FROM app.orders GROUP BY account_id;
CREATE UNIQUE INDEX totals_account ON app.totals (account_id);
CREATE RULE scratch_quiet AS ON INSERT TO app.scratch DO INSTEAD NOTHING;
ALTER TABLE app.accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY accounts_own ON app.accounts USING (email = current_user);
ALTER TABLE app.accounts REPLICA IDENTITY FULL;
INSERT INTO app.accounts (email) VALUES ('a@example.com');
INSERT INTO app.orders (account_id, total) SELECT 7, 5 FROM generate_series(1, 10);
`;

/** Differences the copy has by design: comments are not copied; a CHECK PostgreSQL prints again with fewer parentheses is the same CHECK. */
function material(diffs: Difference[]): Difference[] {
  const bare = (v: unknown) => String(v).replace(/[()]/g, '');
  return diffs.filter((d) => d.field !== 'comment' && !(d.kind === 'constraint' && d.field === 'definition' && bare(d.a) === bare(d.b)));
}

async function copyOf(target: Target, setup: (url: string) => Promise<void>): Promise<{ source: string; copy: string; notCopied: unknown[] }> {
  const [source, copy] = [await freshDatabase(target, 'copy_source'), await freshDatabase(target, 'copy')];
  await setup(source);
  const notCopied = await withClient(source, (s) => withClient(copy, async (c) => (await makeCopy(c, await schemaStatements(s))).notCopied));
  return { source, copy, notCopied };
}

async function userSchemas(url: string): Promise<string[]> {
  return (await rows<{ n: string }>(url, "SELECT nspname AS n FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'")).map(
    (r) => r.n,
  );
}

describe.each(targets)('Function: makeCopy, on $name', (target) => {
  it('copies every part of a schema — types, domains, sequences, identities, partitions, inheritance, views over views, rules, policies — and no row', async () => {
    const { source, copy, notCopied } = await copyOf(target, async (url) => {
      await withClient(url, (c) => c.query(WIDE_SCHEMA));
    });
    expect(notCopied).toEqual([]);
    const schemas = await userSchemas(source);
    const [a, b] = await Promise.all([withClient(source, (c) => readCatalog(c, { schemas })), withClient(copy, (c) => readCatalog(c, { schemas }))]);
    expect(material(diffCatalogs(a, b))).toEqual([]);
    // The columns in their order: an INSERT without a column list fills them as on the source.
    expect(
      await rows(copy, "SELECT string_agg(attname, ',' ORDER BY attnum) AS c FROM pg_attribute WHERE attrelid = 'app.orders'::regclass AND attnum > 0"),
    ).toEqual(
      await rows(source, "SELECT string_agg(attname, ',' ORDER BY attnum) AS c FROM pg_attribute WHERE attrelid = 'app.orders'::regclass AND attnum > 0"),
    );
    expect(await rows(copy, 'SELECT (SELECT count(*) FROM app.orders)::int AS orders, (SELECT count(*) FROM app.accounts)::int AS accounts')).toEqual([
      { orders: 0, accounts: 0 },
    ]);
    expect(await rows(copy, "SELECT relpersistence AS p, reloptions AS o FROM pg_class WHERE oid = 'app.scratch'::regclass")).toEqual([
      { p: 'u', o: ['fillfactor=70'] },
    ]);
  });

  it.each(loadHistories().map((h) => [h.name, h] as const))('copies the corpus history %s as its files made it', async (_name, history) => {
    const { source, copy, notCopied } = await copyOf(target, async (url) => {
      for (const f of history.files) {
        const m = parseMigration(f, readFileSync(join(history.migrationsDir, f), 'utf8'));
        // A no-transaction file statement by statement, as migrate runs it.
        await withClient(url, async (c) => {
          for (const sql of m.directives.noTransaction ? m.statements.map((s) => s.text) : [m.text]) await c.query(sql);
        });
      }
    });
    expect(notCopied).toEqual([]);
    const schemas = await userSchemas(source);
    const [a, b] = await Promise.all([withClient(source, (c) => readCatalog(c, { schemas })), withClient(copy, (c) => readCatalog(c, { schemas }))]);
    expect(material(diffCatalogs(a, b))).toEqual([]);
  });

  it('names what it cannot make and makes the rest: a function in a language the copy server lacks', async () => {
    const { copy, notCopied } = await copyOf(target, (url) =>
      withClient(url, async (c) => {
        await c.query('CREATE TABLE t (id int)');
        // A language of its own, made then dropped from the copy's reach: its function is what the copy cannot make.
        await c.query("CREATE FUNCTION lang_handler() RETURNS language_handler AS 'plpgsql', 'plpgsql_call_handler' LANGUAGE c");
        await c.query('CREATE LANGUAGE mylang HANDLER lang_handler');
        await c.query("CREATE FUNCTION f() RETURNS int LANGUAGE mylang AS 'x'");
      }),
    );
    expect(notCopied).toEqual([expect.objectContaining({ object: 'function public.f()', error: expect.stringContaining('42704') })]);
    expect(await rows(copy, "SELECT to_regclass('public.t') IS NOT NULL AS t")).toEqual([{ t: true }]);
  });
});
