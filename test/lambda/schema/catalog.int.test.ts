import { afterAll, describe, expect, it } from 'vitest';
import { diffCatalogs, formatDifferences, readCatalog } from '../../../lambda/schema/catalog';
import { allMajors, dropDatabases, freshDatabase, withClient } from '../../support/db';
import { DataApiStandin } from '../../support/data-api-standin';
import { makeDataApiDriver } from '../../support/drivers';
import type { Queryable } from '../../../lambda/engine/ports';

afterAll(dropDatabases);

const SCHEMA = `
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE SCHEMA schemaguard;
CREATE TABLE schemaguard.applied_migrations (version bigint PRIMARY KEY);
CREATE SCHEMA other;
CREATE TABLE other.t (id int);
CREATE TABLE parent (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL);
COMMENT ON TABLE parent IS 'the parent';
CREATE TABLE child (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  parent_id uuid CONSTRAINT child_parent_id_fkey REFERENCES parent(id) ON DELETE SET NULL,
  qty integer NOT NULL CONSTRAINT child_qty_check CHECK (qty > 0),
  active boolean NOT NULL DEFAULT true);
COMMENT ON COLUMN child.parent_id IS 'nullable on purpose';
CREATE UNIQUE INDEX child_active ON child (parent_id) WHERE active;
CREATE FUNCTION add_one(x integer) RETURNS integer LANGUAGE sql AS $$ SELECT x + 1 $$;
`;

describe.each(allMajors)('$name', (target) => {
  describe('Function: readCatalog', () => {
    it('reads tables, columns, constraints, indexes, functions and extensions of public only', async () => {
      const url = await freshDatabase(target, 'catalog');
      await withClient(url, (c) => c.query(SCHEMA));

      const cat = await withClient(url, (c) => readCatalog(c));

      expect(cat.schemas).toEqual(['public']);
      expect(cat.extensions.map((e) => [e.name, e.schema])).toEqual([['pgcrypto', 'public']]);
      expect(cat.tables.map((t) => `${t.schema}.${t.name}`)).toEqual(['public.child', 'public.parent']);
      const child = cat.tables[0]!;
      expect(child.columns.map((c) => c.name)).toEqual(['active', 'id', 'parent_id', 'qty']);
      expect(child.columns.find((c) => c.name === 'parent_id')).toEqual({
        name: 'parent_id',
        type: 'uuid',
        nullable: true,
        default: null,
        identity: null,
        generated: null,
        comment: 'nullable on purpose',
      });
      expect(child.constraints.map((c) => [c.name, c.type, c.definition])).toEqual([
        ['child_parent_id_fkey', 'f', 'FOREIGN KEY (parent_id) REFERENCES public.parent(id) ON DELETE SET NULL'],
        ['child_pkey', 'p', 'PRIMARY KEY (id)'],
        ['child_qty_check', 'c', 'CHECK ((qty > 0))'],
      ]);
      expect(child.indexes.map((i) => [i.name, i.definition, i.constraint])).toEqual([
        ['child_active', 'CREATE UNIQUE INDEX child_active ON public.child USING btree (parent_id) WHERE active', null],
        ['child_pkey', 'CREATE UNIQUE INDEX child_pkey ON public.child USING btree (id)', 'child_pkey'],
      ]);
      expect(cat.tables[1]!.comment).toBe('the parent');
      // pgcrypto's own functions (installed in public) are not part of the schema.
      expect(cat.functions.map((f) => `${f.name}(${f.arguments}) -> ${f.result}`)).toEqual(['add_one(x integer) -> integer']);
      expect(cat.functions[0]!.definition).toContain('SELECT x + 1');
    });

    it('never includes the state schema, even when asked for, and reads the schemas asked for', async () => {
      const url = await freshDatabase(target, 'catalogschemas');
      await withClient(url, (c) => c.query(SCHEMA));

      const cat = await withClient(url, (c) => readCatalog(c, { schemas: ['other', 'schemaguard', 'public'] }));

      expect(cat.schemas).toEqual(['other', 'public']);
      expect(cat.tables.map((t) => `${t.schema}.${t.name}`)).toEqual(['other.t', 'public.child', 'public.parent']);
    });

    it('is deterministic, JSON-able, independent of search_path and column order, and restores search_path', async () => {
      const a = await freshDatabase(target, 'catalogorder_a');
      const b = await freshDatabase(target, 'catalogorder_b');
      await withClient(a, (c) => c.query(SCHEMA));
      // Same schema, columns added in another order.
      await withClient(b, (c) =>
        c.query(
          SCHEMA.replace(
            /CREATE TABLE child \([\s\S]*?active boolean NOT NULL DEFAULT true\);/,
            `CREATE TABLE child (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), active boolean NOT NULL DEFAULT true);
         ALTER TABLE child ADD COLUMN qty integer NOT NULL CONSTRAINT child_qty_check CHECK (qty > 0);
         ALTER TABLE child ADD COLUMN parent_id uuid CONSTRAINT child_parent_id_fkey REFERENCES parent(id) ON DELETE SET NULL;`,
          ),
        ),
      );

      const ca = await withClient(a, (c) => readCatalog(c));
      const { cb, path } = await withClient(b, async (c) => {
        await c.query('SET search_path = other, public');
        const cat = await readCatalog(c);
        return { cb: cat, path: (await c.query<{ p: string }>(`SELECT current_setting('search_path') AS p`)).rows[0]!.p };
      });

      expect(path).toBe('other, public');
      expect(JSON.parse(JSON.stringify(ca))).toEqual(ca);
      expect(diffCatalogs(ca, cb)).toEqual([]);
      expect(await withClient(a, (c) => readCatalog(c))).toEqual(ca);
    });
  });

  describe('Function: readCatalog through the Data API (1 MiB per response)', () => {
    it('reads a catalog bigger than one response in pages, equal to the pg read (it failed past about 450 tables: "Database response exceeded size limit")', async () => {
      // Prepare: 400 tables of 12 columns, each with a key, a check, an index, a trigger and a policy, and a view each 50: about 1.7 MB of columns alone.
      const url = await freshDatabase(target, 'catalog_pages');
      await withClient(url, (c) =>
        c.query(`
        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN RETURN NEW; END $f$;
        DO $d$ BEGIN
          FOR t IN 1..400 LOOP
            EXECUTE format('CREATE TABLE wide_table_number_%s (id int PRIMARY KEY, %s, CONSTRAINT wide_%s_check CHECK (id > 0))', t,
              (SELECT string_agg(format('a_rather_long_column_name_%s text', k), ', ') FROM generate_series(1, 11) k), t);
            EXECUTE format('CREATE INDEX wide_%s_c1 ON wide_table_number_%s (a_rather_long_column_name_1)', t, t);
            EXECUTE format('CREATE TRIGGER touch_%s BEFORE UPDATE ON wide_table_number_%s FOR EACH ROW EXECUTE FUNCTION touch()', t, t);
            EXECUTE format('CREATE POLICY own_%s ON wide_table_number_%s USING (id > 1)', t, t);
            IF t % 50 = 0 THEN EXECUTE format('CREATE VIEW wide_view_%s AS SELECT id FROM wide_table_number_%s', t, t); END IF;
            IF t % 100 = 0 THEN EXECUTE format('CREATE SEQUENCE wide_seq_%s AS integer CYCLE OWNED BY wide_table_number_%s.id', t, t); END IF;
          END LOOP;
        END $d$;`),
      );
      const standin = new DataApiStandin(url);
      const session = await makeDataApiDriver(url, standin).connect();
      const unpaged: Queryable = { query: (sql, params) => session.query(sql, params) }; // the same calls, without the driver's limit
      const inTransaction = async <T>(work: () => Promise<T>): Promise<T> => {
        await session.begin({ lockTimeoutMs: 2000, statementTimeoutMs: 60_000 });
        try {
          return await work();
        } finally {
          await session.rollback();
        }
      };

      try {
        // Act
        const expected = await withClient(url, (c) => readCatalog(c));
        const paged = await inTransaction(() => readCatalog(session));
        const whole = await inTransaction(() => readCatalog(unpaged)).catch((e: unknown) => e);

        // Assess
        expect(whole).toMatchObject({ code: '54000' }); // one query per part is over the limit
        expect(paged.tables).toHaveLength(408);
        expect(paged.sequences!.map((q) => [q.name, q.cycle, q.ownedBy])).toEqual(
          [100, 200, 300, 400].map((t) => [`wide_seq_${t}`, true, `public.wide_table_number_${t}.id`]),
        );
        expect(paged).toEqual(expected);
        // The columns' query ran once, through one cursor, its pages FETCHed (keyed pages ran it once per page).
        const columns = standin.calls.filter((c) => c.sql?.includes('sg_running') && c.sql.includes('pg_attribute a'));
        expect(columns.map((c) => c.sql!.split(' ')[0])).toEqual(['DECLARE']);
        expect(standin.calls.filter((c) => c.sql?.startsWith('FETCH')).length).toBeGreaterThan(2);
      } finally {
        await session.close();
        await standin.close();
      }
    }, 60_000);
  });

  describe('Function: readCatalog through the Data API, enums and domains', () => {
    it('reads thousands of enums and domains in pages, equal to the pg read (one query each was past the 1 MiB response: "Database response exceeded size limit")', async () => {
      // Prepare: a few tables, 4,000 enums of 8 labels and 4,000 domains with a CHECK: each part about 1.2 MB through the Data API.
      const url = await freshDatabase(target, 'catalog_type_pages');
      await withClient(url, (c) =>
        c.query(`
        CREATE TABLE small (id int PRIMARY KEY);
        DO $d$ BEGIN
          FOR t IN 1..4000 LOOP
            EXECUTE format('CREATE TYPE enum_type_number_%s AS ENUM (%s)', t,
              (SELECT string_agg(format('''a_label_of_some_length_%s''', k), ', ') FROM generate_series(1, 8) k));
            EXECUTE format('CREATE DOMAIN domain_number_%s AS text CONSTRAINT domain_number_%s_check CHECK (char_length(VALUE) BETWEEN 1 AND 200 AND VALUE ~ ''^[a-z0-9_]+$'')', t, t);
          END LOOP;
        END $d$;`),
      );
      const standin = new DataApiStandin(url);
      const session = await makeDataApiDriver(url, standin).connect();
      const failed: string[] = [];
      const unpaged: Queryable = {
        // the same calls, without the driver's limit
        query: <R>(sql: string, params?: readonly unknown[]) =>
          session.query<R>(sql, params).catch((e: unknown) => {
            failed.push(sql);
            throw e;
          }),
      };
      const inTransaction = async <T>(work: () => Promise<T>): Promise<T> => {
        await session.begin({ lockTimeoutMs: 2000, statementTimeoutMs: 60_000 });
        try {
          return await work();
        } finally {
          await session.rollback();
        }
      };

      try {
        // Act
        const expected = await withClient(url, (c) => readCatalog(c));
        const paged = await inTransaction(() => readCatalog(session));
        const whole = await inTransaction(() => readCatalog(unpaged)).catch((e: unknown) => e);

        // Assess
        expect(whole).toMatchObject({ code: '54000' });
        expect(failed[0]).toContain('pg_enum'); // the tables fit one response; the enums do not
        expect(paged.types).toHaveLength(4000);
        expect(paged.domains).toHaveLength(4000);
        expect(paged).toEqual(expected);
        // Each query ran once, through one cursor (keyed pages ran it once per page).
        const reads = (part: string) => standin.calls.filter((c) => c.sql?.includes('sg_running') && c.sql.includes(part)).map((c) => c.sql!.split(' ')[0]);
        expect(reads("t.typtype = 'e'")).toEqual(['DECLARE']);
        expect(reads("t.typtype = 'd'")).toEqual(['DECLARE']);
        expect(standin.calls.filter((c) => c.sql?.startsWith('FETCH')).length).toBeGreaterThan(4);
      } finally {
        await session.close();
        await standin.close();
      }
    }, 120_000);
  });

  describe('Function: diffCatalogs', () => {
    it('names each object that differs, exactly', async () => {
      const a = await freshDatabase(target, 'diff_a');
      const b = await freshDatabase(target, 'diff_b');
      await withClient(a, (c) => c.query(SCHEMA));
      await withClient(b, (c) =>
        c.query(`${SCHEMA}
        ALTER TABLE parent ALTER COLUMN id DROP DEFAULT;
        ALTER TABLE child ALTER COLUMN parent_id SET NOT NULL;
        ALTER TABLE child DROP CONSTRAINT child_parent_id_fkey;
        ALTER TABLE child ADD CONSTRAINT child_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES parent(id) NOT VALID;
        DROP INDEX child_active;
        CREATE INDEX child_qty ON child (qty);
        CREATE OR REPLACE FUNCTION add_one(x integer) RETURNS integer LANGUAGE sql AS $$ SELECT x + 2 $$;
        CREATE TABLE extra (id int);`),
      );

      const diffs = diffCatalogs(await withClient(a, (c) => readCatalog(c)), await withClient(b, (c) => readCatalog(c)));

      expect(formatDifferences(diffs, { a: 'expected', b: 'actual' }).split('\n')).toEqual([
        'table public.extra: only in actual',
        'column public.child.parent_id: nullable differs: expected true vs actual false',
        'column public.parent.id: default differs: expected "gen_random_uuid()" vs actual null',
        'constraint public.child.child_parent_id_fkey: definition differs: expected "FOREIGN KEY (parent_id) REFERENCES public.parent(id) ON DELETE SET NULL" vs actual "FOREIGN KEY (parent_id) REFERENCES public.parent(id) NOT VALID"',
        'constraint public.child.child_parent_id_fkey: validated differs: expected true vs actual false',
        'index public.child.child_active: only in expected',
        'index public.child.child_qty: only in actual',
        'function public.add_one(x integer): definition differs: expected ' +
          JSON.stringify(diffs.find((d) => d.kind === 'function')!.a) +
          ' vs actual ' +
          JSON.stringify(diffs.find((d) => d.kind === 'function')!.b),
      ]);
    });
  });
});
