/**
 * Drift as guard findings, on catalogs built in the test: one finding per
 * object with its severity and the statement that undoes it.
 */
import { describe, expect, it } from 'vitest';
import { driftFindings } from '../../../../lambda/checks/guard/drift-findings';
import type { Catalog, TableInfo } from '../../../../lambda/schema/catalog';

function table(patch: Partial<TableInfo> = {}): TableInfo {
  return {
    schema: 'public',
    name: 'orders',
    kind: 'r',
    comment: null,
    columns: [
      { name: 'id', type: 'uuid', nullable: false, default: 'gen_random_uuid()', identity: null, generated: null, comment: null },
      { name: 'note', type: 'text', nullable: true, default: null, identity: null, generated: null, comment: 'free text' },
    ],
    constraints: [
      { name: 'orders_pkey', type: 'p', definition: 'PRIMARY KEY (id)', validated: true, comment: null },
      { name: 'orders_note_check', type: 'c', definition: "CHECK ((note <> ''::text))", validated: true, comment: null },
    ],
    indexes: [
      {
        name: 'orders_pkey',
        definition: 'CREATE UNIQUE INDEX orders_pkey ON public.orders USING btree (id)',
        valid: true,
        constraint: 'orders_pkey',
        comment: null,
      },
      { name: 'orders_note_idx', definition: 'CREATE INDEX orders_note_idx ON public.orders USING btree (note)', valid: true, constraint: null, comment: null },
    ],
    ...patch,
  };
}
const catalog = (t: TableInfo): Catalog => ({ schemas: ['public'], extensions: [], tables: [t], functions: [] });
const snapshot = catalog(table());

describe('Function: driftFindings', () => {
  it('one page finding per changed object, all its differences in one message, with the fix', () => {
    const live = table();
    live.columns[0] = { ...live.columns[0]!, default: null, type: 'character varying(36)' };
    const [f, ...rest] = driftFindings({ snapshot, live: catalog(live) });
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ kind: 'drift', rule: 'schema-drift', severity: 'page', object: 'public.orders.id' });
    expect(f!.message).toBe(
      'column public.orders.id: type differs: snapshot "uuid" vs live "character varying(36)"; default differs: snapshot "gen_random_uuid()" vs live null',
    );
    expect(f!.fix.split('\n')).toEqual([
      'ALTER TABLE orders ALTER COLUMN id TYPE uuid USING id::uuid;  -- rewrites the table under ACCESS EXCLUSIVE: on a big table use a new column backfilled in batches',
      'ALTER TABLE orders ALTER COLUMN id SET DEFAULT gen_random_uuid();',
    ]);
  });

  it('an enum label added by hand is a ticket; one missing pages, with the ADD VALUE that restores it in place', () => {
    const withEnum = (values: string[]): Catalog => ({ ...catalog(table()), detail: 1, serverMajor: 18, types: [{ schema: 'public', name: 'mood', values }] });
    const added = driftFindings({ snapshot: withEnum(['ok', 'sad']), live: withEnum(['ok', 'sad', 'meh']) });
    expect(added.map((f) => [f.rule, f.severity])).toEqual([['schema-addition', 'ticket']]);
    const missing = driftFindings({ snapshot: withEnum(['ok', 'meh', 'sad']), live: withEnum(['ok', 'sad']) });
    expect(missing.map((f) => [f.rule, f.severity, f.fix])).toEqual([['schema-drift', 'page', "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh' AFTER 'ok';"]]);
    // A label holding ", " is one label (review): not the two it would split into.
    expect(driftFindings({ snapshot: withEnum(['a, b']), live: withEnum(['a', 'b']) }).map((f) => f.message)).toEqual([
      `type public.mood: values differs: snapshot "'a, b'" vs live "'a', 'b'"`,
    ]);
  });

  // Review: CDC tools (AWS DMS, Debezium) set REPLICA IDENTITY FULL on the tables they read; NOTHING refuses UPDATE and DELETE on a published table.
  it('a replica identity set to FULL by hand is a ticket; NOTHING or another index pages', () => {
    const withIdentity = (replicaIdentity: string): Catalog => ({ ...catalog(table({ replicaIdentity })), detail: 1, serverMajor: 18 });
    const full = driftFindings({ snapshot: withIdentity('default'), live: withIdentity('full') });
    expect(full.map((f) => [f.rule, f.severity, f.fix])).toEqual([
      ['schema-addition', 'ticket', 'ALTER TABLE orders REPLICA IDENTITY DEFAULT;  -- ACCESS EXCLUSIVE on the table, brief (no rewrite)'],
    ]);
    expect(driftFindings({ snapshot: withIdentity('default'), live: withIdentity('nothing') }).map((f) => [f.rule, f.severity])).toEqual([
      ['schema-drift', 'page'],
    ]);
    expect(driftFindings({ snapshot: withIdentity('default'), live: withIdentity('index orders_note_idx') }).map((f) => [f.rule, f.severity])).toEqual([
      ['schema-drift', 'page'],
    ]);
  });

  it('an object added by hand and a changed comment are tickets', () => {
    const live = table({
      columns: [
        ...table().columns.map((c) => (c.name === 'note' ? { ...c, comment: 'edited' } : c)),
        { name: 'extra', type: 'int', nullable: true, default: null, identity: null, generated: null, comment: null },
      ],
    });
    expect(driftFindings({ snapshot, live: catalog(live) }).map((f) => `${f.severity} ${f.rule} ${f.object}: ${f.fix}`)).toEqual([
      'ticket schema-addition public.orders.extra: SELECT count(extra) AS extra_values, count(*) AS rows FROM orders;  -- what extra holds: dropping it destroys these values\nput it in a migration (then schemaguard snapshot), or, once its values are kept elsewhere, drop it: ALTER TABLE orders DROP COLUMN extra;',
      "ticket comment-drift public.orders.note: COMMENT ON COLUMN orders.note IS 'free text';",
    ]);
  });

  it('a missing index or CHECK is rebuilt online; INVALID and NOT VALID alone are left to their own findings', () => {
    const live = table({
      constraints: [table().constraints[0]!, { ...table().constraints[1]!, definition: "CHECK ((note <> ''::text)) NOT VALID", validated: false }],
      indexes: [table().indexes[0]!],
    });
    expect(driftFindings({ snapshot, live: catalog(live) }).map((f) => f.fix)).toEqual([
      'CREATE INDEX CONCURRENTLY orders_note_idx ON public.orders USING btree (note);',
    ]);
    const dropped = table({ constraints: [table().constraints[0]!], indexes: table().indexes.map((i) => ({ ...i, valid: i.name !== 'orders_note_idx' })) });
    expect(driftFindings({ snapshot, live: catalog(dropped) }).map((f) => f.fix)).toEqual([
      "ALTER TABLE orders ADD CONSTRAINT orders_note_check CHECK ((note <> ''::text)) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_note_check;",
    ]);
  });

  it('while the migrations are not settled, drift is a ticket and says why', () => {
    const live = table({ columns: table().columns.map((c) => ({ ...c, nullable: true })) });
    const [f] = driftFindings({ snapshot, live: catalog(live), unsettled: "the database is not at the snapshot's migrations: 1 migration pending" });
    expect(f).toMatchObject({
      severity: 'ticket',
      rule: 'schema-drift',
      fix: 'ALTER TABLE orders ALTER COLUMN id SET NOT NULL;  -- scans the table under ACCESS EXCLUSIVE: on a big table add CHECK (id IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL',
    });
    expect(f!.message).toBe(
      "column public.orders.id: nullable differs: snapshot false vs live true (ticket, not page: the database is not at the snapshot's migrations: 1 migration pending)",
    );
  });
});
