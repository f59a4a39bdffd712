/**
 * What each pending statement will lock, on which table, how big that table
 * is now, and whether it rewrites or scans it under the lock: the reviewer's
 * question before a deploy, answered from the parse tree and (with a
 * database) the live catalog. In a transactional file every lock is held
 * until COMMIT, so a statement runs under the strongest lock any earlier
 * statement of the file took on its table: that held lock is what a warning
 * weighs. A warning is raised when a lock that blocks writes is held while a
 * table of at least `warnRows` rows is rewritten or scanned; a brief lock
 * (no scan, no rewrite) lasts as long whatever the table's size, and is not.
 *
 * Whether a new column rewrites its table is judged as lint judges it: the
 * files are followed in order through lint's model (functions and domains
 * they create), with the database's functions and domains when there is one
 * (`readLintCatalog`), so plan and lint give the same answer.
 */
import type { Queryable, Session } from '../../engine/ports';
import { qualifiedIdent } from '../../engine/state/identifiers';
import { boundedCatalogRead } from '../../schema/bounded-read';
import type { Migration } from '../../engine/files/source';
import type { Finding } from '../findings/finding';
import { FINDINGS_KEPT_PER_RULE, FindingsKeeper, type OmittedFindings } from '../lint/kept';
import { lintSourceOf, notNullProven, notNullProvenInDatabase, PendingModel, rewriteContextOf, type LintCatalog } from '../lint';
import { domainKey, readDomainTables } from './domain-tables';
import { readDependentViews } from './dependent-views';
import { readForeignKeys, touchedKeys, type ForeignKey } from './foreign-keys';
import { indexText, readNullableKeyColumns, type IndexRef } from './key-columns';
import { as, list, loadParser, parseSqlInChunks, rangeVar, tableKey, type ParsedStatement } from '../parser/parse';
import { PARTITION_LOCKS_REFERENCING_FROM, type OtherRole } from './forms';
import { blocksReads, blocksWrites, strongest, type LockMode } from './modes';
import {
  statementLock,
  withCurrentStorage,
  withCurrentTypes,
  withIndexThere,
  withKeyColumnsNotNull,
  withNotNullProven,
  withVirtualColumns,
  type ForeignKeysTouched,
  type RelationRef,
  type StatementLock,
} from './statement-lock';
import { readTableSizes, refKey, type TableSize } from './table-sizes';
import { present } from '../../engine/errors/present';

export const LOCK_WARNING_RULE = {
  id: 'blocking-lock-on-large-table',
  severity: 'warning' as const,
  title: 'a lock that blocks writes is held while a large table is rewritten or scanned',
};

export interface StatementLockReport {
  file: string;
  version: number;
  line: number;
  column: number;
  /** The statement's first line, shortened. */
  statement: string;
  /** The form it was read as (forms.ts). */
  form: string;
  lock: LockMode | null;
  /** A stronger lock on the table's indexes (REINDEX): queries on the table wait for it as for this lock on the table. */
  indexLock?: LockMode;
  /** Locks the rows it returns until COMMIT (SELECT … FOR UPDATE): UPDATE and DELETE of them wait. */
  rowLocks?: true;
  table: string | null;
  rows: number | null;
  bytes: number | null;
  rewrites: boolean;
  scans: boolean;
  /** A stronger lock on the same table (or its indexes), taken earlier in the file and held until COMMIT. */
  held?: HeldLock;
  /** A second table's lock; `role` says what the table is: a foreign key's referenced table, a partition's parent, the partition. */
  other?: { table: string; lock: LockMode; role: OtherRole };
  /**
   * The foreign keys it drops (or drops and adds again, `rebuilds`), read
   * from a live catalog: each takes ACCESS EXCLUSIVE on its other table, the
   * one it references, or (`referencing`) the one that references this
   * table. A new or attached partition gets a copy of each of its parent's
   * keys (`copies`): SHARE ROW EXCLUSIVE at their other ends.
   */
  referenced?: { table: string; constraint: string; action: ForeignKeysTouched['action']; lock: LockMode; referencing?: true }[];
  /** ALTER DOMAIN: the domain whose tables the lock is on (`table`: one of them, from the catalog; null without one). */
  domain?: string;
  /** The parent's DEFAULT partition, which the statement also locks ACCESS EXCLUSIVE (`reads`: and reads); known from a live catalog. */
  defaultPartition?: { table: string; rows: number | null; bytes: number | null; reads: boolean; checked: boolean };
  /** ATTACH PARTITION of a table with a validated CHECK of its own, which may imply the bound (PostgreSQL then reads nothing): no warning. */
  boundMayBeImplied?: true;
  /** Created by a pending migration of this plan: new and empty when this runs. */
  newTable?: boolean;
  /**
   * The file's `-- schemaguard:backfill` statement: run after the file's
   * transaction commits, in batches by key range, each its own short
   * transaction (lambda/engine/backfill/): its row locks last one batch, no
   * earlier lock of the file is held through it, and it holds none after.
   */
  batched?: true;
  /** The server's version not known (--offline): PostgreSQL `major` and older take `lock` (null: none on the table) instead of this one. */
  olderServers?: { major: number; lock: LockMode | null; other?: LockMode };
  /** The form is not in the table: ACCESS EXCLUSIVE assumed. */
  assumed?: boolean;
  /**
   * A DO block or CALL: plan does not read the code it runs, so its locks, rewrites and scans are unknown
   * (`lock` null, `rewrites` and `scans` false only for want of a reading; the text shows `?`).
   */
  notRead?: true;
  /**
   * ALTER COLUMN … TYPE of a column whose current type neither the database nor the migrations know: whether it
   * rewrites and scans is not known (`rewrites` and `scans` true, the worst case; the text shows `?`).
   */
  oldTypeUnknown?: true;
  /**
   * This row stands for the statements of one kind (`alikeKey`: the same
   * form, lock and table; none rewrites, scans or is warned of) in a stretch
   * of more than `ALIKE_RUN` consecutive statements of the file, of that
   * kind alone or of up to `ALIKE_KINDS` kinds taking turns, none of which
   * blocks writes: how many, and the last one's line. `line`, `column` and
   * `statement` are the first one's.
   */
  alike?: number;
  lastLine?: number;
  /** Statements of other rows of the stretch lie between `line` and `lastLine`. */
  interleaved?: true;
}

export interface HeldLock {
  lock: LockMode;
  /** Also held on the table's indexes (REINDEX). */
  indexLock?: LockMode;
  line: number;
}

/** What queries on the table wait for: the table's lock, or its indexes' when stronger (every query's planner opens them). */
export function blockingLock(l: { lock: LockMode | null; indexLock?: LockMode }): LockMode | undefined {
  return strongest(l.lock ?? undefined, l.indexLock);
}

export interface LockPlan {
  statements: StatementLockReport[];
  /** The first {@link FINDINGS_KEPT_PER_RULE} warnings of each rule in each file, as lint keeps its findings. */
  findings: Finding[];
  /** Per file and rule, the warnings past the first {@link FINDINGS_KEPT_PER_RULE}: counted, not kept. */
  omitted: OmittedFindings[];
  /** Whether sizes come from a live catalog. */
  sized: boolean;
}

export interface LockPlanOptions {
  /**
   * Read-only connection for the catalog. A session (no transaction open)
   * reads it in a transaction of its own with lock_timeout 1 s, rolled back
   * after: a table held ACCESS EXCLUSIVE fails the plan naming the holder
   * (`CatalogReadTimeoutError`) instead of waiting for it.
   * @default - no sizes; locks and rewrites only
   */
  catalog?: Queryable | Session;
  /** @default 100000 */
  warnRows?: number;
  /** The database's functions and domains (`readLintCatalog`), for whether a new column rewrites, and its server's version, for the lock that version takes. @default - only what the files define and the built-in function table; PostgreSQL 18's locks */
  lintCatalog?: LintCatalog;
  /** The applied migrations: read for the functions and domains they define, as lint reads them. @default - none */
  applied?: Migration[];
  /** The server's major version where no catalog says it (`plan --offline --server-version`). @default - the lint catalog's; without one, PostgreSQL 18's locks */
  serverMajor?: number;
}

/** What the plan keeps of a statement: its place, its first line and its lock, not its parse tree. */
interface Read {
  m: Migration;
  line: number;
  column: number;
  headline: string;
  /** The relation a CREATE TABLE (AS), VIEW or SEQUENCE makes. */
  created?: string;
  /** The relations a DROP removes. */
  dropped?: string[];
  /** Whether the file's own SET TimeZone has the session in UTC here; undefined: the database's setting decides. */
  utc?: boolean;
  sl: StatementLock;
  /** ADD PRIMARY KEY USING INDEX of an index the migrations did not create: the catalog may know its columns. */
  keyIndex?: IndexRef;
  /** ALTER COLUMN … TYPE: each changed column's type as the migrations left it (the old type, where no live catalog knows it). */
  modelTypes?: Map<string, string>;
  /** This read stands for a kind of statements of a folded stretch (`Stretch`): how many, the last one's line, whether others lie between. */
  run?: AlikeRun;
  /** The file's backfill statement (`StatementLockReport.batched`). */
  batched?: true;
}

/** What a read standing for statements alike holds of them: how many (with its own), the last one's line, whether other rows' statements lie between. */
interface AlikeRun {
  count: number;
  lastLine: number;
  interleaved?: true;
}

/**
 * Consecutive statements of a file that fold into a row per kind once there
 * are more than `ALIKE_RUN` of them: each of a kind (`alikeKey`: the same
 * form, lock and table); either one kind throughout, or up to `ALIKE_KINDS`
 * kinds taking turns where none blocks writes and each table has one lock
 * (so each statement's row, held lock included, is its kind's first's but
 * for its place). While short, its reads are held one by one (each gets its
 * row, as any statement); past `ALIKE_RUN`, one read per kind with a count,
 * so a file of a million tiny statements is not held a million times over.
 */
interface Stretch {
  /** Where its first read is in the file's reads. */
  start: number;
  count: number;
  /** Each kind's first read; once folded, the read standing for the kind. */
  kinds: Map<string, Read>;
  /** Every read so far takes no lock that blocks writes (other kinds may join). */
  mixable: boolean;
  /** The lock each table of the stretch takes. */
  tables: Map<string, LockMode | null>;
  lastKind: string;
  /** Kinds whose statements have another kind's between them. */
  interleaved: Set<string>;
  folded: boolean;
}

/** More consecutive statements alike than this are a row per kind of the plan (and an entry each of its JSON). */
export const ALIKE_RUN = 1000;

/** The most kinds of statements, taking turns, that fold together. */
export const ALIKE_KINDS = 16;

/** Each pending statement with its lock, the model following every file (applied ones too) in version order. */
function readAll(pending: Migration[], options: LockPlanOptions): Read[] {
  const model = new PendingModel();
  const isPending = new Set(pending);
  const files = [...(options.applied ?? []), ...pending].sort((a, b) => a.version - b.version);
  return files.flatMap((m) => readsOf(m, isPending.has(m), model, options.lintCatalog));
}

function readsOf(m: Migration, pending: boolean, model: PendingModel, catalog: LintCatalog | undefined): Read[] {
  const reads: Read[] = [];
  let stretch: Stretch | undefined;
  model.startFile(lintSourceOf(m, !pending));
  // A chunk of statements at a time: a large file's parse trees are never all held.
  for (const chunk of parseSqlInChunks(m.text, { file: m.file }).chunks) {
    for (const s of chunk) {
      if (pending) stretch = addRead(reads, stretch, batchedIf(readOf(m, s, model, catalog), m));
      model.apply(s);
    }
  }
  return reads;
}

/** The read marked as the file's backfill statement, when it is (it runs in batches by key range, not in the file's transaction). */
function batchedIf(read: Read, m: Migration): Read {
  return m.backfill?.line === read.line ? { ...read, batched: true } : read;
}

/** What the plan keeps of a pending statement, the model standing just before it. */
function readOf(m: Migration, s: ParsedStatement, model: PendingModel, catalog: LintCatalog | undefined): Read {
  const end = s.text.indexOf('\n');
  const raw = statementLock(s, rewriteContextOf({ model, catalog }));
  const key = raw.primaryKeyIndex ? { schema: raw.table?.schema, name: raw.primaryKeyIndex } : undefined;
  const nullable = key && keyColumnsNullable(model, key);
  const table = raw.table && model.table(raw.table);
  const proven = withNotNullProven(withKeyColumnsNotNull(raw, nullable), raw.notNull && notNullUnproven(model, raw, catalog));
  const there = !!raw.ifNotExists && model.hasIndex(raw.table?.schema, raw.ifNotExists);
  const sl = withIndexThere(
    withVirtualColumns(proven, (c) => table?.columns.get(c)?.generated === 'v'),
    there,
  );
  const keyIndex = key && !nullable ? key : undefined;
  const dropped = droppedTables(s);
  const modelTypes = typesBefore(sl, (c) => table?.columns.get(c)?.type);
  return {
    m,
    line: s.line,
    column: s.column,
    headline: (end < 0 ? s.text : s.text.slice(0, end)).slice(0, 120),
    created: createdTable(s),
    sl,
    ...(dropped.length ? { dropped } : {}),
    ...(keyIndex ? { keyIndex } : {}),
    ...(model.sessionUtc !== undefined ? { utc: model.sessionUtc } : {}),
    ...(modelTypes.size ? { modelTypes } : {}),
  };
}

/**
 * What makes statements alike, or undefined for a statement that is never
 * folded into a run: one that rewrites or scans (it may be warned of), takes
 * a lock on a second table, touches foreign keys, a domain, a partition's
 * bounds, column types, NOT NULL or storage, or creates or drops a relation
 * (each may change what a later statement's row says). Alike statements get
 * rows alike but for their place and text: the same form, lock and table
 * (so the same size, and the same lock held from before).
 */
function alikeKey(read: Read): string | undefined {
  const { sl } = read;
  if (sl.rewrites || sl.scans || sl.assumed || read.created || read.dropped || read.keyIndex || read.modelTypes) return undefined;
  if (sl.other || sl.foreignKeys || sl.foreignKeysOn || sl.expressions || sl.domain || sl.moreTables || sl.partitioned || sl.onlyParent || sl.cascade)
    return undefined;
  if (sl.typeChanges.length || sl.primaryKeyIndex || sl.notNull || sl.storage || sl.parts?.length) return undefined;
  return `${sl.form.id}\0${sl.lock ?? ''}\0${sl.table ? refKey(sl.table) : ''}`;
}

/** Takes no lock that blocks writes, on the table or its indexes: such statements of other kinds may take turns in a stretch. */
function mixable(read: Read): boolean {
  const lock = blockingLock({ lock: read.sl.lock ?? null, ...(read.sl.form.indexLock ? { indexLock: read.sl.form.indexLock } : {}) });
  return !lock || !blocksWrites(lock);
}

/** Adds a file's next read to its reads, in the stretch of reads alike before it or one it starts: the stretch it is in now. */
function addRead(reads: Read[], stretch: Stretch | undefined, read: Read): Stretch | undefined {
  const kind = alikeKey(read);
  if (kind === undefined) {
    reads.push(read);
    return undefined;
  }
  if (!stretch || !joins(stretch, read, kind)) {
    stretch = { start: reads.length, count: 0, kinds: new Map(), mixable: true, tables: new Map(), lastKind: kind, interleaved: new Set(), folded: false };
  }
  stretch.count++;
  stretch.mixable &&= mixable(read);
  if (read.sl.table) stretch.tables.set(refKey(read.sl.table), read.sl.lock ?? null);
  if (stretch.lastKind !== kind && stretch.kinds.has(kind)) stretch.interleaved.add(kind);
  stretch.lastKind = kind;
  const first = stretch.kinds.get(kind);
  if (stretch.folded && first) {
    // A folded stretch's first read of a kind carries its run (fold() gave it one).
    const run = present(first.run, "a folded read's run");
    run.count++;
    run.lastLine = read.line;
    if (stretch.interleaved.has(kind)) run.interleaved = true;
    return stretch;
  }
  if (!first) stretch.kinds.set(kind, read);
  if (stretch.folded) read.run = { count: 1, lastLine: read.line };
  reads.push(read);
  if (!stretch.folded && stretch.count > ALIKE_RUN) fold(reads, stretch);
  return stretch;
}

/** Whether a read of this kind may join the stretch: its one kind, or (none blocking writes) one kind more while there are fewer than `ALIKE_KINDS`, the lock on its table the stretch's. */
function joins(stretch: Stretch, read: Read, kind: string): boolean {
  if (stretch.kinds.size === 1 && stretch.kinds.has(kind)) return true;
  if (!stretch.mixable || !mixable(read)) return false;
  if (!stretch.kinds.has(kind) && stretch.kinds.size >= ALIKE_KINDS) return false;
  const table = read.sl.table && stretch.tables.get(refKey(read.sl.table));
  return table === undefined || table === (read.sl.lock ?? null);
}

/** The stretch's reads become one read per kind, in the order the kinds first came. */
function fold(reads: Read[], stretch: Stretch): void {
  const members = reads.splice(stretch.start);
  const kinds = new Map<string, Read>();
  for (const read of members) {
    const kind = present(alikeKey(read));
    const first = kinds.get(kind);
    if (first) {
      const run = present(first.run, "a folded read's run");
      run.count++;
      run.lastLine = read.line;
    } else {
      read.run = { count: 1, lastLine: read.line, ...(stretch.interleaved.has(kind) ? { interleaved: true as const } : {}) };
      kinds.set(kind, read);
      reads.push(read);
    }
  }
  stretch.kinds = kinds;
  stretch.folded = true;
}

/** Each read as plan reports it, let go once reported: the reads and their reports are not all held at once. */
function* releasing(reads: (Read | undefined)[]): Generator<Read> {
  for (let k = 0; k < reads.length; k++) {
    const read = present(reads[k]);
    reads[k] = undefined;
    yield read;
  }
}

/** The types the model knows of the columns an ALTER COLUMN … TYPE changes, before it. */
function typesBefore(sl: StatementLock, typeOf: (column: string) => string | undefined): Map<string, string> {
  const known = new Map<string, string>();
  for (const c of sl.typeChanges) {
    const t = typeOf(c.column);
    if (t) known.set(c.column, t);
  }
  return known;
}

/** The columns of an index the migrations created that ADD PRIMARY KEY USING INDEX would make NOT NULL with a scan; undefined when the model does not know the index. */
function keyColumnsNullable(model: PendingModel, index: IndexRef): string[] | undefined {
  const key = model.indexKey(index);
  // A column the model does not know (a table made outside the migrations) leaves it to the catalog.
  if (!key || key.columns.some((c) => !key.table.columns.has(c))) return undefined;
  return key.columns.filter((c) => !notNullProven(key.table, c));
}

/** The columns a SET NOT NULL would scan for: those no validated CHECK (or NOT NULL) of the model or of the database proves, as lint judges them; undefined for a table the model does not know. */
function notNullUnproven(model: PendingModel, sl: StatementLock, catalog: LintCatalog | undefined): string[] | undefined {
  const t = sl.table && (model.table(sl.table) ?? (catalog?.notNullChecks?.length ? model.tableOrPlaceholder(sl.table) : undefined));
  return t ? present(sl.notNull).filter((c) => !notNullProven(t, c) && !notNullProvenInDatabase(catalog, t, c)) : undefined;
}

/** The relation a CREATE TABLE (AS), VIEW or SEQUENCE makes. */
function createdTable(s: ParsedStatement): string | undefined {
  const made: Record<string, () => unknown> = {
    CreateStmt: () => s.node.relation,
    CreateTableAsStmt: () => (s.node.into as { rel?: unknown } | undefined)?.rel,
    ViewStmt: () => s.node.view,
    CreateSeqStmt: () => s.node.sequence,
  };
  const rel = rangeVar(made[s.kind]?.());
  return rel && tableKey(rel);
}

/** The table a DROP TABLE (or VIEW, MATERIALIZED VIEW, SEQUENCE) removes, each of a list: a later CREATE of the name makes a new, empty one. */
function droppedTables(s: ParsedStatement): string[] {
  if (s.kind !== 'DropStmt' || !['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_SEQUENCE'].includes(String(s.node.removeType))) return [];
  return list(s.node.objects).flatMap((o) => {
    const parts = list(as(o, 'List')?.items).map((p) => String(as(p, 'String')?.sval ?? ''));
    const name = parts.at(-1);
    return name ? [tableKey({ schema: parts.length > 1 ? parts.at(-2) : undefined, name })] : [];
  });
}

/** What the live catalog says of the statements' tables: sizes, foreign keys, key columns; the reads, one per table of an ALTER DOMAIN. */
interface CatalogFacts {
  reads: Read[];
  sizes: Map<string, TableSize>;
  foreignKeys: Map<string, ForeignKey[]>;
  keyNullable: Map<string, string[]>;
  /** The indexes a CREATE INDEX … IF NOT EXISTS names that the database has (`indexName`): nothing is built. */
  indexesThere: Set<string>;
}

/**
 * The catalog reads of the plan, one after another. pg_relation_size and
 * pg_total_relation_size open each table (ACCESS SHARE), and the key
 * columns' pg_get_constraintdef its table: on a session they are bounded
 * together (`boundedCatalogRead`, lock_timeout 1 s, an error naming the
 * holder), where `plan` waited silently behind a migration's ACCESS
 * EXCLUSIVE until it committed.
 */
async function readCatalogFacts(catalog: Queryable | Session, parsed: Read[]): Promise<CatalogFacts> {
  const work = async (): Promise<CatalogFacts> => {
    const reads = await byDependentView(await byDomainTable(parsed, catalog), catalog);
    const refs = reads.flatMap(({ sl }) => [sl.table, sl.other?.table].filter((r): r is RelationRef => !!r));
    const sizes = await readTableSizes(catalog, refs);
    await addDefaultPartitions(catalog, reads, sizes);
    const foreignKeys = await readForeignKeys(
      catalog,
      reads.flatMap(({ sl }) => {
        const on = keysOf(sl);
        return on ? [on] : [];
      }),
    );
    // A DETACH reads each table that references the parent: sized too, for its warning.
    const detaching = reads.flatMap(({ sl }) => (sl.form.id.startsWith('detach-partition') && keysOf(sl) ? [present(keysOf(sl))] : []));
    const referencing = detaching.flatMap((t) =>
      (foreignKeys.get(refKey(t)) ?? []).filter((k) => k.referencing).map((k) => ({ ...k.otherRef, kind: 'table' as const })),
    );
    if (referencing.length) for (const [k, v] of await readTableSizes(catalog, referencing)) sizes.set(k, v);
    const keys = reads.flatMap((r) => (r.keyIndex ? [r.keyIndex] : []));
    const keyNullable = keys.length ? await readNullableKeyColumns(catalog, keys) : new Map<string, string[]>();
    return { reads, sizes, foreignKeys, keyNullable, indexesThere: await readIndexesThere(catalog, reads) };
  };
  return 'begin' in catalog ? boundedCatalogRead(catalog, 'the table sizes for plan', work) : work();
}

/** Without a database: the reads as parsed, nothing known of the tables. */
function noCatalog(reads: Read[]): CatalogFacts {
  return { reads, sizes: new Map(), foreignKeys: new Map(), keyNullable: new Map(), indexesThere: new Set() };
}

export async function planLocks(pending: Migration[], options: LockPlanOptions = {}): Promise<LockPlan> {
  await loadParser();
  const parsed = readAll(pending, options).flatMap(byTable);
  const { reads, sizes, foreignKeys, keyNullable, indexesThere } = options.catalog ? await readCatalogFacts(options.catalog, parsed) : noCatalog(parsed);
  const created = new Set<string>();
  /** Dropped by an earlier pending statement: a relation the plan creates under the name is new, whatever the catalog has under it now. */
  const dropped = new Set<string>();
  const held = new Map<string, HeldLock>();
  const plan: LockPlan = { statements: [], findings: [], omitted: [], sized: !!options.catalog };
  let file = '';
  let keeper: FindingsKeeper | undefined;
  for (const read of releasing(reads)) {
    const { m, sl: raw } = read;
    if (m.file !== file) {
      file = m.file;
      held.clear();
      plan.omitted.push(...(keeper?.omitted() ?? []));
      keeper = new FindingsKeeper(file);
    }
    const size = raw.table ? sizes.get(refKey(raw.table)) : undefined;
    // The live type decides; offline, or for a column the live table lacks (a pending file adds it), the migrations' own (plan --offline said "rewrites" of varchar(128) → varchar(1024)).
    const currentType = (col: string) => size?.columns.get(col) ?? read.modelTypes?.get(col);
    const typed = withCurrentStorage(withCurrentTypes(onPartitioned(raw, size), currentType, read.utc ?? options.lintCatalog?.utcSessions), size?.storage);
    const keyed = withIndexThere(
      read.keyIndex ? withKeyColumnsNotNull(typed, keyNullable.get(indexText(read.keyIndex))) : typed,
      !!raw.ifNotExists && indexesThere.has(indexName(raw)),
    );
    const major = options.serverMajor ?? options.lintCatalog?.serverMajor;
    const sl = atServerVersion(keyed, major);
    const report = reportOf(read, sl, size, sizes, created, dropped);
    if (sl.form.until && major === undefined)
      report.olderServers = { major: sl.form.until.major, lock: sl.form.until.lock ?? null, ...(sl.form.until.other ? { other: sl.form.until.other } : {}) };
    if (sl.form.id === 'alter-column-type' && sl.typeChanges.some((c) => !c.transforms && currentType(c.column) === undefined)) report.oldTypeUnknown = true;
    const on = keysOf(sl);
    const touched = on
      ? touchedKeys(foreignKeys.get(refKey(on)) ?? [], present(sl.foreignKeys)).filter(
          (k) => !(k.action === 'copies' && k.referencing && major !== undefined && major < PARTITION_LOCKS_REFERENCING_FROM),
        )
      : [];
    if (touched.length) {
      report.referenced = touched.map((k) => ({
        table: k.other,
        constraint: k.constraint,
        action: k.action,
        lock: keyLock(k.action, k.referencing),
        ...(k.referencing ? { referencing: true as const } : {}),
      }));
    }
    trackHeld(report, m, held);
    plan.statements.push(report);
    // ATTACH PARTITION reads nothing when a validated CHECK of the table implies the bound: not proved here, and not warned of.
    if (sl.form.id === 'attach-partition' && size?.checked) report.boundMayBeImplied = true;
    const warnRows = options.warnRows ?? 100_000;
    const warnings = [
      report.boundMayBeImplied ? undefined : lockWarning(report, sl, warnRows),
      defaultPartitionWarning(report, warnRows),
      ...touched
        .filter((k) => k.action === 'detaches' && k.referencing)
        .map((k) => referencingReadWarning(report, k, sizes.get(refKey({ ...k.otherRef, kind: 'table' })), warnRows)),
    ];
    for (const warning of warnings) {
      // The first of each rule in each file kept, the rest counted: a file where every statement is warned of holds no warning per statement.
      if (warning && present(keeper).keep(warning)) plan.findings.push(warning);
    }
    for (const d of read.dropped ?? []) {
      dropped.add(d);
      created.delete(d);
    }
    if (read.created) created.add(read.created);
  }
  plan.omitted.push(...(keeper?.omitted() ?? []));
  return plan;
}

/**
 * SET TABLESPACE / ACCESS METHOD of a partitioned table copies nothing: it
 * holds no rows, and the setting is only its future partitions' default (no
 * partition's file node changes, PostgreSQL 18 and 15). CREATE INDEX … ON
 * ONLY it reads no row.
 */
function onPartitioned(sl: StatementLock, size: TableSize | undefined): StatementLock {
  if (!size?.partitioned) return sl;
  // CREATE INDEX … ON ONLY the parent: its index alone, invalid until each partition's is attached; no row is read (18 and 15).
  if (sl.onlyParent && sl.form.id === 'create-index') return { ...sl, scans: false };
  return sl.form.id === 'rewrite-storage' && sl.typeChanges.length === 0 ? { ...sl, rewrites: false, scans: false } : sl;
}

/** The lock a statement takes on a foreign key's other table for what it does to the key (pg_locks, 18 and 15). */
function keyLock(action: ForeignKeysTouched['action'], referencing: boolean): LockMode {
  if (action === 'copies' || (action === 'detaches' && !referencing)) return 'SHARE ROW EXCLUSIVE';
  return 'ACCESS EXCLUSIVE';
}

/** The table whose foreign keys the statement drops, rebuilds or copies. */
function keysOf(sl: StatementLock): RelationRef | undefined {
  const on = sl.foreignKeys ? (sl.foreignKeysOn ?? sl.table) : undefined;
  return on?.kind === 'table' ? on : undefined;
}

/** A statement on a list of tables (DROP TABLE a, b …), once per table: each is locked, sized and warned of on its own. */
function byTable(read: Read): Read[] {
  // Most statements have one table: the read itself, not a copy of it (a copy of each of a million reads doubled plan's peak).
  if (!read.sl.moreTables) return [read];
  const { moreTables, ...sl } = read.sl;
  return [{ ...read, sl }, ...(moreTables ?? []).map((table) => ({ ...read, sl: { ...sl, table } }))];
}

/**
 * An ALTER DOMAIN that reads stored values, once per table it locks (the
 * catalog's tables with a column of the domain). Without a catalog, or for a
 * domain it does not have yet, or one no table uses: one read, the domain's.
 */
async function byDomainTable(reads: Read[], catalog: Queryable): Promise<Read[]> {
  const domains = reads.flatMap(({ sl }) => (sl.domain ? [sl.domain] : []));
  if (domains.length === 0) return reads;
  const tables = await readDomainTables(catalog, domains);
  return reads.flatMap((read) => {
    const on = read.sl.domain && tables.get(domainKey(read.sl.domain));
    return on?.length ? on.map((table) => ({ ...read, sl: { ...read.sl, table } })) : [read];
  });
}

/** `schema.index` of a CREATE INDEX … IF NOT EXISTS. */
function indexName(sl: StatementLock): string {
  return qualifiedIdent(sl.table?.schema, present(sl.ifNotExists));
}

/** Which indexes the reads' CREATE INDEX … IF NOT EXISTS name the database has (in the table's schema, or on the search path). */
async function readIndexesThere(catalog: Queryable, reads: Read[]): Promise<Set<string>> {
  const names = [...new Set(reads.flatMap(({ sl }) => (sl.ifNotExists ? [indexName(sl)] : [])))];
  if (names.length === 0) return new Set();
  const r = await catalog.query<{ name: string }>('SELECT n AS name FROM unnest($1::text[]) AS n WHERE to_regclass(n) IS NOT NULL', [names]);
  return new Set(r.rows.map((row) => row.name));
}

/** A DROP TABLE … CASCADE, then a read per view it drops with the table (the catalog's views over it), each ACCESS EXCLUSIVE. */
async function byDependentView(reads: Read[], catalog: Queryable): Promise<Read[]> {
  const dropped = reads.flatMap(({ sl }) => (sl.cascade && sl.table ? [sl.table] : []));
  if (dropped.length === 0) return reads;
  const views = await readDependentViews(catalog, dropped);
  return reads.flatMap((read) => {
    const more = read.sl.cascade && read.sl.table ? (views.get(refKey(read.sl.table)) ?? []) : [];
    // The view goes with the table: no key of its own to drop.
    return [read, ...more.map((table) => ({ ...read, sl: { ...read.sl, table, foreignKeys: undefined, cascade: undefined } }))];
  });
}

/** The DEFAULT partition of each partitioned table a statement attaches to, creates a partition of or detaches from: its size, added to `sizes`. */
async function addDefaultPartitions(catalog: Queryable, reads: Read[], sizes: Map<string, TableSize>): Promise<void> {
  const defaults = reads.flatMap(({ sl }) => {
    const d = defaultPartitionRef(sl, sizes);
    return d ? [d] : [];
  });
  if (defaults.length === 0) return;
  for (const [k, size] of await readTableSizes(catalog, defaults)) sizes.set(k, size);
}

/** The DEFAULT partition the statement also locks, when the catalog says its parent has one. */
function defaultPartitionRef(sl: StatementLock, sizes: Map<string, TableSize>): RelationRef | undefined {
  const d = sl.partitioned && sl.form.defaultPartition ? sizes.get(refKey(sl.partitioned))?.defaultPartition : undefined;
  return d && { ...d, kind: 'table' };
}

function defaultPartitionOf(sl: StatementLock, sizes: Map<string, TableSize>): StatementLockReport['defaultPartition'] {
  const d = defaultPartitionRef(sl, sizes);
  if (!d) return undefined;
  const size = sizes.get(refKey(d));
  return {
    table: size?.table ?? `${d.schema}.${d.name}`,
    rows: size?.rows ?? null,
    bytes: size?.bytes ?? null,
    reads: sl.form.defaultPartition === 'reads',
    checked: size?.checked ?? false,
  };
}

/** The locks the server's major version takes: a form's older servers (`until`) take another lock, or none, and another on the second table. */
function atServerVersion(sl: StatementLock, major: number | undefined): StatementLock {
  const until = sl.form.until;
  if (!until || major === undefined || major > until.major) return sl;
  return { ...sl, lock: until.lock, ...(until.other && sl.other ? { other: { ...sl.other, lock: until.other } } : {}) };
}

function display(ref: RelationRef): string {
  return ref.schema ? `${ref.schema}.${ref.name}` : ref.name;
}

function reportOf(
  { m, line, column, headline, run, batched }: Read,
  sl: StatementLock,
  size: TableSize | undefined,
  sizes: Map<string, TableSize>,
  created: Set<string>,
  dropped: Set<string>,
): StatementLockReport {
  // A CREATE … IF NOT EXISTS of a table the database has makes nothing: new only when the catalog has none, or the plan dropped it first.
  const isNew = !!sl.table && sl.table.kind === 'table' && created.has(tableKey(sl.table)) && (!size || dropped.has(tableKey(sl.table)));
  const other = sl.other
    ? { table: sizes.get(refKey(sl.other.table))?.table ?? display(sl.other.table), lock: sl.other.lock, role: sl.other.role ?? 'referenced' }
    : undefined;
  const defaultPartition = defaultPartitionOf(sl, sizes);
  return {
    file: m.file,
    version: m.version,
    line,
    column,
    statement: headline,
    form: sl.form.statement,
    lock: sl.lock ?? null,
    ...(sl.lock && sl.form.indexLock ? { indexLock: sl.form.indexLock } : {}),
    ...(sl.form.rowLocks ? { rowLocks: true as const } : {}),
    table: sl.table ? (size?.table ?? display(sl.table)) : null,
    ...(sl.domain ? { domain: display({ ...sl.domain, kind: 'table' }) } : {}),
    rows: isNew ? 0 : (size?.rows ?? null),
    bytes: isNew ? 0 : (size?.bytes ?? null),
    rewrites: sl.rewrites,
    // A batch reads its own key range by the primary key, not the table: no scan under a lock.
    scans: batched ? false : sl.scans,
    ...(batched ? { batched } : {}),
    ...(other ? { other } : {}),
    ...(defaultPartition ? { defaultPartition } : {}),
    ...(isNew ? { newTable: true } : {}),
    ...(sl.assumed ? { assumed: true } : {}),
    ...(sl.form.id === 'code' ? { notRead: true as const } : {}),
    ...(run && run.count > 1 ? { alike: run.count, lastLine: run.lastLine, ...(run.interleaved ? { interleaved: true as const } : {}) } : {}),
  };
}

/** In a transactional file, a lock stays until COMMIT: note a stronger one held from an earlier statement. */
function trackHeld(report: StatementLockReport, m: Migration, held: Map<string, HeldLock>): void {
  // A backfill runs after the file's COMMIT, each batch in its own transaction: it is not under the file's locks, nor holds any after.
  if (m.directives.noTransaction || report.batched || !report.table || !report.lock) return;
  const before = held.get(report.table);
  const now = present(blockingLock(report));
  if (before && strongest(blockingLock(before), now) !== now) report.held = before;
  // A run's statements each take the lock again: the last one's line is where it was last taken.
  else held.set(report.table, { lock: report.lock, ...(report.indexLock ? { indexLock: report.indexLock } : {}), line: report.lastLine ?? report.line });
}

/** What the held lock stops on the table, in a reviewer's words; undefined when it lets writes through. */
function stopped(r: StatementLockReport): string | undefined {
  const lock = present(blockingLock(r.held ?? r));
  if (blocksReads(lock)) return 'reads and writes';
  if (blocksWrites(lock)) return 'writes';
  // Every row read is locked until COMMIT: an UPDATE or DELETE of any of them waits.
  return r.rowLocks && r.scans ? 'UPDATE and DELETE' : undefined;
}

function lockWarning(r: StatementLockReport, sl: StatementLock, warnRows: number): Finding | undefined {
  const stops = r.lock ? stopped(r) : undefined;
  if (!stops || !(r.rewrites || r.scans) || r.rows === null || r.rows < warnRows || r.newTable) return undefined;
  const lock = r.held?.lock ?? present(r.lock);
  const indexLock = r.held ? r.held.indexLock : r.indexLock;
  const locks = `${lock}${indexLock ? ` (and ${indexLock} on its indexes)` : ''}`;
  const work = r.rewrites ? 'rewrites' : 'scans';
  const size = `~${r.rows.toLocaleString('en-US')} rows, ${formatBytes(r.bytes ?? 0)}`;
  const message = r.held
    ? `${sl.form.statement.split(' (')[0]} ${work} ${r.table} (${size}) while the ${locks} lock taken at line ${r.held.line} is held until COMMIT: ${stops} on ${r.table} wait until then`
    : r.rowLocks
      ? `${sl.form.statement.split(' (')[0]} takes ${locks} on ${r.table} (${size}) and locks every row it reads or changes until COMMIT: ${stops} of those rows wait until then`
      : `${sl.domain ? 'ALTER DOMAIN' : sl.form.statement.split(' (')[0]} takes ${locks} on ${r.table} (${size}) and ${work} it under that lock: ${stops} on ${r.table} wait until it ends`;
  return {
    rule: LOCK_WARNING_RULE.id,
    severity: 'warning',
    file: r.file,
    line: r.line,
    column: r.column,
    message,
    why: `the time a ${work === 'rewrites' ? 'rewrite' : 'scan'} takes grows with the table; every ${stops === 'reads and writes' ? 'query' : stops === 'writes' ? 'INSERT, UPDATE and DELETE' : 'UPDATE and DELETE'} on it queues behind the lock for that long, and so does everything queued behind them`,
    fix: r.held
      ? `move this statement into a migration of its own, so it does not run under the ${lock} lock of line ${r.held.line}`
      : (sl.form.saferForm ?? 'run it in a maintenance window, or raise --warn-rows if this size is acceptable'),
  };
}

/**
 * A partition created or attached while the parent's DEFAULT partition holds
 * at least `warnRows` rows: PostgreSQL reads all of it under ACCESS EXCLUSIVE
 * (and, for CREATE TABLE … PARTITION OF, the parent's ACCESS EXCLUSIVE), to
 * check that none of its rows belongs to the new bound. Seen on PostgreSQL
 * 18 and 15 ("verifying table" at DEBUG1, and the scan counters); a CHECK on
 * the DEFAULT partition that excludes the bound spares the read.
 */
/**
 * DETACH PARTITION takes ACCESS EXCLUSIVE on each table that references the
 * parent and reads it for rows that reference the partition; CONCURRENTLY
 * too (pg_locks and the scan counters, 18).
 */
function referencingReadWarning(
  r: StatementLockReport,
  k: { other: string; constraint: string },
  size: TableSize | undefined,
  warnRows: number,
): Finding | undefined {
  if (!size || size.rows === null || size.rows < warnRows) return undefined;
  return {
    rule: LOCK_WARNING_RULE.id,
    severity: 'warning',
    file: r.file,
    line: r.line,
    column: r.column,
    message: `DETACH PARTITION takes ACCESS EXCLUSIVE on ${size.table} (~${size.rows.toLocaleString('en-US')} rows, ${formatBytes(size.bytes ?? 0)}), which references ${r.table} through ${k.constraint}, and reads it for rows that reference the partition: reads and writes on ${size.table} wait until it ends`,
    why: 'the read takes as long as the referencing table is big, and every query on it queues behind the lock for that long; DETACH … CONCURRENTLY locks and reads it the same way',
    fix: `run it when writes to ${size.table} can wait; or first drop ${k.constraint}, detach, then add it again NOT VALID and VALIDATE CONSTRAINT it in a later migration (SHARE UPDATE EXCLUSIVE: writes go on)`,
  };
}

function defaultPartitionWarning(r: StatementLockReport, warnRows: number): Finding | undefined {
  const d = r.defaultPartition;
  // A validated CHECK on it may exclude the bound: not proved here, and not warned of.
  if (!d?.reads || d.checked || d.rows === null || d.rows < warnRows) return undefined;
  const parent = r.other?.role === 'parent' ? r.other.table : present(r.table);
  const waits = r.lock === 'ACCESS EXCLUSIVE' && r.table === parent ? `reads and writes on ${parent} and all its partitions` : `reads and writes on ${d.table}`;
  return {
    rule: LOCK_WARNING_RULE.id,
    severity: 'warning',
    file: r.file,
    line: r.line,
    column: r.column,
    message: `this takes ACCESS EXCLUSIVE on ${d.table}, the DEFAULT partition of ${parent} (~${d.rows.toLocaleString('en-US')} rows, ${formatBytes(d.bytes ?? 0)}), and reads all of it to check that none of its rows belongs to the new bound: ${waits} wait until it ends`,
    why: 'the read takes as long as the DEFAULT partition is big, and every query on the locked tables queues behind it for that long',
    fix: `first move the rows of the new bound out of ${d.table} and add a CHECK to it that excludes the bound (NOT VALID, then VALIDATE CONSTRAINT: SHARE UPDATE EXCLUSIVE): PostgreSQL then skips the read`,
  };
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v >= 10 ? 0 : 1)} ${units[u]}`;
}
