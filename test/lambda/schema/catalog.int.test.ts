import { afterAll, describe, expect, it } from 'vitest';
import { diffCatalogs, formatDifferences, readCatalog } from '../../../lambda/schema/catalog';
import { dropDatabases, freshDatabase, targets, withClient } from '../../support/db';

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

describe.each(targets)('$name', (target) => {
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
        name: 'parent_id', type: 'uuid', nullable: true, default: null, identity: null, generated: null, comment: 'nullable on purpose',
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
      await withClient(b, (c) => c.query(SCHEMA.replace(
        /CREATE TABLE child \([\s\S]*?active boolean NOT NULL DEFAULT true\);/,
        `CREATE TABLE child (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), active boolean NOT NULL DEFAULT true);
         ALTER TABLE child ADD COLUMN qty integer NOT NULL CONSTRAINT child_qty_check CHECK (qty > 0);
         ALTER TABLE child ADD COLUMN parent_id uuid CONSTRAINT child_parent_id_fkey REFERENCES parent(id) ON DELETE SET NULL;`,
      )));

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

  describe('Function: diffCatalogs', () => {
    it('names each object that differs, exactly', async () => {
      const a = await freshDatabase(target, 'diff_a');
      const b = await freshDatabase(target, 'diff_b');
      await withClient(a, (c) => c.query(SCHEMA));
      await withClient(b, (c) => c.query(`${SCHEMA}
        ALTER TABLE parent ALTER COLUMN id DROP DEFAULT;
        ALTER TABLE child ALTER COLUMN parent_id SET NOT NULL;
        ALTER TABLE child DROP CONSTRAINT child_parent_id_fkey;
        ALTER TABLE child ADD CONSTRAINT child_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES parent(id) NOT VALID;
        DROP INDEX child_active;
        CREATE INDEX child_qty ON child (qty);
        CREATE OR REPLACE FUNCTION add_one(x integer) RETURNS integer LANGUAGE sql AS $$ SELECT x + 2 $$;
        CREATE TABLE extra (id int);`));

      const diffs = diffCatalogs(await withClient(a, (c) => readCatalog(c)), await withClient(b, (c) => readCatalog(c)));

      expect(formatDifferences(diffs, { a: 'expected', b: 'actual' }).split('\n')).toEqual([
        'table public.extra: only in actual',
        'column public.child.parent_id: nullable differs: expected true vs actual false',
        'column public.parent.id: default differs: expected "gen_random_uuid()" vs actual null',
        'constraint public.child.child_parent_id_fkey: definition differs: expected "FOREIGN KEY (parent_id) REFERENCES public.parent(id) ON DELETE SET NULL" vs actual "FOREIGN KEY (parent_id) REFERENCES public.parent(id) NOT VALID"',
        'constraint public.child.child_parent_id_fkey: validated differs: expected true vs actual false',
        'index public.child.child_active: only in expected',
        'index public.child.child_qty: only in actual',
        'function public.add_one(x integer): definition differs: expected '
          + JSON.stringify(diffs.find((d) => d.kind === 'function')!.a) + ' vs actual ' + JSON.stringify(diffs.find((d) => d.kind === 'function')!.b),
      ]);
    });
  });
});
