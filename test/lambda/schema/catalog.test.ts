import { describe, expect, it } from 'vitest';
import { diffCatalogs, formatDifferences, type Catalog, type TableInfo } from '../../../lambda/schema/catalog';

const table = (name: string, over: Partial<TableInfo> = {}): TableInfo => ({
  schema: 'public',
  name,
  kind: 'r',
  comment: null,
  columns: [{ name: 'id', type: 'uuid', nullable: false, default: 'gen_random_uuid()', identity: null, generated: null, comment: null }],
  constraints: [{ name: `${name}_pkey`, type: 'p', definition: 'PRIMARY KEY (id)', validated: true, comment: null }],
  indexes: [
    {
      name: `${name}_pkey`,
      definition: `CREATE UNIQUE INDEX ${name}_pkey ON public.${name} USING btree (id)`,
      valid: true,
      constraint: `${name}_pkey`,
      comment: null,
    },
  ],
  ...over,
});

const catalog = (tables: TableInfo[], over: Partial<Catalog> = {}): Catalog => ({
  schemas: ['public'],
  extensions: [{ name: 'pgcrypto', schema: 'public', version: '1.3' }],
  tables,
  functions: [],
  ...over,
});

describe('Function: diffCatalogs', () => {
  it('returns nothing for equal catalogs', () => {
    expect(diffCatalogs(catalog([table('a')]), catalog([table('a')]))).toEqual([]);
  });

  it('lists objects only on one side and changed fields, ordered by kind then name', () => {
    const b = table('a');
    b.columns = [{ ...b.columns[0]!, default: null }];
    const diffs = diffCatalogs(
      catalog([table('a'), table('gone')]),
      catalog([b, table('new')], {
        extensions: [],
        functions: [{ schema: 'public', name: 'f', arguments: 'x integer', result: 'integer', language: 'sql', definition: '…', comment: null }],
      }),
    );
    expect(diffs).toEqual([
      { kind: 'extension', name: 'pgcrypto', change: 'only-in-a' },
      { kind: 'table', name: 'public.gone', change: 'only-in-a' },
      { kind: 'table', name: 'public.new', change: 'only-in-b' },
      { kind: 'column', name: 'public.a.id', change: 'changed', field: 'default', a: 'gen_random_uuid()', b: null },
      { kind: 'function', name: 'public.f(x integer)', change: 'only-in-b' },
    ]);
    expect(formatDifferences(diffs, { a: 'fresh', b: 'prod' }).split('\n')).toEqual([
      'extension pgcrypto: only in fresh',
      'table public.gone: only in fresh',
      'table public.new: only in prod',
      'column public.a.id: default differs: fresh "gen_random_uuid()" vs prod null',
      'function public.f(x integer): only in prod',
    ]);
  });

  // Regression (tester): diff called a view "table public.v".
  it('names a view, a materialized view and a foreign table as what they are, not a table', () => {
    const diffs = diffCatalogs(
      catalog([table('t'), table('v', { kind: 'v', comment: 'old' }), table('mv', { kind: 'm' })]),
      catalog([table('t'), table('v', { kind: 'v', comment: 'new' }), table('ft', { kind: 'f' })]),
    );
    expect(formatDifferences(diffs, { a: 'snapshot', b: 'live' }).split('\n')).toEqual([
      'foreign table public.ft: only in live',
      'materialized view public.mv: only in snapshot',
      'view public.v: comment differs: snapshot "old" vs live "new"',
    ]);
    expect(diffs.map((d) => [d.kind, d.object])).toEqual([
      ['table', 'foreign table'],
      ['table', 'materialized view'],
      ['table', 'view'],
    ]);
  });
});

describe('Function: diffCatalogs on sequences', () => {
  const options = { type: 'integer', increment: '1', min: '1', max: '2147483647', start: '1', cycle: false };
  const serial = (over: Partial<typeof options> = {}) =>
    table('orders', {
      columns: [
        {
          name: 'id',
          type: 'integer',
          nullable: false,
          default: "nextval('public.orders_id_seq'::regclass)",
          identity: null,
          generated: null,
          comment: null,
          sequence: { schema: 'public', name: 'orders_id_seq', ...options, ...over },
        },
      ],
    });
  const plain = table('orders', { columns: [{ ...serial().columns[0]!, sequence: undefined }] });

  it("compares a serial column's sequence options on its column, and a serial sequence made one of its own as an owner changed", () => {
    expect(diffCatalogs(catalog([serial()], { sequences: [] }), catalog([serial({ increment: '5' })], { sequences: [] }))).toEqual([
      { kind: 'column', name: 'public.orders.id', change: 'changed', field: 'sequence.increment', a: '1', b: '5' },
    ]);
    const standalone = { schema: 'public', name: 'orders_id_seq', ...options, ownedBy: null };
    expect(diffCatalogs(catalog([serial()], { sequences: [] }), catalog([plain], { sequences: [standalone] }))).toEqual([
      { kind: 'sequence', name: 'public.orders_id_seq', change: 'changed', field: 'ownedBy', a: 'public.orders.id', b: null },
    ]);
  });

  it('compares none when one catalog did not record sequences (a snapshot taken before): not "all dropped"', () => {
    const own = { schema: 'public', name: 'invoice_no', ...options, ownedBy: null };
    expect(diffCatalogs(catalog([plain]), catalog([serial({ increment: '5' })], { sequences: [own] }))).toEqual([]);
    expect(diffCatalogs(catalog([plain], { sequences: [own] }), catalog([plain], { sequences: [] }))).toEqual([
      { kind: 'sequence', name: 'public.invoice_no', change: 'only-in-a' },
    ]);
  });
});
