/**
 * The pending-set model: what lint knows of the schema at each statement,
 * built from the migrations in order (applied ones included). Rules ask it
 * "did this table exist before this run?", "what is this column's type
 * now?", "is this CHECK validated?" — always about the state just before
 * the statement (or ALTER TABLE subcommand) they look at.
 *
 * Names follow the schema as PostgreSQL would: `ALTER TABLE … RENAME TO`,
 * `RENAME COLUMN`, `RENAME CONSTRAINT`, `SET SCHEMA`, `ALTER SCHEMA …
 * RENAME`, `ALTER INDEX … RENAME` and DROPs move or remove what they name,
 * so a table created and renamed in the pending set stays new, and a renamed
 * column keeps its type. Unqualified names resolve through the file's
 * search path (`SET search_path`, `set_config`; each file starts from the
 * default, as each migration runs in a clean session).
 *
 * Views and materialized views are followed by name through the same
 * renames, moves and drops (a view's columns are not), so a view created in
 * the pending set is new too.
 *
 * A table that no migration creates is an existing table whose columns are
 * unknown, unless lint has a database: then they are the database's, and a
 * table the database lacks is not there (`useDatabase`); where the replay
 * of the applied files and the database disagree, the database wins. Functions (for volatility) and domains (a domain with constraints
 * makes ADD COLUMN rewrite) are followed too.
 */
import { as, list, names, parseSql, plpgsqlStatements, rangeVar, typeNameText, type Node, type ParsedStatement, type RangeVar } from '../parser/parse';
import { cutToBytes } from '../names/object-names';
import { searchPathSchemas } from '../names/search-path';
import { applyFunctionStatement } from './model-functions';
import { applyAlterCommand, constraintIndexes, createdTable, notNullSettled } from './model-tables';
import type { AlterTarget, CommandHook, DomainModel, FunctionScope, ModelFunction, TableModel } from './model-types';
import type { LintCatalog } from './catalog';
import { DatabaseTables, disagreementNote } from './model-database';
import type { LintSource } from './source';
import { get, present } from '../../engine/errors/present';

export type { AlterTarget, ColumnModel, CommandHook, ConstraintKind, ConstraintModel, DomainModel, ModelFunction, TableModel } from './model-types';

const DEFAULT_SEARCH_PATH = ['public'];

/** A DO block's body is read for DDL only when it says one of these words, and is at most this long. */
const DDL_WORDS = /\b(?:create|alter|drop)\s|\brename\b/i;
const DO_BODY_MAX_CHARS = 256 * 1024;

/** The relations the model follows by name: tables, views, materialized views. */
const RELATIONS = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW']);

export class PendingModel implements FunctionScope {
  private readonly tables = new Map<string, TableModel>();
  /** `schema.index` → `schema.table`. */
  private readonly indexes = new Map<string, string>();
  private readonly domains = new Map<string, DomainModel>();
  /** Schemas created (or renamed into their name) by a pending migration: the application running before this run does not know them. */
  private readonly newSchemas = new Set<string>();
  /** Schemas a pending migration renamed: the name the database has, by the name now. */
  private readonly databaseSchemas = new Map<string, string>();
  /** Indexes no migration made that a pending migration renamed: the name the database has, by `schema.name` now. */
  private readonly databaseIndexes = new Map<string, string>();
  /** Functions created by the migrations read so far. */
  readonly functions: ModelFunction[] = [];
  /** What a file's session starts with: `public`, or the database's own (`current_schemas(false)`) when lint has one. */
  private defaultPath: string[] = DEFAULT_SEARCH_PATH;
  private path: string[] = DEFAULT_SEARCH_PATH;
  /** The database's tables, when lint has a database (`useDatabase`). */
  private database?: DatabaseTables;
  private current?: LintSource;
  private zoneUtc?: boolean;

  /** A new file: a clean session (default search_path and TimeZone). */
  startFile(src: LintSource): void {
    this.current = src;
    this.path = this.defaultPath;
    this.zoneUtc = undefined;
  }

  /**
   * Whether the file's own `SET TimeZone` (or `SET TIME ZONE`) put the
   * session in UTC (offset 0 all year) at this point of the file; undefined
   * while the file has set none (the database's or role's setting decides).
   */
  get sessionUtc(): boolean | undefined {
    return this.zoneUtc;
  }

  get source(): LintSource {
    if (!this.current) throw new Error('PendingModel: startFile() first');
    return this.current;
  }

  /** Schemas an unqualified name is looked up in, in order. */
  get searchPath(): readonly string[] {
    return this.path;
  }

  /** Whether the file has not set its own search_path (so far): an unqualified name means what it means to the session. */
  get searchPathIsDefault(): boolean {
    return this.path === this.defaultPath;
  }

  /** The schema unqualified CREATEs go to. */
  creationSchema(): string {
    return this.path.find((s) => s !== '$user' && s !== 'pg_catalog' && s !== 'pg_temp') ?? 'public';
  }

  /** The name the database has for an index of `schema` called `name` now (a pending migration may have renamed it). */
  databaseIndexName(schema: string, name: string): string {
    const here = this.databaseIndexes.get(`${schema}.${name}`);
    if (here !== undefined) return here;
    // Renamed, then moved with its table by SET SCHEMA: the rename was recorded under the schema it had then
    // (the index of the database is not known to belong to that table, so it was not moved with it).
    const moved = [...this.databaseIndexes].find(([key]) => splitKey(key)[1] === name);
    return moved?.[1] ?? name;
  }

  /** The schemas a session of the database searches (`current_schemas(false)`): where each file's unqualified names go. */
  useDatabaseSearchPath(schemas: readonly string[]): void {
    if (schemas.length) this.defaultPath = [...schemas];
  }

  /**
   * The database's tables, before the first pending file: the tables the
   * applied files made are made what the database has (columns, indexes; a
   * table it lacks goes), and a table first named later gets the database's
   * columns when it is. Returns a note when the two disagreed.
   */
  useDatabase(catalog: LintCatalog): string | undefined {
    const db = (this.database = new DatabaseTables(catalog));
    const differences = new Map<string, string[]>();
    for (const [key, t] of [...this.tables]) {
      if (t.isNew) continue;
      const { schema, name } = t.databaseName ?? t;
      if (db.lacks(schema, name)) {
        this.dropTable(key);
        if (!t.placeholder) differences.set(key, ['not in the database']);
        continue;
      }
      const what = [...db.reconcileColumns(t, schema, name), ...this.reconcileIndexes(key, db.indexesOf(schema, name))];
      if (what.length) differences.set(key, what);
    }
    return disagreementNote(differences);
  }

  /** The table's indexes as the database has them: those the replay made and the database lacks go (CREATE INDEX IF NOT EXISTS builds them). */
  private reconcileIndexes(key: string, inDatabase: ReadonlySet<string> | undefined): string[] {
    if (!inDatabase) return [];
    const gone: string[] = [];
    for (const [idx, table] of [...this.indexes]) {
      const name = splitKey(idx)[1];
      if (table !== key || inDatabase.has(name)) continue;
      this.indexes.delete(idx);
      this.tables.get(key)?.indexColumns?.delete(name);
      gone.push(`index ${name} is not in the database`);
    }
    const schema = splitKey(key)[0];
    for (const name of inDatabase) if (!this.indexes.has(`${schema}.${name}`)) this.indexes.set(`${schema}.${name}`, key);
    return gone;
  }

  private seed(t: TableModel): void {
    const db = t.databaseName ?? t;
    if (this.database?.lacks(db.schema, db.name)) t.notInDatabase = true;
    for (const [name, c] of this.database?.columnsOf(db.schema, db.name) ?? []) {
      const known = t.columns.get(name);
      if (!known) t.columns.set(name, { type: c.type, notNull: c.notNull });
      else known.type ??= c.type;
    }
  }

  /** `schema.name` of a table reference: through the search path when unqualified. */
  keyOf(r: { schema?: string; name: string }): string {
    if (r.schema) return `${r.schema}.${r.name}`;
    const found = this.path.map((s) => `${s}.${r.name}`).find((k) => this.tables.has(k));
    return found ?? `${this.creationSchema()}.${r.name}`;
  }

  table(r: { schema?: string; name: string }): TableModel | undefined {
    return this.tables.get(this.keyOf(r));
  }

  /** Existing = not created by a pending migration of this run (a table no migration creates exists, unless the database lint read lacks it). */
  isExisting(r: { schema?: string; name: string }): boolean {
    const t = this.table(r);
    if (t) return !t.isNew && !t.notInDatabase;
    const [schema, name] = splitKey(this.keyOf(r));
    return !this.database?.lacks(schema, name);
  }

  /** Whether the application running before this run knows the relation by this name: existing, and not given the name by a pending migration. */
  isNamedBeforeRun(r: { schema?: string; name: string }): boolean {
    return this.isExisting(r) && !(this.table(r)?.renamedInPending ?? false);
  }

  /** Whether a pending migration created the schema or gave it its name. */
  isSchemaNew(schema: string): boolean {
    return this.newSchemas.has(schema);
  }

  /** The tables, views and materialized views in a schema that the migrations made, by name. */
  relationsIn(schema: string): TableModel[] {
    return [...this.tables.values()].filter((t) => t.schema === schema).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The table, made known (columns unknown) when no migration created it. */
  tableOrPlaceholder(r: RangeVar): TableModel {
    const key = this.keyOf(r);
    let t = this.tables.get(key);
    if (!t) {
      const [schema, name] = splitKey(key);
      t = { schema, name, isNew: false, placeholder: true, columns: new Map(), primaryKey: [], constraints: new Map() };
      const schemaInDatabase = this.databaseSchemas.get(schema);
      if (schemaInDatabase) t.databaseName = { schema: schemaInDatabase, name };
      this.seed(t);
      this.tables.set(key, t);
    }
    return t;
  }

  domain(typeName: unknown): DomainModel | undefined {
    const parts = names((typeName as Node | undefined)?.names);
    if (parts.length === 0) return undefined;
    const name = parts[parts.length - 1];
    const keys = parts.length > 1 ? [`${parts[parts.length - 2]}.${name}`] : this.path.map((s) => `${s}.${name}`);
    return keys.map((k) => this.domains.get(k)).find((d) => d !== undefined);
  }

  /** Apply one statement; `onCommand` sees each ALTER TABLE subcommand before it is applied. */
  apply(s: ParsedStatement, onCommand?: CommandHook): void {
    const n = s.node;
    switch (s.kind) {
      case 'CreateStmt':
        return this.createTable(n);
      case 'CreateTableAsStmt':
        return this.createTableAs(n);
      case 'ViewStmt':
        return this.createView(n);
      case 'AlterTableStmt':
        return this.alterTable(s, onCommand);
      case 'IndexStmt':
        return this.createIndex(n);
      case 'RenameStmt':
        return this.rename(n);
      case 'AlterObjectSchemaStmt':
        return this.setSchema(n);
      case 'DropStmt':
        this.drop(n);
        return applyFunctionStatement(this, s);
      case 'UpdateStmt':
      case 'MergeStmt':
        return this.written(rangeVar(n.relation));
      case 'InsertStmt':
        return (n.onConflictClause as Node | undefined)?.action === 'ONCONFLICT_UPDATE' ? this.written(rangeVar(n.relation)) : undefined;
      case 'DoStmt':
        this.doBlock(s);
        this.setConfig(n);
        return this.written(undefined);
      case 'CallStmt':
      case 'SelectStmt':
        this.setConfig(n);
        return this.written(undefined);
      case 'CreateSchemaStmt':
        if (this.isNewHere() && typeof n.schemaname === 'string') this.newSchemas.add(n.schemaname);
        return undefined;
      case 'CreateDomainStmt':
        return this.createDomain(n);
      case 'AlterDomainStmt':
        return this.alterDomain(n);
      case 'VariableSetStmt':
        return this.setVariable(n);
      default:
        applyFunctionStatement(this, s);
    }
  }

  /** Rows of `r` (of every table when undefined: code lint cannot follow) may have been written: no column is known to be NULL in every row any more. */
  private written(r: RangeVar | undefined): void {
    const tables = r ? [this.table(r)] : [...this.tables.values()];
    for (const t of tables) for (const c of t?.columns.values() ?? []) delete c.nullInEveryRow;
  }

  private isNewHere(): boolean {
    return !this.source.applied;
  }

  private createTable(n: Node): void {
    const rel = rangeVar(n.relation);
    if (!rel) return;
    const key = this.keyOf({ schema: rel.schema ?? this.creationSchema(), name: rel.name });
    if (n.if_not_exists && this.tables.has(key)) return;
    const [schema, name] = splitKey(key);
    const t = createdTable(n, { schema, name, isNew: this.isNewHere() }, (r) => this.table(r));
    this.tables.set(key, t);
    for (const index of constraintIndexes(t)) this.indexes.set(`${schema}.${index}`, key);
    const parent = n.partbound ? rangeVar(as(list(n.inhRelations)[0], 'RangeVar')) : undefined;
    // A partition of a table of the database is kept on a placeholder of it: lint with a database knows the others (LintCatalog.partitionedTables).
    if (parent) (this.table(parent) ?? this.tableOrPlaceholder(parent)).partitions ??= [];
    if (parent) present(present(this.table(parent)).partitions).push(t);
  }

  /** ATTACH / DETACH PARTITION: the partitioned table's list of partitions. */
  private partitionCommand(parent: TableModel, cmd: Node): void {
    const r = rangeVar(as(cmd.def, 'PartitionCmd')?.name);
    const child = r ? this.table(r) : undefined;
    if (!child) return;
    parent.partitions = (parent.partitions ?? []).filter((p) => p !== child);
    if (cmd.subtype === 'AT_AttachPartition') parent.partitions.push(child);
  }

  /** Whether `t` is a partition of a partitioned table the migrations made (PARTITION OF, or attached and not detached). */
  isPartition(t: TableModel): boolean {
    return [...this.tables.values()].some((p) => p.partitions?.includes(t));
  }

  /** The partitions of a partitioned table that still exist (a dropped one leaves its parent's list here). */
  partitionsOf(t: TableModel): TableModel[] {
    return (t.partitions ?? []).filter((p) => this.tables.get(`${p.schema}.${p.name}`) === p);
  }

  private createTableAs(n: Node): void {
    const rel = rangeVar((n.into as Node | undefined)?.rel);
    if (!rel) return;
    const key = this.keyOf({ schema: rel.schema ?? this.creationSchema(), name: rel.name });
    if (n.if_not_exists && this.tables.has(key)) return;
    const [schema, name] = splitKey(key);
    this.tables.set(key, { schema, name, isNew: this.isNewHere(), columns: new Map(), primaryKey: [], constraints: new Map() });
  }

  /** CREATE [OR REPLACE] VIEW: a name, new when this is a pending file (a replaced view stays what it was). */
  private createView(n: Node): void {
    const rel = rangeVar(n.view);
    if (!rel) return;
    const key = this.keyOf({ schema: rel.schema ?? this.creationSchema(), name: rel.name });
    if (this.tables.has(key)) return;
    const [schema, name] = splitKey(key);
    this.tables.set(key, { schema, name, isNew: this.isNewHere(), columns: new Map(), primaryKey: [], constraints: new Map(), view: true });
  }

  private alterTable(s: ParsedStatement, onCommand?: CommandHook): void {
    if (s.node.objtype !== 'OBJECT_TABLE') return;
    const rel = rangeVar(s.node.relation);
    if (!rel) return;
    const existing = this.isExisting(rel);
    const target: AlterTarget = { rel, table: this.tableOrPlaceholder(rel), existing };
    for (const c of list(s.node.cmds)) {
      const cmd = as(c, 'AlterTableCmd');
      if (!cmd) continue;
      onCommand?.(target, cmd);
      if (cmd.subtype === 'AT_AttachPartition' || cmd.subtype === 'AT_DetachPartition') this.partitionCommand(target.table, cmd);
      const index = applyAlterCommand(target.table, cmd, {
        file: this.source.file,
        line: s.line,
        statement: s.text,
        transactional: !this.source.noTransaction,
        pending: !this.source.applied,
      });
      if (index) this.indexes.set(`${target.table.schema}.${index}`, this.keyOf(rel));
      // ADD CONSTRAINT name … USING INDEX renames the index to the constraint's name.
      const using = cmd.subtype === 'AT_AddConstraint' ? as(cmd.def, 'Constraint')?.indexname : undefined;
      if (index && typeof using === 'string' && using !== index) this.indexes.delete(`${target.table.schema}.${using}`);
      const added = cmd.subtype === 'AT_AddColumn' ? as(cmd.def, 'ColumnDef') : undefined;
      // A column of a domain with a DEFAULT is filled with it.
      if (added && this.domain(added.typeName)?.hasDefault) delete target.table.columns.get(String(added.colname))?.nullInEveryRow;
    }
  }

  private createIndex(n: Node): void {
    const rel = rangeVar(n.relation);
    if (!rel || typeof n.idxname !== 'string') return;
    this.indexes.set(`${this.keyOf(rel).split('.')[0]}.${n.idxname}`, this.keyOf(rel));
    const columns = list(n.indexParams).map((p) => as(p, 'IndexElem')?.name);
    // On a table of the database too: its key then tells which columns a later USING INDEX covers.
    const t = this.tableOrPlaceholder(rel);
    if (columns.every((c): c is string => typeof c === 'string')) (t.indexColumns ??= new Map()).set(n.idxname, columns);
  }

  /** The key columns of an index CREATE INDEX made (not on an expression), with its table; undefined when unknown. */
  indexKey(r: { schema?: string; name: string }): { table: TableModel; columns: string[] } | undefined {
    const table = this.indexTable(r);
    const columns = table?.indexColumns?.get(r.name);
    return table && columns ? { table, columns } : undefined;
  }

  /** The table of an index the migrations made (CREATE INDEX, or behind a PRIMARY KEY, UNIQUE or EXCLUDE constraint). */
  indexTable(r: { schema?: string; name: string }): TableModel | undefined {
    const keys = r.schema ? [`${r.schema}.${r.name}`] : this.path.map((s) => `${s}.${r.name}`);
    const table = keys.map((k) => this.indexes.get(k)).find((t) => t !== undefined);
    return table === undefined ? undefined : this.tables.get(table);
  }

  /** Whether an index of this name exists (created by a migration). */
  hasIndex(schema: string | undefined, name: string): boolean {
    const keys = schema ? [`${schema}.${name}`] : this.path.map((s) => `${s}.${name}`);
    return keys.some((k) => this.indexes.has(k));
  }

  private rename(n: Node): void {
    switch (n.renameType) {
      case 'OBJECT_TABLE':
      case 'OBJECT_VIEW':
      case 'OBJECT_MATVIEW':
        return this.moveTable(rangeVar(n.relation), undefined, String(n.newname));
      case 'OBJECT_COLUMN':
        return this.renameColumn(rangeVar(n.relation), String(n.subname), String(n.newname));
      case 'OBJECT_TABCONSTRAINT':
        return this.renameConstraint(rangeVar(n.relation), String(n.subname), String(n.newname));
      case 'OBJECT_INDEX':
        return this.renameIndex(rangeVar(n.relation), String(n.newname));
      case 'OBJECT_SCHEMA':
        return this.renameSchema(String(n.subname), String(n.newname));
      default:
    }
  }

  private setSchema(n: Node): void {
    if (RELATIONS.has(String(n.objectType))) this.moveTable(rangeVar(n.relation), String(n.newschema), undefined);
  }

  /** RENAME TO / SET SCHEMA: the table keeps what it is (new or existing), its columns and constraints. */
  private moveTable(r: RangeVar | undefined, schema: string | undefined, name: string | undefined): void {
    if (!r) return;
    const from = this.keyOf(r);
    const t = this.tableOrPlaceholder(r);
    this.tables.delete(from);
    if (this.isNewHere()) t.databaseName ??= { schema: t.schema, name: t.name };
    t.schema = schema ?? t.schema;
    t.name = name ?? t.name;
    if (this.isNewHere()) t.renamedInPending = true;
    const to = `${t.schema}.${t.name}`;
    this.tables.set(to, t);
    for (const [idx, table] of this.indexes) {
      if (table !== from) continue;
      this.indexes.delete(idx);
      this.indexes.set(`${t.schema}.${idx.slice(idx.indexOf('.') + 1)}`, to);
    }
  }

  private renameColumn(r: RangeVar | undefined, from: string, to: string): void {
    if (!r) return;
    const t = this.tableOrPlaceholder(r);
    const col = t.columns.get(from);
    t.columns.delete(from);
    if (col) t.columns.set(to, col);
    if (this.isNewHere()) {
      const inDatabase = (t.databaseColumns ??= new Map());
      const original = inDatabase.get(from) ?? from;
      inDatabase.delete(from);
      inDatabase.set(to, original);
    }
    t.primaryKey = t.primaryKey.map((c) => (c === from ? to : c));
    if (t.partitionKey) t.partitionKey = t.partitionKey.map((c) => (c === from ? to : c));
    for (const [k, cols] of t.indexColumns ?? [])
      present(t.indexColumns).set(
        k,
        cols.map((c) => (c === from ? to : c)),
      );
    for (const c of t.constraints.values()) {
      c.notNullOf = c.notNullOf?.map((n) => (n === from ? to : n));
      c.checkColumns = c.checkColumns?.map((n) => (n === from ? to : n));
    }
  }

  private renameConstraint(r: RangeVar | undefined, from: string, to: string): void {
    if (!r) return;
    const t = this.tableOrPlaceholder(r);
    for (const col of t.columns.values()) if (col.notNullNotValid?.name === from) col.notNullNotValid.name = to;
    if (this.isNewHere()) renamedNotNull(notNullSettled(t).renamed, from, to);
    const c = t.constraints.get(from);
    if (!c) return;
    t.constraints.delete(from);
    if (this.isNewHere()) c.renamedInPending = true;
    t.constraints.set(to, c);
  }

  private renameIndex(r: RangeVar | undefined, to: string): void {
    if (!r) return;
    const schemas = r.schema ? [r.schema] : this.path;
    const key = schemas.map((s) => `${s}.${r.name}`).find((k) => this.indexes.has(k));
    if (!key) {
      // An index of the database: what a catalog of it calls it.
      if (this.isNewHere()) {
        const schema = r.schema ?? this.creationSchema();
        const original = this.databaseIndexes.get(`${schema}.${r.name}`) ?? r.name;
        this.databaseIndexes.delete(`${schema}.${r.name}`);
        this.databaseIndexes.set(`${schema}.${to}`, original);
      }
      return;
    }
    const table = get(this.indexes, key);
    this.indexes.delete(key);
    this.indexes.set(`${key.split('.')[0]}.${to}`, table);
    const columns = this.tables.get(table)?.indexColumns;
    const cols = columns?.get(r.name);
    if (columns && cols) {
      columns.delete(r.name);
      columns.set(to, cols);
    }
    // An index behind a PRIMARY KEY or UNIQUE constraint renames the constraint with it.
    this.renameConstraint({ schema: table.split('.')[0], name: table.slice(table.indexOf('.') + 1) }, r.name, to);
  }

  private renameSchema(from: string, to: string): void {
    this.newSchemas.delete(from);
    if (this.isNewHere()) {
      this.newSchemas.add(to);
      const original = this.databaseSchemas.get(from) ?? from;
      this.databaseSchemas.delete(from);
      this.databaseSchemas.set(to, original);
      for (const [key, index] of [...this.databaseIndexes]) {
        const [s, name] = splitKey(key);
        if (s !== from) continue;
        this.databaseIndexes.delete(key);
        this.databaseIndexes.set(`${to}.${name}`, index);
      }
    }
    for (const [key, t] of [...this.tables]) {
      if (t.schema !== from) continue;
      this.tables.delete(key);
      if (this.isNewHere()) t.databaseName ??= { schema: t.schema, name: t.name };
      t.schema = to;
      if (this.isNewHere()) t.renamedInPending = true;
      this.tables.set(`${to}.${t.name}`, t);
    }
    for (const [key, table] of [...this.indexes]) {
      const [s] = splitKey(key);
      const [ts, tn] = splitKey(table);
      if (s === from || ts === from) {
        this.indexes.delete(key);
        this.indexes.set(`${s === from ? to : s}.${splitKey(key)[1]}`, `${ts === from ? to : ts}.${tn}`);
      }
    }
  }

  private drop(n: Node): void {
    for (const obj of list(n.objects)) {
      const parts = names(as(obj, 'List')?.items);
      const name = parts[parts.length - 1];
      if (!name) {
        if (n.removeType === 'OBJECT_SCHEMA') this.dropSchema(String(as(obj, 'String')?.sval ?? ''));
        continue;
      }
      const r = { schema: parts.length > 1 ? parts[parts.length - 2] : undefined, name };
      if (RELATIONS.has(String(n.removeType))) this.dropTable(this.keyOf(r));
      if (n.removeType === 'OBJECT_INDEX') {
        const keys = r.schema ? [`${r.schema}.${name}`] : this.path.map((s) => `${s}.${name}`);
        for (const k of keys) {
          const table = this.indexes.get(k);
          if (table) this.tables.get(table)?.indexColumns?.delete(name);
          this.indexes.delete(k);
        }
      }
    }
  }

  private dropTable(key: string): void {
    this.tables.delete(key);
    for (const [idx, table] of [...this.indexes]) if (table === key) this.indexes.delete(idx);
  }

  private dropSchema(schema: string): void {
    for (const [key, t] of [...this.tables]) if (t.schema === schema) this.dropTable(key);
  }

  private createDomain(n: Node): void {
    const parts = names(n.domainname);
    const name = parts[parts.length - 1];
    if (!name) return;
    const key = parts.length > 1 ? `${parts[parts.length - 2]}.${name}` : `${this.creationSchema()}.${name}`;
    const d: DomainModel = { baseType: typeNameText(n.typeName), constraints: new Set(), notNull: false };
    for (const [k, c] of list(n.constraints).entries()) addDomainConstraint(d, as(c, 'Constraint'), k);
    this.domains.set(key, d);
  }

  private alterDomain(n: Node): void {
    const d = this.domain({ names: n.typeName });
    if (!d) return;
    if (n.subtype === 'C') addDomainConstraint(d, as(n.def, 'Constraint'), d.constraints.size);
    if (n.subtype === 'X') d.constraints.delete(String(n.name));
    if (n.subtype === 'O') d.notNull = true;
    if (n.subtype === 'N') d.notNull = false;
    if (n.subtype === 'T') d.hasDefault = n.def !== undefined;
  }

  private setVariable(n: Node): void {
    const name = String(n.name ?? '').toLowerCase();
    // A no-transaction file runs each statement in its own transaction: SET LOCAL ends with it.
    if (n.is_local === true && this.source.noTransaction) return;
    if (name === 'timezone') {
      this.zoneUtc = n.kind === 'VAR_SET_VALUE' ? zoneIsUtc(list(n.args)[0]) : undefined;
      return;
    }
    if (name !== 'search_path') return;
    if (n.kind === 'VAR_RESET' || n.kind === 'VAR_SET_DEFAULT') {
      this.path = DEFAULT_SEARCH_PATH;
      return;
    }
    if (n.kind !== 'VAR_SET_VALUE') return;
    // One constant per schema, each the name itself (checked on PostgreSQL 15):
    // `SET search_path = a, "B"` is a and B; `'a, b'` is one schema of that
    // name, `'Sales'` keeps its case, and `''` names no schema there is. A
    // constant is cut to 63 bytes as a name is (the parser cuts only the
    // bare and quoted names; PostgreSQL 15 and 18 cut each when they read the path).
    this.path = list(n.args)
      .map((a) => cutToBytes(String((as(a, 'A_Const')?.sval as Node | undefined)?.sval ?? '')))
      .filter((v) => v !== '');
  }

  /**
   * `SELECT set_config('search_path', '…', is_local)` (pg_dump's scripts
   * begin with `SELECT pg_catalog.set_config('search_path', '', false);`):
   * as `SET search_path`, when the SELECT has no FROM, WHERE or other
   * clause (with one the call may not run) and the arguments are constants; a NULL
   * value resets the path. In a no-transaction file only `is_local` false
   * outlives the statement.
   */
  /**
   * A PL/pgSQL DO block's static DDL, as if the file ran it: what it
   * creates, alters, renames or drops, whatever IF guards it (such a guard
   * is nearly always "unless done already"). What it builds for EXECUTE
   * stays unseen.
   */
  private doBlock(s: ParsedStatement): void {
    const args = list(s.node.args).map((a) => as(a, 'DefElem'));
    const text = (k: string) => as(args.find((a) => a?.defname === k)?.arg, 'String')?.sval;
    const body = text('as');
    const language = text('language');
    if (typeof body !== 'string' || (typeof language === 'string' && language.toLowerCase() !== 'plpgsql')) return;
    if (body.length > DO_BODY_MAX_CHARS || !DDL_WORDS.test(body)) return;
    for (const sql of plpgsqlStatements(body)) {
      let statements: ParsedStatement[];
      try {
        statements = parseSql(sql, { firstLine: s.line }).statements;
      } catch {
        continue; // a statement that only PL/pgSQL reads (its variables in a place SQL has none)
      }
      for (const inner of statements) this.apply(inner);
    }
  }

  private setConfig(n: Node): void {
    if (Object.keys(n).some((k) => !['targetList', 'limitOption', 'op'].includes(k))) return;
    for (const target of list(n.targetList)) {
      const call = as(as(target, 'ResTarget')?.val, 'FuncCall');
      const fn = names(call?.funcname);
      if (fn.at(-1) !== 'set_config' || (fn.length === 2 && fn[0] !== 'pg_catalog') || fn.length > 2) continue;
      const [name, value] = list(present(call).args).map((a) => as(a, 'A_Const'));
      const setting = (name?.sval as Node | undefined)?.sval;
      if (typeof setting !== 'string' || setting.toLowerCase() !== 'search_path') continue;
      if (this.source.noTransaction && booleanConstant(list(present(call).args)[2]) !== false) continue;
      if (value?.isnull === true) this.path = DEFAULT_SEARCH_PATH;
      else if (typeof (value?.sval as Node | undefined)?.sval === 'string')
        this.path = searchPathSchemas(String((present(value).sval as Node).sval)) ?? this.path;
    }
  }
}

/**
 * A boolean argument written as a constant, as PostgreSQL reads it: `false`,
 * `'off'`, `'f'`, `false::boolean`; NULL is false for `set_config`'s
 * `is_local`. Undefined when it is not a constant lint can read.
 */
function booleanConstant(v: unknown): boolean | undefined {
  const c = as(as(v, 'TypeCast')?.arg ?? v, 'A_Const');
  if (!c) return undefined;
  if (c.isnull === true) return false;
  if (c.boolval !== undefined) return (c.boolval as Node).boolval === true;
  const text = (c.sval as Node | undefined)?.sval;
  if (typeof text !== 'string') return undefined;
  // PostgreSQL's boolean input: a word, or any unambiguous prefix of one.
  const w = text.trim().toLowerCase();
  if (w === '') return undefined;
  if (['true', 'yes'].some((t) => t.startsWith(w)) || w === 'on' || w === '1') return true;
  if (['false', 'no'].some((t) => t.startsWith(w)) || (w.length > 1 && 'off'.startsWith(w)) || w === '0') return false;
  return undefined;
}

function addDomainConstraint(d: DomainModel, con: Node | undefined, k: number): void {
  if (!con) return;
  if (con.contype === 'CONSTR_NOTNULL') d.notNull = true;
  if (con.contype === 'CONSTR_DEFAULT') d.hasDefault = true;
  if (con.contype === 'CONSTR_CHECK') d.constraints.add(typeof con.conname === 'string' ? con.conname : `#${k}`);
}

/** A pending RENAME CONSTRAINT: `renamed` maps each name now to the name the database has. */
function renamedNotNull(renamed: Map<string, string>, from: string, to: string): void {
  const original = renamed.get(from) ?? from;
  renamed.delete(from);
  renamed.set(to, original);
}

export function splitKey(key: string): [string, string] {
  const dot = key.indexOf('.');
  return [key.slice(0, dot), key.slice(dot + 1)];
}

/**
 * Whether a `SET TIME ZONE` value is UTC all year: a zone name whose offset
 * is 0 in January and in July (as the catalog's `utcSessions` asks the
 * server; read from the IANA data Node.js has, which PostgreSQL's named
 * zones come from), an offset of 0 hours, or an interval of zero. A name
 * Node.js does not know (a POSIX-style zone) is not taken to be UTC.
 */
function zoneIsUtc(arg: unknown): boolean {
  const constant = as(arg, 'A_Const');
  if (constant) {
    const text = (constant.sval as Node | undefined)?.sval;
    if (typeof text === 'string') return zoneNameIsUtc(text);
    const number = constant.ival as Node | undefined;
    if (number) return !number.ival;
    return false;
  }
  const interval = (as(as(arg, 'TypeCast')?.arg, 'A_Const')?.sval as Node | undefined)?.sval;
  return typeof interval === 'string' && /^\s*[+-]?0+(?::0+)*\s*$/.test(interval);
}

function zoneNameIsUtc(zone: string): boolean {
  try {
    const offset = (month: number) =>
      new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'shortOffset' })
        .formatToParts(Date.UTC(2000, month, 15, 12))
        .find((p) => p.type === 'timeZoneName')?.value;
    // "GMT", or "GMT+0" in some ICU versions.
    return [0, 6].every((m) => /^GMT(?:[+-]0+(?::0+)?)?$/.test(offset(m) ?? ''));
  } catch {
    return false;
  }
}
