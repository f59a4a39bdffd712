import { describe, expect, it } from 'vitest';
import type { Catalog, TableInfo } from '../../../lambda/schema/catalog';
import { catalogDdl } from '../../../lambda/schema/catalog-ddl';
import type { CatalogShape } from '../../../lambda/schema/catalog-shape';

const shape = (extra: Partial<CatalogShape> = {}): CatalogShape => ({
  tables: new Map(),
  generated: new Map(),
  inheritedConstraints: new Set(),
  attachedIndexes: [],
  composites: [],
  rules: [],
  ...extra,
});

function table(t: Partial<TableInfo> & { name: string }): TableInfo {
  return { schema: 'public', kind: 'r', comment: null, columns: [], constraints: [], indexes: [], ...t };
}

const catalog = (tables: TableInfo[]): Catalog => ({ schemas: ['public'], extensions: [], tables, functions: [] });

describe('Function: catalogDdl', () => {
  it('makes a table with its columns in their order, identity, generated (stored or virtual), default and NOT NULL', () => {
    const t = table({
      name: 'Orders',
      columns: [
        { name: 'b', type: 'integer', nullable: false, default: '0', identity: null, generated: null, comment: null },
        { name: 'a', type: 'bigint', nullable: false, default: null, identity: 'a', generated: null, comment: null },
        { name: 'c', type: 'integer', nullable: true, default: null, identity: null, generated: '(b * 2)', comment: null },
      ],
    });
    const phases = catalogDdl(
      catalog([t]),
      shape({ tables: new Map([['public.Orders', { columns: ['a', 'b', 'c'], unlogged: true }]]), generated: new Map([['public.Orders.c', 'v']]) }),
    );
    expect(phases[3]).toEqual([
      {
        object: 'table public.Orders',
        sql: 'CREATE UNLOGGED TABLE "public"."Orders" ("a" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "b" integer DEFAULT 0 NOT NULL, "c" integer GENERATED ALWAYS AS ((b * 2)) VIRTUAL)',
      },
    ]);
  });

  it('makes a partition from its parent and bound, leaves out the constraints it has from its parent, and its foreign keys after the rest', () => {
    const parent = table({
      name: 'p',
      kind: 'p',
      constraints: [{ name: 'p_pkey', type: 'p', definition: 'PRIMARY KEY (id)', validated: true, comment: null }],
    });
    const part = table({
      name: 'p1',
      partitionOf: 'public.p',
      partitionBound: 'FOR VALUES FROM (0) TO (10)',
      constraints: [
        { name: 'p_pkey', type: 'p', definition: 'PRIMARY KEY (id)', validated: true, comment: null },
        { name: 'p1_r', type: 'f', definition: 'FOREIGN KEY (id) REFERENCES public.r(id) NOT VALID', validated: false, comment: null },
      ],
    });
    const phases = catalogDdl(
      catalog([parent, part]),
      shape({ tables: new Map([['public.p', { columns: [], partitionBy: 'RANGE (id)' }]]), inheritedConstraints: new Set(['public.p1.p_pkey']) }),
    );
    expect(phases[4]!.map((s) => s.sql)).toEqual(['CREATE TABLE "public"."p1" PARTITION OF public.p FOR VALUES FROM (0) TO (10)']);
    expect(phases[6]!.map((s) => s.sql)).toEqual(['ALTER TABLE "public"."p" ADD CONSTRAINT "p_pkey" PRIMARY KEY (id)']);
    expect(phases[7]!.map((s) => s.sql)).toEqual(['ALTER TABLE "public"."p1" ADD CONSTRAINT "p1_r" FOREIGN KEY (id) REFERENCES public.r(id) NOT VALID']);
  });

  it('gives a policy to PUBLIC (the copy server has none of the roles) and makes no aggregate (its definition is its signature)', () => {
    const t = table({
      name: 't',
      rowSecurity: 'forced',
      policies: [{ name: 'own', definition: 'CREATE POLICY own ON public.t AS PERMISSIVE FOR ALL TO app_reader, CURRENT_USER USING ((id > 0))' }],
    });
    const c = {
      ...catalog([t]),
      functions: [{ schema: 'public', name: 'agg', arguments: 'integer', result: 'integer', language: 'internal', definition: 'agg(integer)', comment: null }],
    };
    const phases = catalogDdl(c, shape());
    expect(phases[2]).toEqual([]);
    expect(phases[8]!.map((s) => s.sql)).toEqual([
      'ALTER TABLE "public"."t" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY',
      'CREATE POLICY own ON public.t AS PERMISSIVE FOR ALL TO PUBLIC USING ((id > 0))',
    ]);
  });
});
