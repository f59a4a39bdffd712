/**
 * The lock one statement takes, read from its parse tree (PostgreSQL's own
 * parser, `../parse.ts`) and the form table (`forms.ts`): the lock on its
 * table, a second table's lock (a foreign key's referenced table, a partition's parent), and whether
 * it rewrites or scans the table under that lock. Pure: what needs the live
 * catalog (an index's table, a column's current type) is left to `plan.ts`;
 * whether a new column's default or domain rewrites the table is judged with
 * the rewrite context lint uses (functions' volatility, domains), when given.
 */
import { isZoneChange, rewritesOnTypeChange, rewritingColumnDefault, usingTransforms, type RewriteContext } from '../lint';
import { as, list, names, optionOn, rangeVar, typeNameText, type Node, type ParsedStatement, type RangeVar } from '../parser/parse';
import { form, type LockForm, type OtherRole } from './forms';
import { LOCK_MODES, strongest, type LockMode } from './modes';
import { present } from '../../engine/errors/present';

export interface RelationRef {
  schema?: string;
  name: string;
  /** An index stands for its table (resolved from the catalog). */
  kind: 'table' | 'index';
}

export interface StatementLock {
  form: LockForm;
  lock?: LockMode;
  table?: RelationRef;
  /** A second table's lock: the table a foreign key references, unless `role` says otherwise (a partition's parent, the partition detached). */
  other?: { table: RelationRef; lock: LockMode; role?: OtherRole };
  rewrites: boolean;
  scans: boolean;
  /** The form is not in the table: ACCESS EXCLUSIVE is assumed. */
  assumed: boolean;
  /**
   * Foreign keys of the statement's table it drops, or drops and adds again
   * (a type change of their column): each also takes ACCESS EXCLUSIVE on its
   * referenced table (pg_locks, PostgreSQL 18 and 15). Which keys those are
   * is the catalog's (`foreign-keys.ts`): all of them, one by name, or those
   * using a column.
   */
  foreignKeys?: ForeignKeysTouched[];
  /** Whose foreign keys `foreignKeys` are, when not `table`'s (ATTACH PARTITION: the parent's). */
  foreignKeysOn?: RelationRef;
  /** The generated columns SET EXPRESSION recomputes (a rewrite, unless each is virtual: `withVirtualColumns`). */
  expressions?: string[];
  /** The lock is on every table with a column of this domain (or of a domain over it): the catalog names them (`domain-tables.ts`). */
  domain?: { schema?: string; name: string };
  /** The statement's other tables, taken the same way as `table` (DROP TABLE a, b; TRUNCATE a, b; INHERITS (a, b); a second REFERENCES): plan gives each a row of its own. */
  moreTables?: RelationRef[];
  /** DROP TABLE … CASCADE: the views over the table go with it, each a row of its own where the catalog names them. */
  cascade?: true;
  /** CREATE INDEX … IF NOT EXISTS: the index's name (nothing is built or read when it exists). */
  ifNotExists?: string;
  /** The partitioned table whose DEFAULT partition the form also locks (`LockForm.defaultPartition`). */
  partitioned?: RelationRef;
  /** CREATE INDEX … ON ONLY: on a partitioned table it builds the parent's index alone and reads no row (a plain table's index is built as ever). */
  onlyParent?: true;
  /** Column type changes, for the catalog to tell a rewrite from a binary-compatible change. */
  typeChanges: { column: string; type: string; transforms: boolean }[];
  /** The index ADD PRIMARY KEY USING INDEX takes: its columns decide whether NOT NULL is set with a scan (`withKeyColumnsNotNull`). */
  primaryKeyIndex?: string;
  /** The columns SET NOT NULL (or ADD … NOT NULL) makes NOT NULL with a scan unless a validated CHECK proves them (`withNotNullProven`). */
  notNull?: string[];
  /** What the storage subcommands ask for (`withCurrentStorage`). */
  storage?: StorageTarget[];
  /**
   * What each subcommand costs, for an ALTER TABLE whose cost the catalog
   * or the model may lower (`by`: the refinement that can clear it): each
   * `with…` function clears its own parts, and the statement rewrites or
   * scans as long as a part still does, so refinements compose.
   */
  parts?: PartCost[];
}

/** The refinement that can show a subcommand rewrites or reads nothing. */
export type Refinement = 'type' | 'key' | 'notNull' | 'expression' | 'storage';

/** What SET LOGGED / UNLOGGED / TABLESPACE / ACCESS METHOD asks for: nothing is copied when the table has it already. */
export interface StorageTarget {
  persistence?: 'permanent' | 'unlogged';
  tablespace?: string;
  accessMethod?: string;
}

export interface PartCost {
  by?: Refinement;
  rewrites: boolean;
  scans: boolean;
}

export interface ForeignKeysTouched {
  by: 'all' | 'constraint' | 'column';
  /** The constraint's or the column's name. */
  name?: string;
  /**
   * `copies`: a new partition gets a copy of each of its parent's keys
   * (SHARE ROW EXCLUSIVE on the other table). `detaches`: a partition leaves
   * its parent's keys (ACCESS EXCLUSIVE on a table that references the
   * parent, read for rows that reference the partition; SHARE ROW EXCLUSIVE
   * on a table the parent references, whose key the partition keeps).
   */
  action: 'drops' | 'rebuilds' | 'copies' | 'detaches';
}

/** One subcommand's contribution: a form and what the statement says about it. */
interface Part {
  form: LockForm;
  primaryKeyIndex?: string;
  /** SET NOT NULL or ADD … NOT NULL of this column: a scan unless proved. */
  notNullColumn?: string;
  foreignKeys?: ForeignKeysTouched;
  /** SET EXPRESSION of this generated column: a rewrite unless it is virtual. */
  expressionOf?: string;
  /** SET LOGGED / UNLOGGED / TABLESPACE / ACCESS METHOD: a copy unless the table has it already. */
  storage?: StorageTarget;
  other?: { table: RelationRef; lock: LockMode };
  typeChange?: { column: string; type: string; transforms: boolean };
  assumed?: boolean;
}

const table = (r: RangeVar | undefined, kind: RelationRef['kind'] = 'table'): RelationRef | undefined =>
  r ? { schema: r.schema, name: r.name, kind } : undefined;

/** `[schema.]name` parts of a qualified-name list, e.g. DROP INDEX's objects. */
function qualifiedName(parts: string[], kind: RelationRef['kind']): RelationRef | undefined {
  if (parts.length === 0) return undefined;
  return parts.length > 1 ? { schema: parts[parts.length - 2], name: parts[parts.length - 1], kind } : { name: parts[0], kind };
}

function single(f: LockForm, t: RelationRef | undefined, extra: Partial<StatementLock> = {}): StatementLock {
  return { form: f, lock: f.lock, table: f.lock ? t : undefined, rewrites: f.rewrites, scans: f.scans, assumed: false, typeChanges: [], ...extra };
}

/** `rewrite`: the functions and domains known at this statement. @default - built-in functions only; no domain known */
export function statementLock(s: ParsedStatement, rewrite?: RewriteContext): StatementLock {
  const n = s.node;
  switch (s.kind) {
    case 'AlterTableStmt':
      return alterTable(n, rewrite);
    case 'IndexStmt':
      return single(form(n.concurrent ? 'create-index-concurrently' : 'create-index'), table(rangeVar(n.relation)), {
        ...(n.relation && (n.relation as Node).inh !== true ? { onlyParent: true as const } : {}),
        ...(n.if_not_exists === true && typeof n.idxname === 'string' ? { ifNotExists: n.idxname } : {}),
      });
    case 'DropStmt':
      return drop(n);
    case 'ReindexStmt':
      return reindex(n);
    case 'CreateStmt':
      return createTable(n);
    case 'TruncateStmt':
      return withMore(single(form('truncate'), relations(n.relations)[0]), relations(n.relations));
    case 'CreateTrigStmt':
      return single(form('create-trigger'), table(rangeVar(n.relation)));
    case 'CreatePolicyStmt':
    case 'AlterPolicyStmt':
      return single(form('policy'), table(rangeVar(n.table)));
    case 'RuleStmt':
      return single(form('policy'), table(rangeVar(n.relation)));
    case 'CommentStmt':
      return comment(n);
    case 'CreateStatsStmt':
      return single(form('comment'), table(rangeVar(as(list(n.relations)[0], 'RangeVar'))));
    case 'VacuumStmt':
      return vacuum(n);
    case 'ClusterStmt':
      return single(form('vacuum-full'), table(rangeVar(n.relation)));
    case 'RefreshMatViewStmt':
      return single(form(n.concurrent ? 'refresh-materialized-view-concurrently' : 'refresh-materialized-view'), table(rangeVar(n.relation)));
    case 'InsertStmt':
      return single(form('insert'), table(rangeVar(n.relation)));
    case 'CopyStmt':
      return copy(n);
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'MergeStmt':
      return single(form('update-delete'), table(rangeVar(n.relation)), { scans: s.kind === 'MergeStmt' || !n.whereClause });
    case 'SelectStmt':
      return select(n);
    case 'LockStmt':
      return lockTable(n);
    case 'RenameStmt':
      return rename(n);
    case 'AlterObjectSchemaStmt':
      return n.objectType === 'OBJECT_TABLE' ? single(form('alter-table-other'), table(rangeVar(n.relation))) : single(form('no-table-lock'), undefined);
    case 'GrantStmt':
      return n.objtype === 'OBJECT_TABLE'
        ? single(form('grant'), table(rangeVar(as(list(n.objects)[0], 'RangeVar'))))
        : single(form('no-table-lock'), undefined);
    case 'DoStmt':
    case 'CallStmt':
      return single(form('code'), undefined);
    case 'AlterDomainStmt':
      return alterDomain(n);
    case 'AlterSeqStmt':
    case 'CreateSeqStmt':
      return sequenceOwner(n);
    // ALL IN TABLESPACE names no table: the relations it moves are those of the tablespace (and owners) when it runs.
    case 'AlterTableMoveAllStmt':
      return single(form('move-all-tablespace'), undefined);
    default:
      return otherStatement(n);
  }
}

/** CREATE / ALTER SEQUENCE … OWNED BY table.column: ACCESS SHARE on the table (pg_locks, 18 and 15); without it (or OWNED BY NONE), no table lock. */
function sequenceOwner(n: Node): StatementLock {
  const owned = list(n.options)
    .map((o) => as(o, 'DefElem'))
    .find((d) => d?.defname === 'owned_by');
  const parts = list(as(owned?.arg, 'List')?.items).map((p) => String(as(p, 'String')?.sval ?? ''));
  if (parts.length < 2) return single(form('no-table-lock'), undefined);
  return single(form('sequence-owned-by'), { ...(parts.length > 2 ? { schema: parts[parts.length - 3] } : {}), name: parts[parts.length - 2], kind: 'table' });
}

/** A statement the table does not name: ACCESS EXCLUSIVE assumed when it names a relation, else no table lock. */
function otherStatement(n: Node): StatementLock {
  const rel = table(rangeVar(n.relation));
  if (!rel) return single(form('no-table-lock'), undefined);
  return { ...single(form('alter-table-other'), rel), assumed: true };
}

function alterTable(n: Node, rewrite: RewriteContext | undefined): StatementLock {
  const kind = n.objtype === 'OBJECT_INDEX' ? 'index' : 'table';
  const rel = table(rangeVar(n.relation), kind);
  if (n.objtype === 'OBJECT_INDEX') return alterIndex(n, rel);
  const cmds = list(n.cmds)
    .map((c) => as(c, 'AlterTableCmd'))
    .filter((c): c is Node => !!c);
  // ATTACH and DETACH PARTITION stand alone in their ALTER TABLE (PostgreSQL's grammar).
  const partition = cmds.length === 1 ? partitionCommand(cmds[0], rel) : undefined;
  if (partition) return partition;
  const parts = cmds.map((c) => alterCommand(c, rewrite));
  if (parts.length === 0) return single(form('alter-table-other'), rel);
  let lock: LockMode | undefined;
  let main = parts[0];
  for (const p of parts) {
    const next = strongest(lock, p.form.lock);
    // Among subcommands of the same lock, the first that rewrites or scans names the statement: its safer form is the fix.
    const costlier = next === lock && !(main.form.rewrites || main.form.scans) && (p.form.rewrites || p.form.scans);
    if (next !== lock || costlier) main = p;
    lock = next;
  }
  return {
    form: main.form,
    lock,
    table: rel,
    other: parts.find((p) => p.other)?.other,
    rewrites: parts.some((p) => p.form.rewrites),
    scans: parts.some((p) => p.form.scans),
    assumed: parts.some((p) => p.assumed),
    typeChanges: parts.flatMap((p) => (p.typeChange ? [p.typeChange] : [])),
    ...keyIndex(parts),
    ...columnsOf(parts, 'notNull', (p) => p.notNullColumn),
    ...columnsOf(parts, 'expressions', (p) => p.expressionOf),
    ...(parts.some((p) => p.storage) ? { storage: parts.flatMap((p) => (p.storage ? [p.storage] : [])) } : {}),
    ...costs(parts),
    ...(parts.some((p) => p.foreignKeys) ? { foreignKeys: parts.flatMap((p) => (p.foreignKeys ? [p.foreignKeys] : [])) } : {}),
  };
}

/** ALTER INDEX: its lock is on the index; SET TABLESPACE copies it, ATTACH PARTITION locks the partition's index too. */
function alterIndex(n: Node, index: RelationRef | undefined): StatementLock {
  const cmds = list(n.cmds)
    .map((c) => as(c, 'AlterTableCmd'))
    .filter((c): c is Node => !!c);
  const attach = cmds.find((c) => c.subtype === 'AT_AttachPartition');
  if (attach) {
    const f = form('attach-index-partition');
    const partitionIndex = table(rangeVar(as(attach.def, 'PartitionCmd')?.name), 'index');
    return single(f, index, { other: partitionIndex && { table: partitionIndex, lock: present(f.other), role: f.otherRole } });
  }
  return single(form(cmds.some((c) => c.subtype === 'AT_SetTableSpace') ? 'alter-index-tablespace' : 'alter-index'), index);
}

/**
 * ATTACH PARTITION locks the table it attaches ACCESS EXCLUSIVE and reads it
 * (unless a validated CHECK implies the bound), its parent only SHARE UPDATE
 * EXCLUSIVE: the partition is the statement's table. DETACH PARTITION locks
 * both ACCESS EXCLUSIVE (SHARE UPDATE EXCLUSIVE with CONCURRENTLY). Seen in
 * pg_locks on PostgreSQL 18 and 15 (forms.int.test.ts); either also locks a
 * DEFAULT partition ACCESS EXCLUSIVE, which the form's text says.
 */
function partitionCommand(cmd: Node, parent: RelationRef | undefined): StatementLock | undefined {
  const partition = table(rangeVar(as(cmd.def, 'PartitionCmd')?.name));
  if (cmd.subtype === 'AT_AttachPartition') {
    const f = form('attach-partition');
    // The partition gets a copy of each of the parent's foreign keys, validated: SHARE ROW EXCLUSIVE at their other ends.
    return single(f, partition, {
      other: parent && { table: parent, lock: present(f.other), role: f.otherRole },
      partitioned: parent,
      foreignKeys: [{ by: 'all', action: 'copies' }],
      foreignKeysOn: parent,
    });
  }
  if (cmd.subtype === 'AT_DetachPartition') {
    const f = form(as(cmd.def, 'PartitionCmd')?.concurrent ? 'detach-partition-concurrently' : 'detach-partition');
    // DETACH checks the parent's keys (pg_locks and the scan counters, 18 and 15; CONCURRENTLY too, seen on 18).
    return single(f, parent, {
      other: partition && { table: partition, lock: present(f.other), role: f.otherRole },
      partitioned: parent,
      foreignKeys: [{ by: 'all', action: 'detaches' }],
    });
  }
  return undefined;
}

/** The columns the subcommands name for one refinement (SET NOT NULL's, SET EXPRESSION's). */
function columnsOf<K extends 'notNull' | 'expressions'>(parts: Part[], key: K, column: (p: Part) => string | undefined): Pick<StatementLock, K> {
  const columns = parts.flatMap((p) => {
    const c = column(p);
    return c ? [c] : [];
  });
  return (columns.length ? { [key]: columns } : {}) as Pick<StatementLock, K>;
}

/** Which refinement can clear a subcommand's cost. */
function refinementOf(p: Part): Refinement | undefined {
  if (p.typeChange) return 'type';
  if (p.primaryKeyIndex) return 'key';
  if (p.storage) return 'storage';
  if (p.notNullColumn) return 'notNull';
  return p.expressionOf ? 'expression' : undefined;
}

/** Each subcommand's cost, when one of them can be refined. */
function costs(parts: Part[]): Pick<StatementLock, 'parts'> {
  if (!parts.some(refinementOf)) return {};
  return { parts: parts.map((p) => ({ ...(refinementOf(p) ? { by: refinementOf(p) } : {}), rewrites: p.form.rewrites, scans: p.form.scans })) };
}

/** `sl` with the parts `by` can clear cleared: it rewrites or scans only as long as another part does. */
function cleared(sl: StatementLock, by: Refinement): StatementLock {
  if (!sl.parts) return { ...sl, rewrites: false, scans: false };
  const parts = sl.parts.map((p) => (p.by === by ? { by, rewrites: false, scans: false } : p));
  return { ...sl, parts, rewrites: parts.some((p) => p.rewrites), scans: parts.some((p) => p.scans) };
}

/** The one ADD PRIMARY KEY USING INDEX among `parts` (PostgreSQL takes one key per table). */
function keyIndex(parts: Part[]): Pick<StatementLock, 'primaryKeyIndex'> {
  const key = parts.filter((p) => p.primaryKeyIndex);
  return key.length === 1 ? { primaryKeyIndex: key[0].primaryKeyIndex } : {};
}

const SUBCOMMAND_FORMS: Record<string, string> = {
  AT_DropColumn: 'drop-column',
  AT_ColumnDefault: 'set-default',
  AT_CookedColumnDefault: 'set-default',
  AT_SetNotNull: 'set-not-null',
  AT_DropNotNull: 'drop-not-null',
  AT_SetStatistics: 'set-statistics',
  AT_SetOptions: 'set-statistics',
  AT_ResetOptions: 'set-statistics',
  AT_SetStorage: 'set-storage',
  AT_SetCompression: 'set-storage',
  AT_ValidateConstraint: 'validate-constraint',
  AT_DropConstraint: 'drop-constraint',
  AT_AlterConstraint: 'alter-constraint',
  AT_SetRelOptions: 'set-options',
  AT_ResetRelOptions: 'set-options',
  AT_ClusterOn: 'set-options',
  AT_DropCluster: 'set-options',
  AT_EnableTrig: 'enable-trigger',
  AT_DisableTrig: 'enable-trigger',
  AT_EnableAlwaysTrig: 'enable-trigger',
  AT_EnableReplicaTrig: 'enable-trigger',
  AT_EnableTrigAll: 'enable-trigger',
  AT_DisableTrigAll: 'enable-trigger',
  AT_EnableTrigUser: 'enable-trigger',
  AT_DisableTrigUser: 'enable-trigger',
  AT_SetLogged: 'rewrite-storage',
  AT_SetUnLogged: 'rewrite-storage',
  AT_SetTableSpace: 'rewrite-storage',
  AT_SetAccessMethod: 'rewrite-storage',
  AT_ChangeOwner: 'alter-table-other',
  AT_ReplicaIdentity: 'alter-table-other',
  AT_EnableRowSecurity: 'alter-table-other',
  AT_DisableRowSecurity: 'alter-table-other',
  AT_ForceRowSecurity: 'alter-table-other',
  AT_NoForceRowSecurity: 'alter-table-other',
  AT_AddIdentity: 'alter-table-other',
  AT_SetIdentity: 'alter-table-other',
  AT_DropIdentity: 'alter-table-other',
  AT_AddInherit: 'alter-table-other',
  AT_DropInherit: 'alter-table-other',
};

function alterCommand(cmd: Node, rewrite: RewriteContext | undefined): Part {
  const subtype = String(cmd.subtype);
  if (subtype === 'AT_AddColumn') return addColumn(as(cmd.def, 'ColumnDef'), rewrite);
  if (subtype === 'AT_AddConstraint') return addConstraint(as(cmd.def, 'Constraint'));
  if (subtype === 'AT_SetNotNull' && typeof cmd.name === 'string') return { form: form('set-not-null'), notNullColumn: cmd.name };
  if (subtype === 'AT_SetExpression' && typeof cmd.name === 'string') return { form: form('set-expression'), expressionOf: cmd.name };
  const storage = storageTarget(cmd);
  if (storage) return { form: form('rewrite-storage'), storage };
  if (subtype === 'AT_AlterColumnType') {
    const def = as(cmd.def, 'ColumnDef');
    const column = String(cmd.name);
    return {
      form: form('alter-column-type'),
      typeChange: { column, type: typeNameText(def?.typeName), transforms: usingTransforms(def, column) },
      foreignKeys: { by: 'column', name: column, action: 'rebuilds' },
    };
  }
  if (subtype === 'AT_DropColumn' && typeof cmd.name === 'string')
    return { form: form('drop-column'), foreignKeys: { by: 'column', name: cmd.name, action: 'drops' } };
  if (subtype === 'AT_DropConstraint' && typeof cmd.name === 'string')
    return { form: form('drop-constraint'), foreignKeys: { by: 'constraint', name: cmd.name, action: 'drops' } };
  if ((subtype === 'AT_SetRelOptions' || subtype === 'AT_ResetRelOptions') && setsCatalogOption(cmd)) return { form: form('set-options-catalog') };
  const id = SUBCOMMAND_FORMS[subtype];
  return id ? { form: form(id) } : { form: form('alter-table-other'), assumed: true };
}

/** What a storage subcommand asks for; undefined for the others, and for one whose target is not named (SET ACCESS METHOD DEFAULT). */
function storageTarget(cmd: Node): StorageTarget | undefined {
  switch (cmd.subtype) {
    case 'AT_SetLogged':
      return { persistence: 'permanent' };
    case 'AT_SetUnLogged':
      return { persistence: 'unlogged' };
    case 'AT_SetTableSpace':
      return typeof cmd.name === 'string' ? { tablespace: cmd.name } : undefined;
    case 'AT_SetAccessMethod':
      return typeof cmd.name === 'string' ? { accessMethod: cmd.name } : undefined;
    default:
      return undefined;
  }
}

/** `user_catalog_table` is the one table storage parameter PostgreSQL sets under ACCESS EXCLUSIVE (the others: SHARE UPDATE EXCLUSIVE). */
function setsCatalogOption(cmd: Node): boolean {
  return list(as(cmd.def, 'List')?.items ?? cmd.def).some((d) => {
    const def = as(d, 'DefElem');
    return def?.defname === 'user_catalog_table' && def.defnamespace === undefined;
  });
}

const CONSTRAINTS_READING_ROWS = new Set(['CONSTR_CHECK', 'CONSTR_UNIQUE', 'CONSTR_PRIMARY', 'CONSTR_EXCLUSION']);

function addColumn(col: Node | undefined, rewrite: RewriteContext | undefined): Part {
  if (!col) return { form: form('add-column') };
  if (rewritingColumnDefault(col, rewrite)) return { form: form('add-column-rewrite') };
  const constraints = list(col.constraints).map((c) => as(c, 'Constraint'));
  const fk = constraints.find((c) => c?.contype === 'CONSTR_FOREIGN');
  const referenced = table(rangeVar(fk?.pktable));
  const other = referenced && { table: referenced, lock: 'SHARE ROW EXCLUSIVE' as const };
  // A CHECK is verified and an index built over every row; a foreign key is validated when a DEFAULT fills the column ("verifying table", "validating foreign key constraint" on 18 and 15).
  const reads =
    constraints.some((c) => c && CONSTRAINTS_READING_ROWS.has(String(c.contype))) || (!!fk && constraints.some((c) => c?.contype === 'CONSTR_DEFAULT'));
  if (reads) return { form: form('add-column-constrained'), ...(other ? { other } : {}) };
  // NOT NULL with no value to fill the rows: each is read for a NULL ("verifying table", 13 to 18); a constant default fills them unread.
  if (constraints.some((c) => c?.contype === 'CONSTR_NOTNULL') && nullDefault(constraints))
    return { form: form('add-column-not-null'), ...(other ? { other } : {}) };
  return other ? { form: form('add-column-references'), other } : { form: form('add-column') };
}

/** No DEFAULT, or DEFAULT NULL. */
function nullDefault(constraints: (Node | undefined)[]): boolean {
  const d = constraints.find((c) => c?.contype === 'CONSTR_DEFAULT');
  return !d || as(d.raw_expr, 'A_Const')?.isnull === true;
}

function addConstraint(con: Node | undefined): Part {
  switch (con?.contype) {
    case 'CONSTR_CHECK':
      return { form: form(con.skip_validation ? 'add-check-not-valid' : 'add-check') };
    // PostgreSQL 18: NOT VALID records the constraint without reading a row (VALIDATE reads them).
    case 'CONSTR_NOTNULL':
      return con.skip_validation ? { form: form('add-check-not-valid') } : { form: form('set-not-null'), notNullColumn: names(con.keys)[0] };
    case 'CONSTR_FOREIGN': {
      const f = form(con.skip_validation ? 'add-foreign-key-not-valid' : 'add-foreign-key');
      const referenced = table(rangeVar(con.pktable));
      return { form: f, other: referenced ? { table: referenced, lock: 'SHARE ROW EXCLUSIVE' } : undefined };
    }
    case 'CONSTR_UNIQUE':
      return { form: form(con.indexname ? 'add-constraint-using-index' : 'add-unique') };
    case 'CONSTR_PRIMARY':
      // Its columns become NOT NULL: a scan unless each is NOT NULL already or a validated CHECK proves it (known to plan, not here).
      return typeof con.indexname === 'string' ? { form: form('add-primary-key-using-index'), primaryKeyIndex: con.indexname } : { form: form('add-unique') };
    case 'CONSTR_EXCLUSION':
      return { form: form('add-unique') };
    default:
      return { form: form('alter-table-other'), assumed: true };
  }
}

/** `sl` with the rest of `all` (its first is `sl.table`) as its other tables. */
function withMore(sl: StatementLock, all: (RelationRef | undefined)[]): StatementLock {
  if (!sl.table) return sl;
  const key = (r: RelationRef) => `${r.schema ?? ''}.${r.name}`;
  const seen = new Set([key(sl.table)]);
  const more: RelationRef[] = [];
  for (const r of all.slice(1)) {
    if (r && !seen.has(key(r))) {
      seen.add(key(r));
      more.push(r);
    }
  }
  return more.length ? { ...sl, moreTables: more } : sl;
}

/** The tables of a list of RangeVars (TRUNCATE's, LOCK's). */
function relations(v: unknown): (RelationRef | undefined)[] {
  return list(v).map((r) => table(rangeVar(as(r, 'RangeVar'))));
}

function drop(n: Node): StatementLock {
  const objects = list(n.objects).map((o) => names(as(o, 'List')?.items));
  const first = objects[0] ?? [];
  switch (n.removeType) {
    case 'OBJECT_INDEX':
      return withMore(
        single(form(n.concurrent ? 'drop-index-concurrently' : 'drop-index'), qualifiedName(first, 'index')),
        objects.map((o) => qualifiedName(o, 'index')),
      );
    case 'OBJECT_TABLE':
      return withMore(
        single(form('drop-table'), qualifiedName(first, 'table'), {
          foreignKeys: [{ by: 'all', action: 'drops' }],
          ...(n.behavior === 'DROP_CASCADE' ? { cascade: true as const } : {}),
        }),
        objects.map((o) => qualifiedName(o, 'table')),
      );
    case 'OBJECT_TRIGGER':
      return single(form('drop-trigger'), qualifiedName(first.slice(0, -1), 'table'));
    case 'OBJECT_POLICY':
    case 'OBJECT_RULE':
      return single(form('policy'), qualifiedName(first.slice(0, -1), 'table'));
    default:
      return single(form('no-table-lock'), undefined);
  }
}

function reindex(n: Node): StatementLock {
  const concurrently = optionOn(n.params, 'concurrently');
  const kind = n.kind === 'REINDEX_OBJECT_INDEX' ? 'index' : 'table';
  return single(form(concurrently ? 'reindex-concurrently' : 'reindex'), table(rangeVar(n.relation), kind));
}

/**
 * ALTER DOMAIN that checks the stored values (ADD CONSTRAINT without NOT
 * VALID, SET NOT NULL, VALIDATE CONSTRAINT) takes SHARE on every table with
 * a column of the domain, or of a domain over it, and reads each: seen in
 * pg_locks and the scan counters on PostgreSQL 18 and 15, VALIDATE included
 * (not SHARE UPDATE EXCLUSIVE as for a table's constraint). The rest (NOT
 * VALID, DROP, DEFAULT) locks no table.
 */
function alterDomain(n: Node): StatementLock {
  const con = as(n.def, 'Constraint');
  const reads = n.subtype === 'O' || n.subtype === 'V' || (n.subtype === 'C' && !con?.skip_validation);
  const parts = names(n.typeName);
  if (!reads || parts.length === 0) return single(form('no-table-lock'), undefined);
  const name = parts[parts.length - 1];
  return { ...single(form('alter-domain-check'), undefined), domain: parts.length > 1 ? { schema: parts[parts.length - 2], name } : { name } };
}

/**
 * A new table locks nothing that exists, except the tables its foreign keys
 * reference and its parent: ACCESS EXCLUSIVE for a partition (PARTITION OF),
 * SHARE UPDATE EXCLUSIVE for INHERITS (pg_locks, PostgreSQL 18 and 15).
 */
function createTable(n: Node): StatementLock {
  const parents = relations(n.inhRelations);
  const parent = parents[0];
  if (parent && n.partbound) return single(form('create-partition'), parent, { partitioned: parent, foreignKeys: [{ by: 'all', action: 'copies' }] });
  if (parent) return withMore(single(form('create-table-inherits'), parent), parents);
  const constraints = list(n.tableElts).flatMap((e) => {
    const col = as(e, 'ColumnDef');
    return col ? list(col.constraints).map((c) => as(c, 'Constraint')) : [as(e, 'Constraint')];
  });
  const referenced = constraints.filter((c) => c?.contype === 'CONSTR_FOREIGN').map((c) => table(rangeVar(present(c).pktable)));
  return referenced[0] ? withMore(single(form('create-table-references'), referenced[0]), referenced) : single(form('create-table'), undefined);
}

function comment(n: Node): StatementLock {
  if (n.objtype !== 'OBJECT_TABLE' && n.objtype !== 'OBJECT_COLUMN') return single(form('no-table-lock'), undefined);
  const parts = names(as(n.object, 'List')?.items);
  return single(form('comment'), qualifiedName(n.objtype === 'OBJECT_COLUMN' ? parts.slice(0, -1) : parts, 'table'));
}

function vacuum(n: Node): StatementLock {
  const rels = list(n.rels).map((r) => table(rangeVar(as(r, 'VacuumRelation')?.relation)));
  const id = !n.is_vacuumcmd ? 'analyze' : optionOn(n.options, 'full') ? 'vacuum-full' : 'vacuum';
  return withMore(single(form(id), rels[0]), rels);
}

/** COPY of a table, or (TO) of a query: read as that SELECT is. */
function copy(n: Node): StatementLock {
  if (n.relation) return single(form(n.is_from ? 'copy-from' : 'copy-to'), table(rangeVar(n.relation)));
  const query = as(n.query, 'SelectStmt');
  return query ? select(query) : single(form('no-table-lock'), undefined);
}

/** A locking clause (FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE) takes ROW SHARE and locks the rows it returns. */
function select(n: Node): StatementLock {
  const from = table(rangeVar(as(list(n.fromClause)[0], 'RangeVar')));
  if (!from) return single(form('no-table-lock'), undefined);
  return single(form(list(n.lockingClause).length ? 'select-for-update' : 'select'), from, { scans: !n.whereClause });
}

function lockTable(n: Node): StatementLock {
  const mode = LOCK_MODES[Number(n.mode ?? 8) - 1] ?? 'ACCESS EXCLUSIVE';
  return { ...withMore(single(form('lock-table'), relations(n.relations)[0]), relations(n.relations)), lock: mode };
}

function rename(n: Node): StatementLock {
  if (n.renameType === 'OBJECT_INDEX') return single(form('alter-index'), table(rangeVar(n.relation), 'index'));
  const rel = table(rangeVar(n.relation));
  return rel ? single(form('alter-table-other'), rel) : single(form('no-table-lock'), undefined);
}

/**
 * The lock once the current types of the changed columns are known (from the
 * catalog): a change that is binary-compatible for every column neither
 * rewrites nor scans, unless its USING clause computes the value; timestamp ↔
 * timestamptz is one when the database's sessions run in UTC (`utcSessions`,
 * `LintCatalog`). `currentType` returns undefined for a column it does not know.
 */
export function withCurrentTypes(sl: StatementLock, currentType: (column: string) => string | undefined, utcSessions?: boolean): StatementLock {
  if (sl.typeChanges.length === 0 || sl.form.id !== 'alter-column-type') return sl;
  const compatible = sl.typeChanges.every((c) => {
    const before = currentType(c.column);
    return before !== undefined && !c.transforms && (!rewritesOnTypeChange(before, c.type) || (utcSessions === true && isZoneChange(before, c.type)));
  });
  return compatible ? { ...cleared(sl, 'type'), form: form('alter-column-type-compatible') } : sl;
}

/**
 * SET LOGGED / UNLOGGED / TABLESPACE / ACCESS METHOD once the table's own
 * are known (from the catalog): asking for what it has copies nothing (its
 * file node kept, PostgreSQL 18 and 15). `current` undefined: not known.
 */
export function withCurrentStorage(sl: StatementLock, current: Required<StorageTarget> | undefined): StatementLock {
  if (!sl.storage || !current) return sl;
  const has = (t: StorageTarget) =>
    (t.persistence ?? current.persistence) === current.persistence &&
    (t.tablespace ?? current.tablespace) === current.tablespace &&
    (t.accessMethod ?? current.accessMethod) === current.accessMethod;
  return sl.storage.every(has) ? cleared(sl, 'storage') : sl;
}

/**
 * SET EXPRESSION once it is known which of its columns are virtual (the
 * migrations' model): PostgreSQL 18 recomputes a STORED column's values into
 * a new file ("rewriting table"), and a virtual one's nowhere (the file node
 * kept, no scan; checked on PostgreSQL 18). With every column virtual, the
 * other subcommands decide. `virtual`: whether a column is known virtual.
 */
export function withVirtualColumns(sl: StatementLock, virtual: (column: string) => boolean): StatementLock {
  return sl.expressions?.every(virtual) ? cleared(sl, 'expression') : sl;
}

/**
 * SET NOT NULL (or ADD … NOT NULL) once it is known which of its columns a
 * validated CHECK does not prove (lint's `notNullProven`, from the migrations'
 * model): with none left, PostgreSQL 12+ reads no row ("existing constraints
 * on column … are sufficient to prove that it does not contain nulls"), and
 * the statement scans only if another subcommand does. Checked against the
 * scan counter on PostgreSQL 18 and 15 (plan-locks.int.test.ts).
 */
export function withNotNullProven(sl: StatementLock, unproven: string[] | undefined): StatementLock {
  return sl.notNull && unproven?.length === 0 ? cleared(sl, 'notNull') : sl;
}

/**
 * CREATE INDEX … IF NOT EXISTS once it is known whether the index is there
 * (the migrations' model): PostgreSQL takes the table's lock, then finds the
 * name and builds nothing, reading no row (plan --trace, 13 to 18).
 */
export function withIndexThere(sl: StatementLock, there: boolean): StatementLock {
  return sl.ifNotExists && there ? { ...sl, scans: false } : sl;
}

/**
 * ADD PRIMARY KEY USING INDEX once its index's columns are known (from the
 * migrations' model or the catalog): when none of them is nullable, no NOT
 * NULL is set and nothing is scanned. Checked on PostgreSQL 15 and 18: with
 * a nullable column, "verifying table" and a sequential scan under ACCESS
 * EXCLUSIVE; with the column NOT NULL, or proved so by a validated CHECK,
 * neither, also beside other subcommands of its ALTER TABLE (ADD COLUMN, SET
 * DEFAULT): the statement then scans only if one of those does. `nullable`: the columns that still need NOT NULL, undefined when unknown.
 */
export function withKeyColumnsNotNull(sl: StatementLock, nullable: string[] | undefined): StatementLock {
  if (!sl.primaryKeyIndex || nullable === undefined || nullable.length > 0) return sl;
  const keyForm = sl.form.id === 'add-primary-key-using-index' ? form('add-constraint-using-index') : sl.form;
  return { ...cleared(sl, 'key'), form: keyForm };
}
