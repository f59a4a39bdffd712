/**
 * Migration lint: rules over the parsed SQL (PostgreSQL's own parser) of the
 * pending migrations, with context. Migrations are read in order; a small
 * model of tables, columns and CHECK constraints follows them, so that:
 *
 * - a table created by a pending migration (this one or an earlier pending
 *   one in the same run) is new and empty: rules that only matter for
 *   populated tables (index without CONCURRENTLY, constraint without NOT
 *   VALID, table rewrites) do not fire on it;
 * - a table created by an applied migration, or by nothing in the files, is
 *   an existing table;
 * - column types known from earlier migrations let the FK-type and
 *   type-change rules compare types.
 *
 * Applied migrations feed the model but are not linted. Without the applied
 * set (no database), every file is pending.
 *
 * `-- schemaguard:allow <rule> <reason>` silences the findings of that rule in
 * the next statement after the directive line; an allow that silences nothing
 * is itself reported (`unused-allow`, warning).
 */
import { parseDuration } from '../engine/duration';
import { allowArgument, readDirectives } from '../engine/sql/directives';
import { scanSql } from '../engine/sql/splitter';
import type { Allowance, Migration } from '../engine/source';
import type { AllowedFinding, Finding, Severity } from './finding';
import {
  as, calledFunctions, list, loadParser, names, parseSql, rangeVar, tableKey, typeBase, typeNameText,
  type Node, type ParsedStatement, type RangeVar, type TextPositions,
} from './parse';

export interface RuleInfo {
  id: string;
  severity: Severity;
  title: string;
}

export const RULES: RuleInfo[] = [
  { id: 'index-not-concurrent', severity: 'error', title: 'index built without CONCURRENTLY on an existing table' },
  { id: 'constraint-not-valid', severity: 'error', title: 'foreign key or CHECK added to an existing table without NOT VALID' },
  { id: 'set-not-null-without-check', severity: 'error', title: 'SET NOT NULL on an existing table without a validated CHECK (col IS NOT NULL) first' },
  { id: 'column-type-rewrite', severity: 'error', title: 'column type change that rewrites an existing table' },
  { id: 'volatile-default', severity: 'error', title: 'new column with a volatile default (or serial/identity/stored generated) on an existing table' },
  { id: 'uuid-pk-without-default', severity: 'error', title: 'uuid primary key without a default (warning when the key is not named id: it may copy another table\'s id)' },
  { id: 'fk-type-mismatch', severity: 'error', title: 'foreign key column type differs from the referenced column' },
  { id: 'lock-timeout-disabled', severity: 'error', title: 'lock_timeout overridden to 0 (wait forever)' },
  { id: 'concurrently-in-transaction', severity: 'error', title: 'CONCURRENTLY in a transactional migration' },
  { id: 'unused-allow', severity: 'warning', title: 'an allow directive that silences nothing (or names an unknown rule)' },
];
const SEVERITY = new Map(RULES.map((r) => [r.id, r.severity]));

/** What lint needs from a migration file. */
export interface LintSource {
  file: string;
  text: string;
  noTransaction: boolean;
  /** From `-- schemaguard:lock-timeout=…`. */
  lockTimeoutMs?: number;
  allowances: Allowance[];
  /** Already applied: feeds the model, not linted. @default false */
  applied?: boolean;
}

export function lintSourceOf(m: Migration, applied = false): LintSource {
  return { file: m.file, text: m.text, noTransaction: m.directives.noTransaction, lockTimeoutMs: m.directives.lockTimeoutMs, allowances: m.allowances, applied };
}

/**
 * A LintSource from raw text, reading directives leniently: unlike the
 * migration loader it does not refuse CONCURRENTLY in a transactional file,
 * so lint can report it as a finding with the others.
 */
export function lintSourceFromText(file: string, text: string, applied = false): LintSource {
  const src: LintSource = { file, text: text.replace(/\r\n?/g, '\n'), noTransaction: false, allowances: [], applied };
  for (const d of readDirectives(scanSql(src.text, { file }).comments)) {
    if (d.name === 'no-transaction') src.noTransaction = true;
    if (d.name === 'lock-timeout') {
      const v = /^\s*=\s*(\S+)/.exec(d.argument);
      const ms = v ? parseDuration(v[1]!) : undefined;
      if (ms !== undefined) src.lockTimeoutMs = ms;
    }
    if (d.name === 'allow') {
      const a = allowArgument(d.argument);
      if (a) src.allowances.push({ ...a, line: d.line });
    }
  }
  return src;
}

export interface LintResult {
  findings: Finding[];
  /** Findings silenced by an allow directive, with its reason. */
  allowed: AllowedFinding[];
  /** Files linted (pending ones). */
  files: string[];
}

interface TableModel {
  /** Created by a pending migration of this run: new and empty. */
  isNew: boolean;
  columns: Map<string, string>;
  primaryKey?: string[];
}

/** Lint pending migrations, in order. Applied ones (`applied: true`) only feed the model. */
export async function lintMigrations(sources: LintSource[]): Promise<LintResult> {
  await loadParser();
  const model = new Map<string, TableModel>();
  /** `table.column` with a validated CHECK (column IS NOT NULL). */
  const provenNotNull = new Set<string>();
  /** `table.constraint` → column, for CHECK (column IS NOT NULL) NOT VALID awaiting VALIDATE. */
  const pendingChecks = new Map<string, string>();
  const result: LintResult = { findings: [], allowed: [], files: [] };

  for (const src of sources) {
    const raw: Finding[] = [];
    const { statements, positions } = parseSql(src.text, { file: src.file });
    const lint = !src.applied;
    if (lint) result.files.push(src.file);
    const ctx: Ctx = { src, positions, model, provenNotNull, pendingChecks, out: raw, lint };

    if (lint && src.lockTimeoutMs === 0) {
      const lineNo = src.text.split('\n').findIndex((l) => /schemaguard:lock-timeout/i.test(l)) + 1;
      raw.push(make('lock-timeout-disabled', src.file, lineNo || 1, 1,
        `${src.file} sets lock-timeout=0: its statements wait for locks forever`,
        'an ALTER waiting for its lock holds the queue: every query on the table waits behind it until the blocker ends, which is an outage on a busy table',
        'keep a bounded lock timeout (e.g. -- schemaguard:lock-timeout=5s); schemaguard retries lock timeouts with backoff'));
    }
    for (const s of statements) visit(ctx, s);

    if (!lint) continue;
    // Allow directives: each silences the findings of its rule in the next statement after it.
    const used = new Set<Allowance>();
    for (const f of raw) {
      const stmt = statementOf(statements, f.line ?? 0);
      const allow = src.allowances.find((a) => a.rule === f.rule && stmt !== undefined && nextStatementAfter(statements, a.line) === stmt);
      if (allow) {
        used.add(allow);
        result.allowed.push({ ...f, allowed: { reason: allow.reason, line: allow.line } });
      } else {
        result.findings.push(f);
      }
    }
    for (const a of src.allowances) {
      if (used.has(a)) continue;
      const known = SEVERITY.has(a.rule);
      result.findings.push(make('unused-allow', src.file, a.line, 1,
        known ? `allow ${a.rule} silences nothing: the next statement has no ${a.rule} finding` : `allow names an unknown rule "${a.rule}"`,
        'a stale allow hides the next real finding of that rule once the code around it changes',
        known ? 'remove the directive, or move it to the line just before the statement it is for'
          : `use one of: ${RULES.filter((r) => r.id !== 'unused-allow').map((r) => r.id).join(', ')}`));
    }
  }
  const order = (f: Finding) => [sources.findIndex((s) => s.file === f.file), f.line ?? 0, f.column ?? 0];
  result.findings.sort((a, b) => {
    const x = order(a); const y = order(b);
    return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
  });
  return result;
}

function statementOf(statements: ParsedStatement[], line: number): ParsedStatement | undefined {
  let found: ParsedStatement | undefined;
  for (const s of statements) if (s.line <= line) found = s;
  return found;
}

function nextStatementAfter(statements: ParsedStatement[], line: number): ParsedStatement | undefined {
  return statements.find((s) => s.line > line);
}

interface Ctx {
  src: LintSource;
  positions: TextPositions;
  model: Map<string, TableModel>;
  provenNotNull: Set<string>;
  pendingChecks: Map<string, string>;
  out: Finding[];
  lint: boolean;
}

function make(rule: string, file: string, line: number, column: number, message: string, why: string, fix: string, severity?: Severity): Finding {
  return { rule, severity: severity ?? SEVERITY.get(rule) ?? 'error', file, line, column, message, why, fix };
}

function report(ctx: Ctx, s: ParsedStatement, rule: string, message: string, why: string, fix: string, byteLocation?: number, severity?: Severity): void {
  if (!ctx.lint) return;
  const at = byteLocation !== undefined && byteLocation >= s.byteOffset ? ctx.positions.at(byteLocation) : { line: s.line, column: s.column };
  ctx.out.push(make(rule, ctx.src.file, at.line, at.column, message, why, fix, severity));
}

/** Existing = not created by a pending migration of this run. */
function isExisting(ctx: Ctx, r: RangeVar): boolean {
  return !(ctx.model.get(tableKey(r))?.isNew ?? false);
}

function display(r: RangeVar): string {
  return r.schema ? `${r.schema}.${r.name}` : r.name;
}

function visit(ctx: Ctx, s: ParsedStatement): void {
  switch (s.kind) {
    case 'CreateStmt': return createTable(ctx, s);
    case 'CreateTableAsStmt': {
      const into = rangeVar((s.node.into as Node | undefined)?.rel);
      if (into) ctx.model.set(tableKey(into), { isNew: !ctx.src.applied, columns: new Map() });
      return;
    }
    case 'AlterTableStmt': return alterTable(ctx, s);
    case 'IndexStmt': return createIndex(ctx, s);
    case 'DropStmt':
      if (s.node.concurrent) concurrentlyInTransaction(ctx, s, 'DROP INDEX CONCURRENTLY');
      for (const obj of list(s.node.objects)) {
        if (s.node.removeType === 'OBJECT_TABLE') {
          const parts = names(as(obj, 'List')?.items);
          if (parts.length) ctx.model.delete(parts.length > 1 ? `${parts[0]}.${parts[1]}` : `public.${parts[0]}`);
        }
      }
      return;
    case 'ReindexStmt':
      if (list(s.node.params).some((p) => (as(p, 'DefElem')?.defname as string | undefined) === 'concurrently')) {
        concurrentlyInTransaction(ctx, s, 'REINDEX CONCURRENTLY');
      }
      return;
    case 'VariableSetStmt': return setStatement(ctx, s);
    default:
  }
}

function concurrentlyInTransaction(ctx: Ctx, s: ParsedStatement, what: string): void {
  if (ctx.src.noTransaction) return;
  report(ctx, s, 'concurrently-in-transaction', `${what} in a transactional migration`,
    'PostgreSQL refuses CONCURRENTLY inside a transaction block (25001): the migration fails at deploy time',
    'put "-- schemaguard:no-transaction" on the first line of a file that holds only the concurrent statement (write it re-runnable: IF NOT EXISTS)');
}

function setStatement(ctx: Ctx, s: ParsedStatement): void {
  if (String(s.node.name ?? '').toLowerCase() !== 'lock_timeout') return;
  const arg = as(list(s.node.args)[0], 'A_Const');
  let zero = false;
  if (arg) {
    const ival = arg.ival as Node | undefined;
    const sval = (arg.sval as Node | undefined)?.sval as string | undefined;
    if (ival && (ival.ival === undefined || ival.ival === 0)) zero = true;
    if (sval !== undefined && parseDuration(sval.trim()) === 0) zero = true;
  }
  if (zero) {
    report(ctx, s, 'lock-timeout-disabled', 'SET lock_timeout = 0 turns off the lock timeout schemaguard sets',
      'an ALTER waiting for its lock holds the queue: every query on the table waits behind it until the blocker ends, which is an outage on a busy table',
      'remove the SET; use "-- schemaguard:lock-timeout=5s" in the header when the default does not fit (lock timeouts are retried with backoff)');
  }
}

function columnDefaults(col: Node): { hasDefault: boolean; defaultExpr?: unknown; identity: boolean; generated: boolean; primaryKey: boolean; notNull: boolean } {
  const r = { hasDefault: false, defaultExpr: undefined as unknown, identity: false, generated: false, primaryKey: false, notNull: false };
  for (const c of list(col.constraints)) {
    const con = as(c, 'Constraint');
    if (!con) continue;
    if (con.contype === 'CONSTR_DEFAULT') { r.hasDefault = true; r.defaultExpr = con.raw_expr; }
    if (con.contype === 'CONSTR_IDENTITY') r.identity = true;
    if (con.contype === 'CONSTR_GENERATED') r.generated = true;
    if (con.contype === 'CONSTR_PRIMARY') r.primaryKey = true;
    if (con.contype === 'CONSTR_NOTNULL') r.notNull = true;
  }
  return r;
}

const SERIAL_TYPES = new Set(['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2']);

function createTable(ctx: Ctx, s: ParsedStatement): void {
  const rel = rangeVar(s.node.relation);
  if (!rel) return;
  const table: TableModel = { isNew: !ctx.src.applied, columns: new Map() };
  const pkColumns: string[] = [];
  const uuidNoDefault = new Map<string, number | undefined>();
  for (const elt of list(s.node.tableElts)) {
    const col = as(elt, 'ColumnDef');
    if (col) {
      const name = String(col.colname);
      table.columns.set(name, typeNameText(col.typeName));
      const d = columnDefaults(col);
      if (d.primaryKey) pkColumns.push(name);
      if (typeBase(col.typeName) === 'uuid' && !d.hasDefault && !d.generated) {
        uuidNoDefault.set(name, col.location as number | undefined);
      }
      continue;
    }
    const con = as(elt, 'Constraint');
    if (con?.contype === 'CONSTR_PRIMARY') pkColumns.push(...names(con.keys));
  }
  if (s.node.if_not_exists && ctx.model.has(tableKey(rel))) return;
  ctx.model.set(tableKey(rel), table);
  table.primaryKey = pkColumns;
  if (pkColumns.length === 1 && uuidNoDefault.has(pkColumns[0]!)) {
    // A surrogate key (`id`) is an error; a key named after something else (`purchase_id`) usually copies
    // another table's id, which the application always sets: a warning to confirm with an allow.
    const col = pkColumns[0]!;
    const surrogate = col === 'id';
    report(ctx, s, 'uuid-pk-without-default', `${display(rel)}.${col} is a uuid primary key without a DEFAULT`,
      `every INSERT that omits ${col} fails with "null value in column \\"${col}\\" … violates not-null constraint" (23502); the application has to generate ids itself, and one code path that forgets breaks`,
      `${col} uuid PRIMARY KEY DEFAULT gen_random_uuid()   (built in since PostgreSQL 13; CREATE EXTENSION pgcrypto before that)${surrogate ? '' : `; if ${col} copies another table's id, say so: -- schemaguard:allow uuid-pk-without-default <reason>`}`,
      uuidNoDefault.get(col), surrogate ? 'error' : 'warning');
  }
  // Foreign keys declared in the table: compare column types.
  for (const elt of list(s.node.tableElts)) {
    const col = as(elt, 'ColumnDef');
    if (col) {
      for (const c of list(col.constraints)) {
        const con = as(c, 'Constraint');
        if (con?.contype === 'CONSTR_FOREIGN') checkFkTypes(ctx, s, rel, [String(col.colname)], con);
      }
    }
    const con = as(elt, 'Constraint');
    if (con?.contype === 'CONSTR_FOREIGN') checkFkTypes(ctx, s, rel, names(con.fk_attrs), con);
    if (con?.contype === 'CONSTR_CHECK') trackCheck(ctx, rel, con);
  }
}

function checkFkTypes(ctx: Ctx, s: ParsedStatement, rel: RangeVar, fkCols: string[], con: Node): void {
  const pkRel = rangeVar(con.pktable);
  if (!pkRel) return;
  const referenced = ctx.model.get(tableKey(pkRel));
  const own = ctx.model.get(tableKey(rel));
  if (!referenced || !own) return;
  let pkCols = names(con.pk_attrs);
  if (pkCols.length === 0) pkCols = referenced.primaryKey ?? [];
  fkCols.forEach((fk, k) => {
    const pk = pkCols[k];
    if (!pk) return;
    const a = own.columns.get(fk);
    const b = referenced.columns.get(pk);
    if (!a || !b || baseType(a) === baseType(b)) return;
    report(ctx, s, 'fk-type-mismatch', `${display(rel)}.${fk} (${a}) references ${display(pkRel)}.${pk} (${b}): the types differ`,
      `PostgreSQL either refuses the foreign key (no equality operator between ${a} and ${b}) or every join and lookup needs an implicit cast, which defeats the index on ${display(pkRel)}.${pk}; a column that cannot be constrained collects orphans silently`,
      `declare ${fk} as ${b}; for an existing column: ALTER TABLE ${display(rel)} ALTER COLUMN ${fk} TYPE ${b} USING ${fk}::${b} (check that every value casts first)`,
      con.location as number | undefined);
  });
}

/** Type without a length/precision modifier: varchar(20) and varchar(40) compare equal for FK purposes. */
function baseType(t: string): string {
  return t.replace(/\(.*\)/, '');
}

/** A CHECK (col IS NOT NULL): when validated it lets SET NOT NULL skip its full-table scan (PostgreSQL 12+). */
function trackCheck(ctx: Ctx, rel: RangeVar, con: Node): void {
  const test = as(con.raw_expr, 'NullTest');
  if (!test || test.nulltesttype !== 'IS_NOT_NULL') return;
  const col = names(as(test.arg, 'ColumnRef')?.fields).pop();
  if (!col) return;
  const key = `${tableKey(rel)}.${col}`;
  if (con.skip_validation) {
    if (con.conname) ctx.pendingChecks.set(`${tableKey(rel)}.${String(con.conname)}`, col);
  } else {
    ctx.provenNotNull.add(key);
  }
}

const VOLATILE_FUNCTIONS = new Set([
  'clock_timestamp', 'random', 'gen_random_uuid', 'uuid_generate_v1', 'uuid_generate_v1mc', 'uuid_generate_v4',
  'uuidv4', 'uuidv7', 'timeofday', 'nextval', 'txid_current', 'random_normal', 'gen_random_bytes', 'setseed',
]);

/** The table an ALTER TABLE changes, as the model knows it (a table no migration created is existing). */
interface AlterTarget {
  rel: RangeVar;
  key: string;
  table: TableModel;
  existing: boolean;
}

function alterTable(ctx: Ctx, s: ParsedStatement): void {
  const target = alterTarget(ctx, s);
  if (!target) return;
  for (const c of list(s.node.cmds)) {
    const cmd = as(c, 'AlterTableCmd');
    if (cmd) alterTableCommand(ctx, s, target, cmd);
  }
}

function alterTarget(ctx: Ctx, s: ParsedStatement): AlterTarget | undefined {
  if (s.node.objtype !== 'OBJECT_TABLE') return undefined;
  const rel = rangeVar(s.node.relation);
  if (!rel) return undefined;
  const existing = isExisting(ctx, rel);
  const key = tableKey(rel);
  let table = ctx.model.get(key);
  if (!table) {
    table = { isNew: false, columns: new Map() };
    ctx.model.set(key, table);
  }
  return { rel, key, table, existing };
}

/** One subcommand: update the model, and report what it does to an existing table. */
function alterTableCommand(ctx: Ctx, s: ParsedStatement, t: AlterTarget, cmd: Node): void {
  const colName = typeof cmd.name === 'string' ? cmd.name : undefined;
  switch (cmd.subtype) {
    case 'AT_AddColumn': return addColumn(ctx, s, t, as(cmd.def, 'ColumnDef'));
    case 'AT_AlterColumnType': return alterColumnType(ctx, s, t, colName, as(cmd.def, 'ColumnDef'));
    case 'AT_SetNotNull': return setNotNull(ctx, s, t, colName);
    case 'AT_AddConstraint': return addConstraint(ctx, s, t, as(cmd.def, 'Constraint'));
    case 'AT_ValidateConstraint': return validateConstraint(ctx, t, colName);
    case 'AT_DropColumn':
      if (colName) t.table.columns.delete(colName);
      return;
    default:
  }
}

function addColumn(ctx: Ctx, s: ParsedStatement, t: AlterTarget, col: Node | undefined): void {
  if (!col) return;
  const { rel, existing } = t;
  const name = String(col.colname);
  t.table.columns.set(name, typeNameText(col.typeName));
  for (const k of list(col.constraints)) {
    const con = as(k, 'Constraint');
    if (con?.contype === 'CONSTR_FOREIGN') {
      checkFkTypes(ctx, s, rel, [name], con);
      if (existing) notValid(ctx, s, rel, con, `the foreign key on new column ${name}`);
    }
    if (con?.contype === 'CONSTR_CHECK' && existing) notValid(ctx, s, rel, con, `the CHECK on new column ${name}`);
  }
  if (existing) volatileDefault(ctx, s, rel, col, name);
}

/** A new column whose default is computed per row rewrites an existing table. */
function volatileDefault(ctx: Ctx, s: ParsedStatement, rel: RangeVar, col: Node, name: string): void {
  const what = rewritingColumnDefault(col);
  if (!what) return;
  report(ctx, s, 'volatile-default', `ADD COLUMN ${name} on existing table ${display(rel)} with ${what}`,
    'a volatile default is evaluated for every existing row, so PostgreSQL rewrites the whole table and its indexes under an ACCESS EXCLUSIVE lock: reads and writes stop for the duration (a constant or now() default is stored once, without a rewrite)',
    `add the column without the default (or with a constant one), then ALTER TABLE ${display(rel)} ALTER COLUMN ${name} SET DEFAULT …; (applies to new rows only) and backfill existing rows in batches`,
    col.location as number | undefined);
}

/** What makes a new column's value computed per row (so ADD COLUMN rewrites the table), or undefined. */
export function rewritingColumnDefault(col: Node): string | undefined {
  const d = columnDefaults(col);
  const volatile = calledFunctions(d.defaultExpr).filter((f) => VOLATILE_FUNCTIONS.has(f));
  const serial = SERIAL_TYPES.has(typeBase(col.typeName));
  if (volatile.length) return `a volatile default (${volatile.map((f) => `${f}()`).join(', ')})`;
  if (serial) return `type ${typeBase(col.typeName)} (a nextval() default)`;
  if (d.identity) return 'GENERATED … AS IDENTITY';
  return d.generated ? 'GENERATED ALWAYS AS (…) STORED' : undefined;
}

function alterColumnType(ctx: Ctx, s: ParsedStatement, t: AlterTarget, colName: string | undefined, col: Node | undefined): void {
  if (!col || !colName) return;
  const { rel } = t;
  const before = t.table.columns.get(colName);
  const after = typeNameText(col.typeName);
  t.table.columns.set(colName, after);
  if (!t.existing || (before && !rewritesOnTypeChange(before, after))) return;
  report(ctx, s, 'column-type-rewrite', `${display(rel)}.${colName}: type change ${before ? `from ${before} ` : ''}to ${after}${before ? '' : ' (the current type is not known from the migrations)'} rewrites the table`,
    'changing a column to a type that is not binary-compatible rewrites the table and rebuilds its indexes under an ACCESS EXCLUSIVE lock; on a large table that is minutes of downtime',
    `add a new column of type ${after}, backfill it in batches, switch the application, then drop the old column; safe without rewrite: varchar(n) → varchar(m ≥ n) or text, numeric(p,s) → numeric(q ≥ p,s)`,
    col.location as number | undefined);
}

function setNotNull(ctx: Ctx, s: ParsedStatement, t: AlterTarget, colName: string | undefined): void {
  if (!colName || !t.existing) return;
  if (ctx.provenNotNull.has(`${t.key}.${colName}`)) return;
  const { rel } = t;
  report(ctx, s, 'set-not-null-without-check', `SET NOT NULL on ${display(rel)}.${colName} without a validated CHECK (${colName} IS NOT NULL) first`,
    'SET NOT NULL scans the whole table while holding an ACCESS EXCLUSIVE lock; PostgreSQL 12+ skips the scan only when a validated CHECK constraint already proves the column has no NULL',
    `ALTER TABLE ${display(rel)} ADD CONSTRAINT ${rel.name}_${colName}_not_null CHECK (${colName} IS NOT NULL) NOT VALID;\nALTER TABLE ${display(rel)} VALIDATE CONSTRAINT ${rel.name}_${colName}_not_null;\nALTER TABLE ${display(rel)} ALTER COLUMN ${colName} SET NOT NULL;\nALTER TABLE ${display(rel)} DROP CONSTRAINT ${rel.name}_${colName}_not_null;`);
}

function addConstraint(ctx: Ctx, s: ParsedStatement, t: AlterTarget, con: Node | undefined): void {
  if (!con) return;
  const { rel, existing } = t;
  if (con.contype === 'CONSTR_FOREIGN') {
    checkFkTypes(ctx, s, rel, names(con.fk_attrs), con);
    if (existing && !con.skip_validation) notValid(ctx, s, rel, con, `foreign key ${String(con.conname ?? '')}`.trim());
  }
  if (con.contype === 'CONSTR_CHECK') {
    if (existing && !con.skip_validation) notValid(ctx, s, rel, con, `CHECK ${String(con.conname ?? '')}`.trim());
    trackCheck(ctx, rel, con);
  }
  if (existing) constraintIndex(ctx, s, rel, con);
}

/** UNIQUE, PRIMARY KEY and EXCLUDE build an index while blocking writes, unless they adopt one (USING INDEX). */
function constraintIndex(ctx: Ctx, s: ParsedStatement, rel: RangeVar, con: Node): void {
  if ((con.contype !== 'CONSTR_UNIQUE' && con.contype !== 'CONSTR_PRIMARY' && con.contype !== 'CONSTR_EXCLUSION') || con.indexname) return;
  const kind = con.contype === 'CONSTR_UNIQUE' ? 'UNIQUE' : con.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'EXCLUDE';
  const cols = names(con.keys).join(', ');
  report(ctx, s, 'index-not-concurrent', `ADD CONSTRAINT … ${kind} on existing table ${display(rel)} builds its index while blocking writes`,
    'the index behind the constraint is built under a lock that blocks every INSERT, UPDATE and DELETE on the table until the build ends',
    kind === 'EXCLUDE' ? 'build the constraint in a maintenance window, or on an empty table'
      : `in a "-- schemaguard:no-transaction" file: CREATE UNIQUE INDEX CONCURRENTLY ${rel.name}_${names(con.keys).join('_')}_key ON ${display(rel)} (${cols}); then: ALTER TABLE ${display(rel)} ADD CONSTRAINT … ${kind} USING INDEX ${rel.name}_${names(con.keys).join('_')}_key;`,
    con.location as number | undefined);
}

/** VALIDATE of a pending CHECK (col IS NOT NULL) proves the column for a later SET NOT NULL. */
function validateConstraint(ctx: Ctx, t: AlterTarget, conName: string | undefined): void {
  const col = conName ? ctx.pendingChecks.get(`${t.key}.${conName}`) : undefined;
  if (col) ctx.provenNotNull.add(`${t.key}.${col}`);
}

function notValid(ctx: Ctx, s: ParsedStatement, rel: RangeVar, con: Node, what: string): void {
  const isFk = con.contype === 'CONSTR_FOREIGN';
  const name = String(con.conname ?? `${rel.name}_…`);
  report(ctx, s, 'constraint-not-valid', `${what} is added to existing table ${display(rel)} and validated at once`,
    isFk
      ? `validating scans the whole table while holding a SHARE ROW EXCLUSIVE lock on ${display(rel)} and on the referenced table: writes to both stop until it ends`
      : 'validating scans the whole table while holding an ACCESS EXCLUSIVE lock: reads and writes stop until it ends',
    `ALTER TABLE ${display(rel)} ADD CONSTRAINT ${name} … NOT VALID;  -- instant, enforced for new rows\nALTER TABLE ${display(rel)} VALIDATE CONSTRAINT ${name};  -- scans with a lock that lets reads and writes go on`,
    con.location as number | undefined);
}

/** True unless the change is known to be binary-compatible (no rewrite). */
export function rewritesOnTypeChange(before: string, after: string): boolean {
  if (before === after) return false;
  const m = (t: string) => /^([a-z ]+?)(?:\((\d+)(?:,(\d+))?\))?$/.exec(t);
  const a = m(before);
  const b = m(after);
  if (!a || !b) return true;
  const [, ta, la, sa] = a;
  const [, tb, lb, sb] = b;
  const textual = (t: string) => t === 'character varying' || t === 'text';
  if (textual(ta!) && tb === 'text') return false;
  if (textual(ta!) && tb === 'character varying' && lb === undefined) return false;
  if (ta === 'character varying' && tb === 'character varying' && la !== undefined && lb !== undefined && Number(lb) >= Number(la)) return false;
  if (ta === 'numeric' && tb === 'numeric' && lb === undefined) return false;
  if (ta === 'numeric' && tb === 'numeric' && la !== undefined && lb !== undefined && (sa ?? '0') === (sb ?? '0') && Number(lb) >= Number(la)) return false;
  return true;
}

function createIndex(ctx: Ctx, s: ParsedStatement): void {
  const rel = rangeVar(s.node.relation);
  if (!rel) return;
  if (s.node.concurrent) {
    concurrentlyInTransaction(ctx, s, 'CREATE INDEX CONCURRENTLY');
    return;
  }
  if (!isExisting(ctx, rel)) return;
  const idx = String(s.node.idxname ?? '');
  const unique = s.node.unique ? 'UNIQUE ' : '';
  report(ctx, s, 'index-not-concurrent', `CREATE ${unique}INDEX ${idx} on existing table ${display(rel)} without CONCURRENTLY`,
    `a plain CREATE INDEX holds a SHARE lock on ${display(rel)} for the whole build: every INSERT, UPDATE and DELETE waits until it ends`,
    `in a migration of its own that starts with "-- schemaguard:no-transaction": CREATE ${unique}INDEX CONCURRENTLY IF NOT EXISTS ${idx || '…'} ON ${display(rel)} …; (if it fails, schemaguard drops the INVALID index it left)`,
    rel.location);
}
