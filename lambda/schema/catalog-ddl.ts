/**
 * The statements that make a schema like the one a catalog dump describes
 * (`catalog.ts`, with `catalog-shape.ts` for what the dump leaves out), in
 * phases whose order satisfies most dependencies: schemas and extensions;
 * types and sequences; functions; tables and partitions; views; CHECKs of
 * domains, constraints and indexes; foreign keys; triggers, rules, row
 * security, policies, replica identity and sequence owners. What one order cannot
 * satisfy (a view on a view, a function returning a table's row type) is
 * left to the caller to try again once the rest is made (`copySchema`).
 *
 * Made for a copy with the production shape and no rows (`plan --trace`):
 * no owner, grant or comment (a policy is for PUBLIC: the copy's server has
 * none of the roles), no tablespace (it has none of them either), no
 * statistics object. Pure: it reads nothing.
 */
import { qualifiedIdent, quoteIdent } from '../engine/state/identifiers';
import { labelList, type Catalog, type ColumnInfo, type TableInfo } from './catalog';
import type { CatalogShape, TableShape } from './catalog-shape';
import type { SequenceOptions } from './catalog-sequences';
import { present } from '../engine/errors/present';

export interface DdlStatement {
  /** What it makes, for a reader: `table public.orders`. */
  object: string;
  sql: string;
}

/** The statements, phase by phase. */
export function catalogDdl(catalog: Catalog, shape: CatalogShape): DdlStatement[][] {
  return [
    namespaces(catalog),
    types(catalog, shape),
    functions(catalog),
    relations(catalog, shape, false),
    relations(catalog, shape, true),
    views(catalog),
    [...domainChecks(catalog), ...constraints(catalog, shape, false), ...indexes(catalog, shape)],
    constraints(catalog, shape, true),
    [
      ...triggers(catalog),
      ...shape.rules.map((r) => ({ object: `rule ${r.name} on ${r.table}`, sql: r.definition })),
      ...tableSettings(catalog),
      ...sequenceOwners(catalog),
    ],
  ];
}

const name = (schema: string, n: string) => qualifiedIdent(schema, n);

function namespaces(c: Catalog): DdlStatement[] {
  const schemas = [...new Set([...c.schemas, ...c.extensions.map((e) => e.schema)])].filter((s) => s !== 'public');
  return [
    ...schemas.map((s) => ({ object: `schema ${s}`, sql: `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(s)}` })),
    ...c.extensions.map((e) => ({
      object: `extension ${e.name}`,
      sql: `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(e.name)} WITH SCHEMA ${quoteIdent(e.schema)}`,
    })),
  ];
}

function sequenceOptions(s: SequenceOptions, withType: boolean): string {
  return [
    ...(withType ? [`AS ${s.type}`] : []),
    `INCREMENT BY ${s.increment}`,
    `MINVALUE ${s.min}`,
    `MAXVALUE ${s.max}`,
    `START WITH ${s.start}`,
    s.cycle ? 'CYCLE' : 'NO CYCLE',
  ].join(' ');
}

function types(c: Catalog, shape: CatalogShape): DdlStatement[] {
  const serial = c.tables.flatMap((t) => t.columns.filter((col) => col.sequence && col.identity === null).map((col) => present(col.sequence)));
  return [
    ...(c.types ?? []).map((e) => ({ object: `type ${e.schema}.${e.name}`, sql: `CREATE TYPE ${name(e.schema, e.name)} AS ENUM (${labelList(e.values)})` })),
    ...shape.composites.map((t) => ({ object: `type ${t.schema}.${t.name}`, sql: `CREATE TYPE ${name(t.schema, t.name)} AS (${t.attributes.join(', ')})` })),
    ...(c.domains ?? []).map((d) => ({
      object: `domain ${d.schema}.${d.name}`,
      sql: `CREATE DOMAIN ${name(d.schema, d.name)} AS ${d.baseType}${d.default !== null ? ` DEFAULT ${d.default}` : ''}${d.notNull ? ' NOT NULL' : ''}`,
    })),
    ...[...(c.sequences ?? []), ...serial].map((s) => ({
      object: `sequence ${s.schema}.${s.name}`,
      sql: `CREATE SEQUENCE ${name(s.schema, s.name)} ${sequenceOptions(s, true)}`,
    })),
  ];
}

/** An aggregate's definition is its signature alone: it is not made. */
function functions(c: Catalog): DdlStatement[] {
  return c.functions
    .filter((f) => /^CREATE\b/i.test(f.definition))
    .map((f) => ({ object: `function ${f.schema}.${f.name}(${f.arguments})`, sql: f.definition }));
}

function columnSql(t: TableInfo, col: ColumnInfo, shape: CatalogShape): string {
  const parts = [quoteIdent(col.name), col.type];
  if (col.collation) parts.push(`COLLATE ${col.collation}`);
  if (col.generated !== null)
    parts.push(`GENERATED ALWAYS AS (${col.generated})${shape.generated.get(`${t.schema}.${t.name}.${col.name}`) === 'v' ? ' VIRTUAL' : ' STORED'}`);
  if (col.identity !== null) {
    const s = col.sequence;
    const options = s ? ` (SEQUENCE NAME ${name(s.schema, s.name)} ${sequenceOptions(s, false)})` : '';
    parts.push(`GENERATED ${col.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY${options}`);
  }
  if (col.default !== null) parts.push(`DEFAULT ${col.default}`);
  if (!col.nullable) parts.push('NOT NULL');
  return parts.join(' ');
}

/** Tables and partitioned tables (`partitions` false), or the partitions (true), each with its columns in their order. */
function relations(c: Catalog, shape: CatalogShape, partitions: boolean): DdlStatement[] {
  return c.tables
    .filter((t) => (t.kind === 'r' || t.kind === 'p') && (t.partitionOf !== undefined) === partitions)
    .map((t) => {
      const s = shape.tables.get(`${t.schema}.${t.name}`) ?? { columns: [] };
      return { object: `table ${t.schema}.${t.name}`, sql: partitions ? partitionSql(t, s) : tableSql(t, s, shape) };
    });
}

function tableSql(t: TableInfo, s: TableShape, shape: CatalogShape): string {
  const order = new Map(s.columns.map((col, k) => [col, k]));
  const columns = [...t.columns].sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0)).map((col) => columnSql(t, col, shape));
  return `CREATE ${s.unlogged ? 'UNLOGGED ' : ''}TABLE ${name(t.schema, t.name)} (${columns.join(', ')})${tableTail(s)}`;
}

function partitionSql(t: TableInfo, s: TableShape): string {
  return `CREATE ${s.unlogged ? 'UNLOGGED ' : ''}TABLE ${name(t.schema, t.name)} PARTITION OF ${t.partitionOf} ${t.partitionBound}${tableTail(s)}`;
}

function tableTail(s: TableShape): string {
  return [
    s.inherits ? ` INHERITS (${s.inherits.join(', ')})` : '',
    s.partitionBy ? ` PARTITION BY ${s.partitionBy}` : '',
    s.accessMethod ? ` USING ${quoteIdent(s.accessMethod)}` : '',
    s.options ? ` WITH (${s.options.join(', ')})` : '',
  ].join('');
}

function views(c: Catalog): DdlStatement[] {
  return c.tables
    .filter((t) => (t.kind === 'v' || t.kind === 'm') && t.definition !== undefined)
    .map((t) => ({
      object: `${t.kind === 'v' ? 'view' : 'materialized view'} ${t.schema}.${t.name}`,
      sql: `CREATE ${t.kind === 'v' ? 'VIEW' : 'MATERIALIZED VIEW'} ${name(t.schema, t.name)} AS ${present(t.definition).replace(/;\s*$/, '')}`,
    }));
}

function domainChecks(c: Catalog): DdlStatement[] {
  return (c.domains ?? []).flatMap((d) =>
    d.checks.map((k) => ({
      object: `domain ${d.schema}.${d.name} constraint ${k.name}`,
      sql: `ALTER DOMAIN ${name(d.schema, d.name)} ADD CONSTRAINT ${quoteIdent(k.name)} ${k.definition}`,
    })),
  );
}

/** A table's own constraints (a partition's copies of its parent's come with it): foreign keys (`foreign`) or the rest. */
function constraints(c: Catalog, shape: CatalogShape, foreign: boolean): DdlStatement[] {
  return c.tables.flatMap((t) =>
    t.constraints
      .filter((k) => (k.type === 'f') === foreign && !shape.inheritedConstraints.has(`${t.schema}.${t.name}.${k.name}`))
      .map((k) => ({
        object: `constraint ${k.name} on ${t.schema}.${t.name}`,
        sql: `ALTER TABLE ${name(t.schema, t.name)} ADD CONSTRAINT ${quoteIdent(k.name)} ${k.definition}`,
      })),
  );
}

/** Indexes no constraint makes, a partition's before its parent's (which then takes it, by its name), and each partition's attached to its parent's. */
function indexes(c: Catalog, shape: CatalogShape): DdlStatement[] {
  const ordered = [...c.tables].sort((a, b) => Number(a.partitionOf === undefined) - Number(b.partitionOf === undefined));
  return [
    ...ordered.flatMap((t) => t.indexes.filter((i) => i.constraint === null).map((i) => ({ object: `index ${t.schema}.${i.name}`, sql: i.definition }))),
    ...shape.attachedIndexes.map(([parent, child]) => ({ object: `index ${child}`, sql: `ALTER INDEX ${parent} ATTACH PARTITION ${child}` })),
  ];
}

function triggers(c: Catalog): DdlStatement[] {
  const enable: Record<string, string> = { D: 'DISABLE', R: 'ENABLE REPLICA', A: 'ENABLE ALWAYS' };
  return c.tables.flatMap((t) =>
    (t.triggers ?? []).flatMap((g) => [
      { object: `trigger ${g.name} on ${t.schema}.${t.name}`, sql: g.definition },
      ...(enable[g.enabled]
        ? [
            {
              object: `trigger ${g.name} on ${t.schema}.${t.name}`,
              sql: `ALTER TABLE ${name(t.schema, t.name)} ${enable[g.enabled]} TRIGGER ${quoteIdent(g.name)}`,
            },
          ]
        : []),
    ]),
  );
}

/** Row security, policies (for PUBLIC), replica identity. */
function tableSettings(c: Catalog): DdlStatement[] {
  return c.tables.flatMap((t) => {
    const table = name(t.schema, t.name);
    const object = `table ${t.schema}.${t.name}`;
    const security =
      t.rowSecurity === 'on' || t.rowSecurity === 'forced'
        ? [{ object, sql: `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY${t.rowSecurity === 'forced' ? `, FORCE ROW LEVEL SECURITY` : ''}` }]
        : [];
    const policies = (t.policies ?? []).map((p) => ({
      object: `policy ${p.name} on ${t.schema}.${t.name}`,
      sql: p.definition.replace(/ TO .*?(?= USING \(| WITH CHECK \(|$)/, ' TO PUBLIC'),
    }));
    const identity = t.replicaIdentity ? [{ object, sql: `ALTER TABLE ${table} REPLICA IDENTITY ${replicaIdentity(t.replicaIdentity)}` }] : [];
    return [...security, ...policies, ...identity];
  });
}

function replicaIdentity(identity: string): string {
  return identity.startsWith('index ') ? `USING INDEX ${identity.slice('index '.length)}` : identity.toUpperCase();
}

function sequenceOwners(c: Catalog): DdlStatement[] {
  const owned = [
    ...(c.sequences ?? []).filter((s) => s.ownedBy !== null).map((s) => ({ s, by: present(s.ownedBy) })),
    ...c.tables.flatMap((t) =>
      t.columns.filter((col) => col.sequence && col.identity === null).map((col) => ({ s: present(col.sequence), by: `${t.schema}.${t.name}.${col.name}` })),
    ),
  ];
  return owned.map(({ s, by }) => {
    const [schema, table, ...column] = by.split('.');
    return {
      object: `sequence ${s.schema}.${s.name}`,
      sql: `ALTER SEQUENCE ${name(s.schema, s.name)} OWNED BY ${name(schema, table)}.${quoteIdent(column.join('.'))}`,
    };
  });
}
