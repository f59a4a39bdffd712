/**
 * index-not-concurrent: an index built on an existing table while writes
 * wait — CREATE INDEX without CONCURRENTLY, and the index behind ADD
 * CONSTRAINT … UNIQUE / PRIMARY KEY / EXCLUDE or ADD COLUMN … UNIQUE /
 * PRIMARY KEY (built under ACCESS EXCLUSIVE: reads wait too), and REINDEX
 * without CONCURRENTLY of an existing table or index (SHARE on the table,
 * ACCESS EXCLUSIVE on each index it rebuilds: as plan's `reindex` form, seen
 * on PostgreSQL 18 and 15 through pg_locks).
 */
import { sqlComment } from '../../../engine/sql/sql-quote';
import { as, list, names, optionOn, rangeVar, type Node, type ParsedStatement, type RangeVar } from '../../parser/parse';
import { columnParts } from '../column';
import { defaultIndexName } from '../index-name';
import { columnWithout, notNullSteps, uniqueKeySteps, type KeyStepOptions } from '../fix-steps';
import { inPlace, later, ownNoTransaction, renderFix, type FixFile, type FixPlace } from '../fix';
import { splitKey, type AlterTarget, type TableModel } from '../model';
import { notNullProven } from '../model-tables';
import type { LintRule, RuleContext } from '../rule';
import { constraintNames, isPartitioned } from '../catalog';
import { clauseAt, commandsRemoved, edited, ident, insertInto, objectName, onlyIn, replaceIn, sliceOf, tableName, tokenAfter, type Edit } from '../sql-text';
import { present } from '../../../engine/errors/present';

export const INDEX_NOT_CONCURRENT: LintRule = {
  id: 'index-not-concurrent',
  severity: 'error',
  title:
    'index built or rebuilt without CONCURRENTLY on an existing table (CREATE INDEX, ADD CONSTRAINT … UNIQUE/PRIMARY KEY, ADD COLUMN … UNIQUE/PRIMARY KEY, REINDEX)',
  why: 'the build holds a lock that blocks every INSERT, UPDATE and DELETE on the table (ACCESS EXCLUSIVE for a constraint: reads too) until it ends',
  fix: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS in a no-transaction migration; for a constraint, then ADD CONSTRAINT … USING INDEX',
  squawk: ['require-concurrent-index-creation', 'disallowed-unique-constraint', 'adding-serial-primary-key-field'],
  examples: {
    existing: 'CREATE TABLE leads (id bigint PRIMARY KEY, name text, email text);',
    triggers: 'CREATE INDEX leads_name ON leads (name);',
    passes: '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS leads_name ON leads (name);',
  },
  statement(ctx, s) {
    if (s.kind === 'IndexStmt') createIndex(ctx, s);
    if (s.kind === 'ReindexStmt') reindex(ctx, s);
  },
  alterCommand(ctx, s, t, cmd) {
    if (!t.existing) return;
    if (cmd.subtype === 'AT_AddConstraint') addConstraint(ctx, s, t, as(cmd.def, 'Constraint'));
    if (cmd.subtype === 'AT_AddColumn') addColumn(ctx, s, t, as(cmd.def, 'ColumnDef'), cmd.missing_ok === true);
  },
};

/**
 * REINDEX TABLE or INDEX without CONCURRENTLY, of a table (or an index's
 * table) that no pending migration created; and REINDEX SCHEMA or DATABASE
 * without it, unless a pending migration created the schema and everything
 * in it. SYSTEM has no
 * CONCURRENTLY form (PostgreSQL refuses it for the catalogs) and is left to
 * plan.
 */
function reindex(ctx: RuleContext, s: ParsedStatement): void {
  const kind = String(s.node.kind);
  if (optionOn(s.node.params, 'concurrently')) return;
  if (kind === 'REINDEX_OBJECT_SCHEMA' || kind === 'REINDEX_OBJECT_DATABASE') {
    reindexMany(ctx, s, kind === 'REINDEX_OBJECT_SCHEMA' ? 'schema' : 'database');
    return;
  }
  const rel = rangeVar(s.node.relation);
  if (!rel || (kind !== 'REINDEX_OBJECT_TABLE' && kind !== 'REINDEX_OBJECT_INDEX')) return;
  const table = kind === 'REINDEX_OBJECT_TABLE' ? ctx.model.table(rel) : ctx.model.indexTable(rel);
  if (table?.isNew) return;
  const what = kind === 'REINDEX_OBJECT_TABLE' ? `table ${tableName(rel)}` : `index ${tableName(rel)}`;
  const keyword = present(tokenAfter(s, s.byteOffset, kind === 'REINDEX_OBJECT_TABLE' ? 'table' : 'index'));
  ctx.report(INDEX_NOT_CONCURRENT, s, {
    message: `REINDEX ${what} without CONCURRENTLY`,
    why: `a plain REINDEX holds a SHARE lock on the table (every INSERT, UPDATE and DELETE waits) and an ACCESS EXCLUSIVE lock on each index it rebuilds (queries that would plan with it wait too) until it ends`,
    fix: renderFix([
      ownNoTransaction(
        `${insertInto(s, keyword.end, 'CONCURRENTLY')};`,
        '-- REINDEX CONCURRENTLY builds each index anew beside the old one and swaps them; it cannot run inside a transaction block',
      ),
    ]),
    at: rel.location,
  });
}

/** REINDEX SCHEMA / DATABASE: every table of it in turn, each with the locks of a REINDEX TABLE. */
function reindexMany(ctx: RuleContext, s: ParsedStatement, keyword: 'schema' | 'database'): void {
  const name = typeof s.node.name === 'string' ? s.node.name : undefined;
  // Without a name, a syntax error before PostgreSQL 16: server-version-syntax says so, and CONCURRENTLY would not mend it.
  if (!name && ctx.serverMajor !== undefined && ctx.serverMajor < 16) return;
  // A schema a pending migration made holds only new tables; one it renamed (or moved tables into) holds existing ones.
  if (keyword === 'schema' && name && ctx.model.isSchemaNew(name) && ctx.model.relationsIn(name).every((t) => t.isNew)) return;
  ctx.report(INDEX_NOT_CONCURRENT, s, {
    message: `REINDEX ${keyword}${name ? ` ${ident(name)}` : ''} without CONCURRENTLY`,
    why: `a plain REINDEX ${keyword.toUpperCase()} rebuilds every table's indexes in turn, each table under a SHARE lock (its INSERT, UPDATE and DELETE wait) and each index under ACCESS EXCLUSIVE (queries that would plan with it wait too) while it is rebuilt`,
    fix: renderFix([
      ownNoTransaction(
        `${insertInto(s, present(tokenAfter(s, s.byteOffset, keyword)).end, 'CONCURRENTLY')};`,
        '-- REINDEX CONCURRENTLY builds each index anew beside the old one and swaps them; like this statement, it cannot run inside a transaction block',
      ),
    ]),
  });
}

/** PostgreSQL's name for an unnamed index (`defaultIndexName`). */
function indexName(s: ParsedStatement, table: string): string {
  return defaultIndexName(table, s.node.indexParams, s.node.indexIncludingParams);
}

/** The statement as written, with CONCURRENTLY (and IF NOT EXISTS and a name, which it needs) after INDEX. */
function concurrentText(s: ParsedStatement, table: string): string {
  const index = present(tokenAfter(s, s.byteOffset, 'index'));
  const name = typeof s.node.idxname === 'string' ? '' : ` ${ident(indexName(s, table))}`;
  return `${insertInto(s, index.end, `CONCURRENTLY${s.node.if_not_exists ? '' : ' IF NOT EXISTS'}${name}`)};`;
}

function createIndex(ctx: RuleContext, s: ParsedStatement): void {
  const rel = rangeVar(s.node.relation);
  if (rel && s.node.concurrent) concurrentOnPartitioned(ctx, s, rel);
  if (!rel || s.node.concurrent || !ctx.model.isExisting(rel)) return;
  const idx = typeof s.node.idxname === 'string' ? s.node.idxname : undefined;
  if (idx && s.node.if_not_exists && ctx.model.hasIndex(rel.schema, idx)) return;
  const partitioned = partitionedTable(ctx, rel);
  if (partitioned) {
    // ON ONLY a partitioned table builds nothing: the parent's index alone, attached partition by partition.
    if ((s.node.relation as Node).inh === true) partitionedIndex(ctx, s, rel, partitioned);
    return;
  }
  const unique = s.node.unique ? 'UNIQUE ' : '';
  ctx.report(INDEX_NOT_CONCURRENT, s, {
    message: `CREATE ${unique}INDEX ${idx === undefined ? '' : ident(idx)} on existing table ${tableName(rel)} without CONCURRENTLY`.replace('  ', ' '),
    why: `a plain CREATE INDEX holds a SHARE lock on ${tableName(rel)} for the whole build: every INSERT, UPDATE and DELETE waits until it ends`,
    fix: renderFix([
      ownNoTransaction(concurrentText(s, rel.name), '-- if the build fails, schemaguard drops the INVALID index it left, so the file can run again'),
    ]),
    at: rel.location,
  });
}

/** The partitioned table `rel` names, as the migrations or the database (`lint --database-url`) have it; undefined for any other. */
export function partitionedTable(ctx: RuleContext, rel: RangeVar): Partitioned | undefined {
  const table = ctx.model.table(rel);
  return table?.partitioned ? { schema: table.schema, partitions: ctx.model.partitionsOf(table) } : partitionedInDatabase(ctx, rel, table);
}

/**
 * CREATE INDEX CONCURRENTLY on a partitioned table, which PostgreSQL always
 * refuses (0A000, seen on 18 and 15), ON ONLY too: an error, whether the
 * table is new or not. The fix: ON ONLY without CONCURRENTLY (it builds
 * nothing); on a table the pending set created, the statement without
 * CONCURRENTLY (nothing to block yet); else the parent's index ON ONLY, each
 * partition's built CONCURRENTLY and attached.
 */
function concurrentOnPartitioned(ctx: RuleContext, s: ParsedStatement, rel: RangeVar): void {
  const partitioned = partitionedTable(ctx, rel);
  if (!partitioned) return;
  const only = (s.node.relation as Node).inh !== true;
  const isNew = ctx.model.table(rel)?.isNew === true;
  if (!only && !isNew) return partitionedIndex(ctx, s, rel, partitioned, true);
  const index = present(tokenAfter(s, s.byteOffset, 'index'));
  const concurrently = present(tokenAfter(s, index.end, 'concurrently'));
  ctx.report(INDEX_NOT_CONCURRENT, s, {
    ...refusedConcurrently(s, rel),
    severity: 'error',
    fix: renderFix([
      inPlace(
        `${replaceIn(s, index.end, concurrently.end, '')};`,
        only
          ? "-- ON ONLY builds no index: the parent's alone, invalid until each partition's is attached"
          : sqlComment(`${tableName(rel)} is created by the pending migrations: nothing waits for the build yet`),
      ),
    ]),
  });
}

/** The message and why of CREATE INDEX CONCURRENTLY on a partitioned table. */
function refusedConcurrently(s: ParsedStatement, rel: RangeVar): { message: string; why: string } {
  const idx = typeof s.node.idxname === 'string' ? ` ${ident(s.node.idxname)}` : '';
  return {
    message: `CREATE ${s.node.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY${idx} on partitioned table ${tableName(rel)}: PostgreSQL refuses it (0A000), and the migration fails`,
    why: `PostgreSQL refuses CONCURRENTLY on a partitioned table (0A000: cannot create index on partitioned table ${JSON.stringify(rel.name)} concurrently), ON ONLY too: the migration fails at deploy time`,
  };
}

/**
 * A table of the database that the catalog (`lint --database-url`) says is
 * partitioned, under the name it had before the run, with the partitions it
 * has there and those a pending migration added.
 */
function partitionedInDatabase(ctx: RuleContext, rel: RangeVar, table: TableModel | undefined): Partitioned | undefined {
  if (table?.isNew || !ctx.catalog?.partitionedTables?.length) return undefined;
  const [schema, name] = splitKey(ctx.model.keyOf(rel));
  const db = table?.databaseName ?? { schema, name };
  const found = ctx.catalog.partitionedTables.find((p) => p.schema === db.schema && p.name === db.name);
  if (!found) return undefined;
  const added = table ? ctx.model.partitionsOf(table) : [];
  return { schema, partitions: [...found.partitions, ...added.filter((a) => !found.partitions.some((p) => p.schema === a.schema && p.name === a.name))] };
}

interface PartitionRef {
  schema: string;
  name: string;
}

interface Partitioned {
  /** The partitioned table's schema. */
  schema: string;
  partitions: readonly PartitionRef[];
}

/** The partitions of a partition that is partitioned itself (by a migration, or in the database); undefined for a leaf. */
function subPartitions(ctx: RuleContext, p: PartitionRef): readonly PartitionRef[] | undefined {
  const rel = { schema: p.schema, name: p.name };
  const table = ctx.model.table(rel);
  if (table?.partitioned) return ctx.model.partitionsOf(table);
  return partitionedInDatabase(ctx, rel, table)?.partitions;
}

/**
 * CREATE INDEX on a partitioned table: PostgreSQL refuses CONCURRENTLY there,
 * so the fix builds the parent's index alone (ON ONLY: invalid, reads no
 * rows), each partition's CONCURRENTLY, and attaches each; the parent's index
 * turns valid with the last attach, and later partitions get their own.
 */
function partitionedIndex(ctx: RuleContext, s: ParsedStatement, rel: RangeVar, table: Partitioned, concurrent = false): void {
  const idx = typeof s.node.idxname === 'string' ? s.node.idxname : indexName(s, rel.name);
  const create = `CREATE ${s.node.unique ? 'UNIQUE ' : ''}INDEX`;
  const body = indexBody(s, rel);
  const schemaOf = (schema: string) => (rel.schema || schema !== table.schema ? `${ident(schema)}.` : '');
  // Each partition's index, attached to its parent's; a partition partitioned itself gets an index ON ONLY it, its own partitions' attached to that.
  const linesFor = (parentIndex: string, partitions: readonly PartitionRef[], depth: number): string[] =>
    partitions.flatMap((p) => {
      const index = ident(indexName(s, p.name));
      const [on, attached] = [`${schemaOf(p.schema)}${ident(p.name)}`, `${schemaOf(p.schema)}${index}`];
      const subs = depth < 8 ? subPartitions(ctx, p) : undefined;
      const attach = `ALTER INDEX ${parentIndex} ATTACH PARTITION ${attached};`;
      if (subs)
        return [
          `${create} IF NOT EXISTS ${index} ON ONLY ${on} ${body};  ${sqlComment(`${on} is partitioned too`)}`,
          ...linesFor(attached, subs, depth + 1),
          attach,
        ];
      return [`${create} CONCURRENTLY IF NOT EXISTS ${index} ON ${on} ${body};`, attach];
    });
  const top = `${schemaOf(table.schema)}${ident(idx)}`;
  const lines = table.partitions.length
    ? linesFor(top, table.partitions, 0)
    : [
        '-- for each partition (the migrations lint read create none), with its own index name:',
        ...[`${create} CONCURRENTLY IF NOT EXISTS <partition_idx> ON <partition> ${body};`, `ALTER INDEX ${top} ATTACH PARTITION <partition_idx>;`].map((l) =>
          sqlComment(`  ${l}`),
        ),
      ];
  ctx.report(INDEX_NOT_CONCURRENT, s, {
    ...(concurrent
      ? refusedConcurrently(s, rel)
      : {
          message: `${create} ${ident(idx)} on partitioned table ${tableName(rel)} builds every partition's index while blocking writes`,
          why: `CREATE INDEX on partitioned ${tableName(rel)} builds each partition's index under a SHARE lock that blocks its writes, and PostgreSQL refuses CONCURRENTLY on a partitioned table`,
        }),
    fix: renderFix([
      ownNoTransaction(
        `${create} IF NOT EXISTS ${ident(idx)} ON ONLY ${tableName(rel)} ${body};  -- the parent's index alone: invalid until every partition's is attached`,
        ...lines,
        '-- partitions created later get their own index; if a build fails, schemaguard drops the INVALID index it left, so the file can run again',
      ),
    ]),
    at: rel.location,
  });
}

/** The statement's text after its table: `USING …`, the columns, `INCLUDE`, `WHERE`. */
function indexBody(s: ParsedStatement, rel: RangeVar): string {
  const after = rel.location ?? s.byteOffset;
  const open = present(tokenAfter(s, after, '('));
  const using = tokenAfter(s, after, 'using');
  const from = using && using.start < open.start ? using.start : open.start;
  return sliceOf(s, from, s.byteOffset + Buffer.byteLength(s.text))
    .replace(/;$/, '')
    .trim();
}

const KINDS: Record<string, 'UNIQUE' | 'PRIMARY KEY' | 'EXCLUDE'> = { CONSTR_UNIQUE: 'UNIQUE', CONSTR_PRIMARY: 'PRIMARY KEY', CONSTR_EXCLUSION: 'EXCLUDE' };

/** Key columns not known to be NOT NULL (nor proved so by a validated CHECK): a primary key would set NOT NULL on them, scanning the table. */
function nullable(t: AlterTarget, columns: string[]): string[] {
  return columns.filter((c) => !notNullProven(t.table, c));
}

function addConstraint(ctx: RuleContext, s: ParsedStatement, t: AlterTarget, con: Node | undefined): void {
  const kind = con ? KINDS[String(con.contype)] : undefined;
  if (!con || !kind || con.indexname || onlyOnPartitioned(ctx, s, t)) return;
  ctx.report(INDEX_NOT_CONCURRENT, s, {
    message: `ADD CONSTRAINT … ${kind} on existing table ${tableName(t.rel)} builds its index while blocking writes`,
    why: 'the index behind the constraint is built under an ACCESS EXCLUSIVE lock: every read and write of the table waits until the build ends',
    fix:
      kind === 'EXCLUDE'
        ? renderFix([inPlace('-- an exclusion constraint cannot adopt an index built beforehand: add it in a maintenance window, or while the table is empty')])
        : statementFix(ctx, s, t),
    at: con.location as number | undefined,
  });
}

/** ADD COLUMN … UNIQUE / PRIMARY KEY: the column is added, then its index is built under the ALTER's ACCESS EXCLUSIVE lock. */
function addColumn(ctx: RuleContext, s: ParsedStatement, t: AlterTarget, col: Node | undefined, ifNotExists: boolean): void {
  const kind = columnKey(t, col, ifNotExists);
  if (!col || !kind || onlyOnPartitioned(ctx, s, t)) return;
  const name = String(col.colname);
  ctx.report(INDEX_NOT_CONCURRENT, s, {
    message: `ADD COLUMN ${ident(name)} … ${kind} on existing table ${tableName(t.rel)} builds its index while blocking reads and writes`,
    why: `the ${kind} index is built in the same statement, under the ACCESS EXCLUSIVE lock ADD COLUMN takes: every read and write of ${tableName(t.rel)} waits until the build ends`,
    fix: statementFix(ctx, s, t),
    at: col.location as number | undefined,
  });
}

/** The key a new column declares (UNIQUE or PRIMARY KEY), unless IF NOT EXISTS skips a column the table has. */
function columnKey(t: AlterTarget, col: Node | undefined, ifNotExists: boolean): 'UNIQUE' | 'PRIMARY KEY' | undefined {
  if (!col || (ifNotExists && t.table.columns.has(String(col.colname)))) return undefined;
  const p = columnParts(col);
  return p.primaryKey ? 'PRIMARY KEY' : p.unique ? 'UNIQUE' : undefined;
}

/** What one command of the statement changes in the fix: its text, or the command taken out (`removes`, a location in it), and its key's steps after the statement. */
interface KeyPart {
  edit?: Edit;
  removes?: number;
  steps: FixFile[];
  fill?: string;
}

/** An ADD CONSTRAINT … UNIQUE / PRIMARY KEY taken out of the statement, or a new column without its key: the key built CONCURRENTLY after. */
function keyPart(ctx: RuleContext, s: ParsedStatement, t: AlterTarget, cmd: Node | undefined, o: KeyOptions): KeyPart | undefined {
  const con = cmd?.subtype === 'AT_AddConstraint' ? as(cmd.def, 'Constraint') : undefined;
  const kind = con && !con.indexname ? KINDS[String(con.contype)] : undefined;
  const keySteps: typeof uniqueKeySteps = o.partitioned ? (...a) => partitionedKeySteps(ctx, ...a) : uniqueKeySteps;
  if (con && kind && kind !== 'EXCLUDE') {
    const cols = names(con.keys);
    return { removes: con.location as number, steps: keySteps(t.rel, kind, cols, nullable(t, cols), 'own', con, o) };
  }
  const col = cmd?.subtype === 'AT_AddColumn' ? as(cmd.def, 'ColumnDef') : undefined;
  const key = columnKey(t, col, cmd?.missing_ok === true);
  if (!col || !key) return undefined;
  const [name, at] = [String(col.colname), col.location as number];
  const keys = columnKeyConstraints(col);
  return {
    edit: { at, end: at + Buffer.byteLength(clauseAt(s, at)), text: columnWithout(s, col, (c) => keys.includes(c)) },
    steps: keySteps(t.rel, key, [name], key === 'PRIMARY KEY' ? [name] : [], 'later', writtenKey(keys, key), o),
    fill: key === 'PRIMARY KEY' ? '-- fill the new column for every row (backfill in batches) before the key' : undefined,
  };
}

const isAttribute = (c: Node) => String(c.contype).startsWith('CONSTR_ATTR_');

/** A new column's UNIQUE and PRIMARY KEY, each with the DEFERRABLE / INITIALLY words after it (nodes of their own in the parse tree). */
function columnKeyConstraints(col: Node): Node[] {
  const cons = list(col.constraints)
    .map((c) => as(c, 'Constraint'))
    .filter((c): c is Node => !!c);
  let inKey = false;
  return cons.filter((c) => {
    if (!isAttribute(c)) inKey = c.contype === 'CONSTR_UNIQUE' || c.contype === 'CONSTR_PRIMARY';
    return inKey;
  });
}

/** The column's key as written, for the fix to keep its name, INCLUDE, NULLS NOT DISTINCT and DEFERRABLE / INITIALLY DEFERRED. */
function writtenKey(keys: Node[], kind: 'UNIQUE' | 'PRIMARY KEY'): Node | undefined {
  const k = keys.findIndex((c) => c.contype === (kind === 'PRIMARY KEY' ? 'CONSTR_PRIMARY' : 'CONSTR_UNIQUE'));
  const next = keys.findIndex((c, j) => j > k && !isAttribute(c));
  const attributes = keys.slice(k + 1, next < 0 ? undefined : next).map((c) => c.contype);
  return { ...keys[k], deferrable: attributes.includes('CONSTR_ATTR_DEFERRABLE'), initdeferred: attributes.includes('CONSTR_ATTR_DEFERRED') };
}

interface KeyOptions {
  only: boolean;
  partitioned: boolean;
  taken: ReadonlySet<string>;
  childrenNotNull: boolean;
}

/**
 * ALTER TABLE ONLY of a partitioned table builds no index: the constraint's
 * index is the parent's alone (a partitioned index has no storage), invalid
 * until each partition's index is attached, as pg_dump writes it (PostgreSQL
 * 15 and 18). Nothing to report, as for CREATE INDEX … ON ONLY.
 */
function onlyOnPartitioned(ctx: RuleContext, s: ParsedStatement, t: AlterTarget): boolean {
  return onlyIn(s) && isPartitioned(ctx.catalog, t.table);
}

/**
 * With ONLY, on a table lint knows nothing of (no database, no CREATE TABLE
 * read): the fix keeps ONLY, but cannot if the table is partitioned, where
 * PostgreSQL refuses CREATE INDEX CONCURRENTLY; there the statement itself
 * builds nothing. Said, not silently changed.
 */
function onlyNote(ctx: RuleContext, s: ParsedStatement, t: AlterTarget): string {
  if (!onlyIn(s) || ctx.catalog || t.table.partitioned || t.table.columns.size > 0) return '';
  return (
    `\n-- ONLY kept; but if ${tableName(t.rel)} is partitioned, PostgreSQL refuses CREATE INDEX CONCURRENTLY on it, and ALTER TABLE ONLY there builds no index` +
    "\n-- (the parent's alone, invalid until each partition's is attached): keep the statement, with -- schemaguard:allow index-not-concurrent and why (lint --database-url knows)"
  );
}

const fixes = new WeakMap<ParsedStatement, string>();

/**
 * One fix for the statement, whatever command is reported: the ALTER TABLE
 * as written, every other command kept, each new column without its UNIQUE
 * or PRIMARY KEY and each such ADD CONSTRAINT taken out; then every key
 * built CONCURRENTLY and attached USING INDEX (a fix of the reported command
 * alone dropped the others). Made once, at the first command reported, as
 * constraint-not-valid's.
 */
function statementFix(ctx: RuleContext, s: ParsedStatement, t: AlterTarget): string {
  const known = fixes.get(s);
  if (known !== undefined) return known;
  // PostgreSQL 18's primary key needs the inheritance children's columns NOT NULL too; before 18 ONLY left them as they were.
  const o = {
    only: onlyIn(s),
    partitioned: isPartitioned(ctx.catalog, t.table),
    taken: constraintNames(ctx.catalog, t.table),
    childrenNotNull: (ctx.serverMajor ?? 18) >= 18,
  };
  const parts = list(s.node.cmds).flatMap((c) => keyPart(ctx, s, t, as(c, 'AlterTableCmd'), o) ?? []);
  const removed = commandsRemoved(
    s,
    parts.flatMap((p) => (p.removes === undefined ? [] : [p.removes])),
  );
  const edits = [...parts.flatMap((p) => (p.edit ? [p.edit] : [])), ...(removed ?? [])];
  const statement = removed ? [inPlace(edited(s, edits), ...parts.flatMap((p) => p.fill ?? []))] : [];
  const fix =
    renderFix([
      ...statement,
      ...keyFiles(
        parts.map((p) => p.steps),
        statement.length ? 'later' : 'own',
      ),
    ]) + onlyNote(ctx, s, t);
  fixes.set(s, fix);
  return fix;
}

/**
 * A UNIQUE or PRIMARY KEY of a partitioned table: PostgreSQL refuses CREATE
 * INDEX CONCURRENTLY and ADD CONSTRAINT … USING INDEX there (0A000, 15 and
 * 18), and an index built ON ONLY the parent and attached is no constraint's
 * (ADD CONSTRAINT then builds its own). So each leaf partition's index is
 * built CONCURRENTLY and made its constraint USING INDEX; the parent's ADD
 * CONSTRAINT, as written, then builds nothing: it takes each partition's
 * matching constraint as its own, and makes those of partitions partitioned
 * themselves (checked on PostgreSQL 15 and 18: no new index on a partition).
 * A primary key's columns are made NOT NULL first, on every partition.
 */
function partitionedKeySteps(
  ctx: RuleContext,
  rel: RangeVar,
  kind: 'UNIQUE' | 'PRIMARY KEY',
  columns: string[],
  nullableColumns: string[],
  buildPlace: FixPlace = 'own',
  con?: Node,
  o: KeyStepOptions = {},
): FixFile[] {
  const t = tableName(rel);
  const table = partitionedTable(ctx, rel) ?? { schema: rel.schema ?? 'public', partitions: [] };
  const include = names(con?.including);
  // PostgreSQL's names: the INCLUDE columns count as the key's (ChooseIndexColumnNames).
  const label = kind === 'PRIMARY KEY' ? ['pkey'] : [...columns, ...include, 'key'];
  const name = typeof con?.conname === 'string' ? con.conname : objectName(rel.name, ...label);
  const cols = `(${columns.map(ident).join(', ')})`;
  const includeText = include.length ? ` INCLUDE (${include.map(ident).join(', ')})` : '';
  const nnd = con?.nulls_not_distinct ? ' NULLS NOT DISTINCT' : '';
  const timing = con?.deferrable ? ` DEFERRABLE${con.initdeferred ? ' INITIALLY DEFERRED' : ''}` : '';
  const schemaOf = (schema: string) => (rel.schema || schema !== table.schema ? `${ident(schema)}.` : '');
  const leaves = leafPartitions(ctx, table.partitions, 0);
  const leafIndex = (p: PartitionRef) => ident(objectName(p.name, ...label));
  const [build, attach] = leaves.length
    ? [
        leaves.map(
          (p) => `CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ${leafIndex(p)} ON ${schemaOf(p.schema)}${ident(p.name)} ${cols}${includeText}${nnd};`,
        ),
        leaves.map((p) => `ALTER TABLE ${schemaOf(p.schema)}${ident(p.name)} ADD CONSTRAINT ${leafIndex(p)} ${kind} USING INDEX ${leafIndex(p)}${timing};`),
      ]
    : [
        [
          sqlComment(
            `for each partition (the migrations lint read create none), with its own index name: CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS <partition_key> ON <partition> ${cols}${includeText}${nnd};`,
          ),
        ],
        [sqlComment(`for each partition: ALTER TABLE <partition> ADD CONSTRAINT <partition_key> ${kind} USING INDEX <partition_key>${timing};`)],
      ];
  const notNull = kind === 'PRIMARY KEY' ? nullableColumns.flatMap((c) => notNullSteps(rel, c, later(), { ...o, only: false, partitioned: true })) : [];
  return [
    {
      ...ownNoTransaction(
        sqlComment(
          `${t} is partitioned: PostgreSQL refuses CONCURRENTLY and USING INDEX on it, so each partition's index is built here, and made its constraint below`,
        ),
        ...build,
      ),
      place: buildPlace,
    },
    ...notNull,
    later(
      ...attach,
      sqlComment(
        `schemaguard:allow index-not-concurrent every partition has its ${kind === 'PRIMARY KEY' ? 'primary key' : 'unique constraint'} above: this takes them as its own and builds no index`,
      ),
      `ALTER TABLE ${t} ADD CONSTRAINT ${ident(name)} ${kind}${nnd} ${cols}${includeText}${timing};`,
    ),
  ];
}

/** The partitions that hold rows: a partition partitioned itself (by a migration, or in the database) gives its own, all the way down. */
function leafPartitions(ctx: RuleContext, partitions: readonly PartitionRef[], depth: number): PartitionRef[] {
  return partitions.flatMap((p) => {
    const subs = depth < 8 ? subPartitions(ctx, p) : undefined;
    return subs ? leafPartitions(ctx, subs, depth + 1) : [p];
  });
}

/** Each key's steps (build, the primary key's NOT NULL steps, attach) merged file by file: every build in one no-transaction file, every attach in the last. */
function keyFiles(steps: FixFile[][], buildPlace: FixPlace): FixFile[] {
  const middle: FixFile[] = [];
  for (const s of steps) for (const [k, f] of s.slice(1, -1).entries()) middle[k] = later(...(middle[k]?.lines ?? []), ...f.lines);
  return [{ ...ownNoTransaction(...steps.flatMap((s) => s[0].lines)), place: buildPlace }, ...middle, later(...steps.flatMap((s) => present(s.at(-1)).lines))];
}
