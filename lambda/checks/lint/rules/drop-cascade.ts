/**
 * drop-cascade: `DROP … CASCADE` of an object that exists before this run,
 * `ALTER TABLE … DROP COLUMN/CONSTRAINT … CASCADE` on an existing table, and
 * `TRUNCATE … CASCADE` of an existing table. CASCADE drops (or empties)
 * whatever depends on the object as well, and the migration does not name
 * it; PostgreSQL only says so in a NOTICE. Checked on PostgreSQL 15 and 18:
 * DROP SEQUENCE … CASCADE takes the column default that called nextval()
 * (the running application's INSERTs then fail with 23502), DROP TYPE …
 * CASCADE the columns of that type with their data, DROP FUNCTION …
 * CASCADE the triggers that call it, DROP CONSTRAINT <primary key> CASCADE
 * the other tables' foreign keys to it, DROP COLUMN … CASCADE the views that
 * read the column, DROP SCHEMA … CASCADE every table in it, and TRUNCATE …
 * CASCADE every table with a foreign key to it. Without CASCADE the same
 * statement is refused while anything depends on the object (2BP01, or
 * 0A000 for TRUNCATE) and the error's DETAIL names each dependent, so the
 * migration fails and the database is left as it was.
 *
 * A warning: when nothing depends on the object, CASCADE does nothing more.
 * With a database (`lint --database-url`, `plan`), the message names what
 * depends on the object there now, in PostgreSQL's own words
 * (`dependencies.ts`; relations, types, domains, functions, schemas,
 * extensions, columns and constraints), says when PostgreSQL refuses the
 * statement even with CASCADE, or says so when it finds the object and
 * nothing depends on it; what the pending files add before the
 * statement is not in it. With a database, a drop of a relation, type,
 * function, schema or extension that is not there (`DROP TABLE IF EXISTS x
 * CASCADE` before `CREATE TABLE x`) is not reported: it takes nothing that
 * existed before the run. Not reported for an object the pending set
 * created before the statement (everything that can depend on it is in the
 * files the author is reviewing); objects other than tables, views and
 * schemas are matched by kind and unqualified name. `DROP OWNED BY …
 * CASCADE` is reported too: it drops the role's objects and, with CASCADE,
 * other roles' objects that depend on them.
 *
 * The fix is the statement without CASCADE.
 */
import { as, list, names, rangeVar, typeNameText, type Node, type ParsedStatement, type RangeVar } from '../../parser/parse';
import { inPlace, renderFix } from '../fix';
import { ALWAYS_IN_GRAPH, cascadeOf, resolve, truncatedWith, type Cascade, type DropKind, type DropTarget } from '../dependencies';
import type { LintRule, RuleContext } from '../rule';
import { ident, tableName, tokensOf } from '../sql-text';
import { DEPENDENT_OBJECTS_STILL_EXIST } from '../../../engine/errors/sqlstate';
import { oneOrMany } from '../../../engine/errors/words';
import { get, present } from '../../../engine/errors/present';

export const DROP_CASCADE: LintRule = {
  id: 'drop-cascade',
  severity: 'warning',
  title: 'DROP … CASCADE or TRUNCATE … CASCADE of an existing object',
  why: "CASCADE also drops what depends on the object, unnamed in the migration: a column default that called a sequence (the running application's INSERTs then fail with 23502), the columns of a type with their data, views (42P01), triggers, other tables' foreign keys; TRUNCATE … CASCADE empties every table that references it",
  fix: 'the statement without CASCADE: PostgreSQL then refuses it while anything depends on the object and names each dependent (2BP01; 0A000 for TRUNCATE), and those are dropped or changed explicitly first',
  squawk: ['ban-truncate-cascade'],
  examples: {
    existing: "CREATE TYPE invoice_state AS ENUM ('open', 'paid');\nCREATE TABLE invoices (id bigint PRIMARY KEY, state text);",
    triggers: 'DROP TYPE invoice_state CASCADE;',
    passes: 'DROP TYPE invoice_state;',
  },
  statement(ctx, s) {
    const what = cascaded(ctx, s);
    const known = what && inDatabase(ctx, what.targets, s.kind === 'TruncateStmt');
    if (what && known !== 'absent') {
      const cascade = cascadeTokens(s)[0];
      ctx.report(DROP_CASCADE, s, {
        message: messageFor(s, what, known),
        fix: fixFor(s),
        at: cascade === undefined ? undefined : s.byteOffset + cascade.start,
      });
    }
    remember(ctx, s);
    trackNames(ctx, s);
  },
};

interface Cascaded {
  /** The statement as the message names it: `DROP TYPE of mood`. */
  text: string;
  /** What the dependents depend on: `it`, `them`, `the objects app owns`. */
  them: string;
  /** The objects it drops, to look up in the database; undefined when one of them is of a kind lint does not look up. */
  targets?: DropTarget[];
}

function messageFor(s: ParsedStatement, what: Cascaded, known: InDatabase | undefined): string {
  const truncate = s.kind === 'TruncateStmt';
  const generic = `${what.text} with CASCADE: ${truncate ? `every table with a foreign key to ${what.them} is emptied too` : `everything that depends on ${what.them} is dropped too`}, and the migration does not say what that is`;
  if (!known) return generic;
  if (known.inherited) {
    const [got, drop] = what.them === 'it' ? ['it', 'it'] : ['at least one of them', 'that one'];
    return `${what.text} with CASCADE: in the database now PostgreSQL refuses it (42P16), since the table got ${got} from a parent: drop ${drop} on the parent, which drops it on every child`;
  }
  if (known.typed) {
    return `${what.text} with CASCADE: in the database now PostgreSQL refuses it (42809), since the table is of a composite type (CREATE TABLE … OF): ALTER TYPE … DROP ATTRIBUTE … CASCADE drops the column from every table of that type`;
  }
  if (known.refused)
    return `${what.text} with CASCADE: in the database now PostgreSQL refuses it (${known.sqlstate ?? DEPENDENT_OBJECTS_STILL_EXIST}), since ${known.refused}`;
  if (known.names.length) {
    // In a stable order (the catalog's is not): the same database gives the same message.
    const shown = [...known.names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).slice(0, SHOWN);
    const more = known.names.length - shown.length;
    return `${generic}: in the database now, ${shown.join(', ')}${more > 0 ? `, and ${more} more` : ''}`;
  }
  if (!known.complete) return generic;
  return truncate
    ? `${what.text} with CASCADE: no table has a foreign key to ${what.them} in the database now, but any that does by the time this runs is emptied too, unnamed in the migration`
    : `${what.text} with CASCADE: nothing depends on ${what.them} in the database now, but anything that does by the time this runs is dropped too, unnamed in the migration (PostgreSQL does not record what a function body in quotes uses, such as PL/pgSQL's: such a function stays, and fails when it next runs)`;
}

/** How many of the dependents a message names. */
const SHOWN = 10;

/** What CASCADE takes in the database, as PostgreSQL names it; `complete` when every target was found there. */
type InDatabase = Cascade & { complete: boolean; inherited?: boolean; typed?: boolean };

/**
 * What CASCADE takes in the database lint reads (`lint --database-url`).
 * `absent` when none of the targets is there by name and each is of a kind
 * that would be (`ALWAYS_IN_GRAPH`): the statement drops nothing that
 * existed before the run (a pending file created it in a way lint does not
 * follow, or `IF EXISTS` finds nothing). Undefined without a database, or
 * when lint cannot tell (a function named without arguments has overloads,
 * or its arguments as written do not match the database's).
 */
function inDatabase(ctx: RuleContext, targets: DropTarget[] | undefined, truncate: boolean): InDatabase | 'absent' | undefined {
  const graph = ctx.catalog?.dependencies;
  if (!graph || !targets?.length) return undefined;
  const path = ctx.model.searchPathIsDefault ? graph.searchPath : ctx.model.searchPath;
  const found = targets.map((t) => resolve(graph, t, path));
  if (found.every((f) => !f.named) && targets.every((t) => ALWAYS_IN_GRAPH.has(t.kind))) return 'absent';
  if (found.some((f) => f.inherited)) return { names: [], complete: true, inherited: true };
  if (found.some((f) => f.typed)) return { names: [], complete: true, typed: true };
  // A function named without its arguments may be one of several overloads: PostgreSQL refuses that name (42725).
  const usable = found.map((f, k) => (f.ids.length === 1 || targets[k].kind !== 'function' ? f.ids : []));
  const ids = usable.flat();
  // Complete: each target found, a column nothing depends on, or of a kind whose absence means there is nothing (`ALWAYS_IN_GRAPH`).
  const complete = usable.every((u, k) => u.length > 0 || found[k].independent === true || (!found[k].named && ALWAYS_IN_GRAPH.has(targets[k].kind)));
  if (!ids.length) return complete && found.some((f) => f.independent) ? { names: [], complete } : undefined;
  if (truncate)
    return {
      names: truncatedWith(
        graph,
        usable.flatMap((u, k) => u.map((id) => ({ id, only: targets[k].only === true }))),
      ),
      complete,
    };
  return { ...cascadeOf(graph, ids), complete };
}

/** What a statement drops with CASCADE that existed before the run, as the message names it; undefined when nothing. */
function cascaded(ctx: RuleContext, s: ParsedStatement): Cascaded | undefined {
  const n = s.node;
  const named = (text: string, count: number, targets: (DropTarget | undefined)[]): Cascaded => ({
    text,
    them: oneOrMany(count, 'it', 'them'),
    targets: targets.every((t) => t !== undefined) ? (targets as DropTarget[]) : undefined,
  });
  if (s.kind === 'DropStmt' && n.behavior === 'DROP_CASCADE') {
    const kind = String(n.removeType);
    const objects = list(n.objects).filter((o) => existedBefore(ctx, kind, o));
    if (!objects.length) return undefined;
    const shown = objects.map((o) => displayName(kind, o)).filter((o) => o !== '');
    return named(
      `DROP ${kindWords(kind)}${shown.length ? ` of ${shown.join(', ')}` : ''}`,
      objects.length,
      objects.map((o) => dropTarget(kind, o)),
    );
  }
  if (s.kind === 'DropOwnedStmt' && n.behavior === 'DROP_CASCADE') {
    const roles = list(n.roles)
      .map(roleName)
      .filter((r) => !(CREATED.get(ctx.model)?.has(`OBJECT_ROLE:${r}`) ?? false));
    return roles.length
      ? { text: `DROP OWNED BY ${roles.join(', ')}`, them: `the objects ${oneOrMany(roles.length, `${roles[0]} owns`, 'they own')}, whoever owns it,` }
      : undefined;
  }
  if (s.kind === 'TruncateStmt' && n.behavior === 'DROP_CASCADE') {
    const tables = list(n.relations)
      .map((r) => ({ ...present(rangeVar(as(r, 'RangeVar'))), inh: as(r, 'RangeVar')?.inh === true }))
      .filter((r) => r.name !== undefined && ctx.model.isNamedBeforeRun(r));
    return tables.length
      ? named(
          `TRUNCATE of ${tables.map(tableName).join(', ')}`,
          tables.length,
          tables.map((r) => ({ kind: 'relation', schema: r.schema, name: r.name, relkinds: 'rp', only: !r.inh })),
        )
      : undefined;
  }
  const rel = rangeVar(n.relation);
  if (s.kind !== 'AlterTableStmt' || !rel || !ctx.model.isNamedBeforeRun(rel)) return undefined;
  const drops = list(n.cmds)
    .map((c) => as(c, 'AlterTableCmd'))
    .filter((c): c is Node => c?.behavior === 'DROP_CASCADE' && DROP_SUBCOMMANDS[String(c.subtype)] !== undefined);
  if (!drops.length) return undefined;
  const table = tableKey(ctx, rel);
  const names = NAMES.get(ctx.model);
  const text = `ALTER TABLE ${tableName(rel)} ${drops.map((c) => `${DROP_SUBCOMMANDS[String(c.subtype)]} ${ident(String(c.name))}`).join(', ')}`;
  // The pending set made the table typed, or not typed: whether PostgreSQL refuses a column drop is not the database's now.
  if (RETYPED.get(ctx.model)?.has(table) && drops.some((c) => c.subtype === 'AT_DropColumn')) return named(text, drops.length, [undefined]);
  return named(
    text,
    drops.length,
    drops.map((c): DropTarget | undefined => {
      const name = String(c.name);
      const kind = c.subtype === 'AT_DropColumn' ? 'column' : 'constraint';
      // Looked up by the name the database has for it, before the pending set renamed it.
      const known = names?.[kind].get(table);
      const before = known?.has(name) ? known.get(name) : name;
      if (before === false) return undefined;
      return before === null || before === undefined
        ? { kind, schema: rel.schema, table: rel.name, name, absent: true }
        : { kind, schema: rel.schema, table: rel.name, name: before };
    }),
  );
}

/**
 * The columns and the constraints the pending set renamed, added or dropped
 * so far, by table (`tableKey`): each current name to the name the database
 * has for that column or constraint, null when the database has it by no
 * name, or false when lint cannot tell what it is (a child's column or
 * constraint its parent got in the pending set).
 */
type Names = Map<string, Map<string, string | null | false>>;
const NAMES = new WeakMap<object, { column: Names; constraint: Names }>();
/** What a RenameStmt renames, of what NAMES follows. */
const RENAMED: Record<string, 'column' | 'constraint'> = { OBJECT_COLUMN: 'column', OBJECT_TABCONSTRAINT: 'constraint' };
/** Tables the pending set made typed or not typed (ALTER TABLE … OF / NOT OF), by `tableKey`. */
const RETYPED = new WeakMap<object, Set<string>>();

/**
 * A table as the database knows it: its id in the dependency graph, found
 * through the path drop-cascade looks names up in, so that a qualified and
 * an unqualified name of one table are one key; the model's key without a
 * graph, or for a table the database does not have.
 */
function tableKey(ctx: RuleContext, rel: RangeVar): string {
  const graph = ctx.catalog?.dependencies;
  const path = graph && (ctx.model.searchPathIsDefault ? graph.searchPath : ctx.model.searchPath);
  const id = graph && resolve(graph, { kind: 'relation', schema: rel.schema, name: rel.name, relkinds: 'rpf' }, present(path)).ids[0];
  return id ?? `model:${ctx.model.keyOf(rel)}`;
}

/** A table and, in the database, its partitions and inheritance children, all the way down: a column or constraint renamed on it is renamed on them. */
function withDescendants(ctx: RuleContext, key: string): string[] {
  const keys = [key];
  for (let k = 0; k < keys.length; k++) for (const child of ctx.catalog?.dependencies?.children.get(keys[k]) ?? []) if (!keys.includes(child)) keys.push(child);
  return keys;
}

/** Follows a statement's renames, additions and drops of columns and constraints, and OF / NOT OF (after the rule looked at it). */
function trackNames(ctx: RuleContext, s: ParsedStatement): void {
  const n = s.node;
  const rel = rangeVar(n.relation);
  const renamed = s.kind === 'RenameStmt' ? RENAMED[String(n.renameType)] : undefined;
  if (!rel || !(renamed || s.kind === 'AlterTableStmt')) return;
  let names = NAMES.get(ctx.model);
  if (!names) NAMES.set(ctx.model, (names = { column: new Map(), constraint: new Map() }));
  const namesOf = (kind: 'column' | 'constraint', key: string): Map<string, string | null | false> => {
    let known = names[kind].get(key);
    if (!known) names[kind].set(key, (known = new Map()));
    return known;
  };
  const key = tableKey(ctx, rel);
  const descendants = withDescendants(ctx, key).slice(1);
  if (renamed) {
    const from = String(n.subname);
    const beforeOf = (k: string) => {
      const known = namesOf(renamed, k);
      return known.has(from) ? get(known, from) : from;
    };
    const graph = ctx.catalog?.dependencies;
    const parent = beforeOf(key);
    // PostgreSQL renames a child's column with its parent's, and a child's constraint only when the parent's is a
    // CHECK or NOT NULL constraint and the child got it from the parent (not NO INHERIT).
    const carried = (k: string, before: string | null | false) =>
      renamed === 'column' ||
      (typeof before === 'string' &&
        graph?.inherited.has(`${k}:constraint:${before}`) === true &&
        typeof parent === 'string' &&
        (graph.byName.get(parent) ?? []).some((o) => o.kind === 'constraint' && o.parentId === key && (o.sub === 'c' || o.sub === 'n')));
    for (const k of [key, ...descendants]) {
      const before = beforeOf(k);
      if (k !== key && !carried(k, before)) continue;
      namesOf(renamed, k).set(from, null);
      namesOf(renamed, k).set(String(n.newname), before);
    }
    return;
  }
  const add = (kind: 'column' | 'constraint', name: string) => {
    namesOf(kind, key).set(name, null);
    for (const k of descendants) namesOf(kind, k).set(name, false);
  };
  for (const c of list(n.cmds).map((cmd) => as(cmd, 'AlterTableCmd'))) {
    if (c?.subtype === 'AT_DropColumn') namesOf('column', key).set(String(c.name), null);
    if (c?.subtype === 'AT_DropConstraint') namesOf('constraint', key).set(String(c.name), null);
    // ADD COLUMN IF NOT EXISTS of a column the table has adds nothing.
    const added = c?.subtype === 'AT_AddColumn' && c.missing_ok !== true ? as(c.def, 'ColumnDef')?.colname : undefined;
    if (typeof added === 'string') add('column', added);
    // A constraint made USING INDEX takes over an index that existed, with what depends on it: not tracked.
    const constraint = c?.subtype === 'AT_AddConstraint' ? as(c.def, 'Constraint') : undefined;
    if (typeof constraint?.conname === 'string' && constraint.indexname === undefined) add('constraint', constraint.conname);
    if (c?.subtype === 'AT_AddOf' || c?.subtype === 'AT_DropOf') {
      let retyped = RETYPED.get(ctx.model);
      if (!retyped) RETYPED.set(ctx.model, (retyped = new Set()));
      retyped.add(key);
    }
  }
}

/** A role as DROP OWNED BY names it. */
function roleName(r: unknown): string {
  const spec = as(r, 'RoleSpec');
  if (spec?.roletype === 'ROLESPEC_CSTRING') return ident(String(spec.rolename));
  return String(spec?.roletype ?? '').replace(/^ROLESPEC_/, '');
}

/** What lint looks up in the database for each kind DROP names (relations by their relkinds); not the other kinds. */
const LOOKED_UP: Record<string, { kind: DropKind; relkinds?: string }> = {
  OBJECT_TABLE: { kind: 'relation', relkinds: 'rp' },
  OBJECT_VIEW: { kind: 'relation', relkinds: 'v' },
  OBJECT_MATVIEW: { kind: 'relation', relkinds: 'm' },
  OBJECT_SEQUENCE: { kind: 'relation', relkinds: 'S' },
  OBJECT_INDEX: { kind: 'relation', relkinds: 'iI' },
  OBJECT_FOREIGN_TABLE: { kind: 'relation', relkinds: 'f' },
  OBJECT_TYPE: { kind: 'type' },
  OBJECT_DOMAIN: { kind: 'type' },
  OBJECT_FUNCTION: { kind: 'function' },
  OBJECT_PROCEDURE: { kind: 'function' },
  OBJECT_ROUTINE: { kind: 'function' },
  OBJECT_SCHEMA: { kind: 'schema' },
  OBJECT_EXTENSION: { kind: 'extension' },
};

function dropTarget(kind: string, o: unknown): DropTarget | undefined {
  const looked = LOOKED_UP[kind];
  const parts = nameParts(o);
  const name = parts[parts.length - 1];
  if (!looked || !name || parts.length > 2) return undefined;
  const withArgs = as(o, 'ObjectWithArgs');
  // Argument types as format_type writes them, without modifiers (a function's signature has none).
  const args =
    withArgs && !withArgs.args_unspecified ? list(withArgs.objargs).map((t) => typeNameText(as(t, 'TypeName')).replace(/\([^)]*\)/g, '')) : undefined;
  return { ...looked, schema: parts.length === 2 ? parts[0] : undefined, name, ...(args ? { args } : {}) };
}

const DROP_SUBCOMMANDS: Record<string, string> = { AT_DropColumn: 'DROP COLUMN', AT_DropConstraint: 'DROP CONSTRAINT' };

/** How the statement names the kind: OBJECT_MATVIEW → MATERIALIZED VIEW. */
function kindWords(kind: string): string {
  return (
    (
      {
        OBJECT_MATVIEW: 'MATERIALIZED VIEW',
        OBJECT_FDW: 'FOREIGN DATA WRAPPER',
        OBJECT_OPCLASS: 'OPERATOR CLASS',
        OBJECT_OPFAMILY: 'OPERATOR FAMILY',
        OBJECT_TSCONFIGURATION: 'TEXT SEARCH CONFIGURATION',
        OBJECT_TSDICTIONARY: 'TEXT SEARCH DICTIONARY',
      } as Record<string, string>
    )[kind] ?? kind.replace(/^OBJECT_/, '').replace(/_/g, ' ')
  );
}

/** The parts of a dropped object's name, as the parse tree holds them. */
function nameParts(o: unknown): string[] {
  const str = as(o, 'String');
  if (str) return [String(str.sval)];
  const typeName = as(o, 'TypeName');
  if (typeName) return names(typeName.names);
  const withArgs = as(o, 'ObjectWithArgs');
  if (withArgs) return names(withArgs.objname);
  return names(as(o, 'List')?.items);
}

/** Kinds whose name is `[schema.]table.name`: shown as `name ON table`. */
const ON_TABLE = new Set(['OBJECT_TRIGGER', 'OBJECT_POLICY', 'OBJECT_RULE']);

/** The object as the message names it; '' when its name is not a plain name (a cast: its two types). */
function displayName(kind: string, o: unknown): string {
  const parts = nameParts(o).filter((p) => p !== '');
  if (!parts.length) return '';
  if (ON_TABLE.has(kind) && parts.length > 1) return `${ident(parts[parts.length - 1])} ON ${parts.slice(0, -1).map(ident).join('.')}`;
  const name = parts.map(ident).join('.');
  return as(o, 'ObjectWithArgs') ? `${name}(…)` : name;
}

/** Whether a dropped object existed before the run: not when the pending set created it before this statement. */
function existedBefore(ctx: RuleContext, kind: string, o: unknown): boolean {
  const parts = nameParts(o);
  const name = parts[parts.length - 1];
  if (!name) return true;
  if (kind === 'OBJECT_TABLE' || kind === 'OBJECT_VIEW' || kind === 'OBJECT_MATVIEW') {
    return ctx.model.isNamedBeforeRun({ schema: parts.length > 1 ? parts[parts.length - 2] : undefined, name });
  }
  if (kind === 'OBJECT_SCHEMA') return !ctx.model.isSchemaNew(name);
  return !(CREATED.get(ctx.model)?.has(`${kind}:${name}`) ?? false);
}

/** Objects the pending set created, as `OBJECT_KIND:name`, per lint run (tables, views and schemas are the model's). */
const CREATED = new WeakMap<object, Set<string>>();

/** The `OBJECT_KIND:name` keys a statement creates, for the kinds DROP names. */
function createdKeys(s: ParsedStatement): string[] {
  const n = s.node;
  const last = (v: unknown): string => names(v).pop() ?? '';
  switch (s.kind) {
    case 'CreateSeqStmt':
      return [`OBJECT_SEQUENCE:${rangeVar(n.sequence)?.name ?? ''}`];
    case 'IndexStmt':
      return typeof n.idxname === 'string' ? [`OBJECT_INDEX:${n.idxname}`] : [];
    case 'CreateEnumStmt':
    case 'CreateRangeStmt':
      return [`OBJECT_TYPE:${last(n.typeName)}`];
    case 'CompositeTypeStmt':
      return [`OBJECT_TYPE:${rangeVar(n.typevar)?.name ?? ''}`];
    case 'DefineStmt':
      return [`${String(n.kind)}:${last(n.defnames)}`];
    case 'CreateDomainStmt':
      return [`OBJECT_DOMAIN:${last(n.domainname)}`];
    case 'CreateFunctionStmt':
      return [n.is_procedure ? 'OBJECT_PROCEDURE' : 'OBJECT_FUNCTION', 'OBJECT_ROUTINE'].map((k) => `${k}:${last(n.funcname)}`);
    case 'CreateRoleStmt':
      return [`OBJECT_ROLE:${ident(String(n.role))}`];
    case 'CreateExtensionStmt':
      return [`OBJECT_EXTENSION:${String(n.extname)}`];
    case 'CreateTrigStmt':
      return [`OBJECT_TRIGGER:${String(n.trigname)}`];
    case 'CreatePolicyStmt':
      return [`OBJECT_POLICY:${String(n.policy_name)}`];
    case 'CreateForeignTableStmt':
      return [`OBJECT_FOREIGN_TABLE:${rangeVar((n.base as Node | undefined)?.relation)?.name ?? ''}`];
    default:
      return [];
  }
}

function remember(ctx: RuleContext, s: ParsedStatement): void {
  const keys = createdKeys(s);
  if (!keys.length) return;
  let created = CREATED.get(ctx.model);
  if (!created) CREATED.set(ctx.model, (created = new Set()));
  for (const k of keys) created.add(k);
}

/** The statement's CASCADE keywords that choose the drop behaviour (not a foreign key's ON DELETE/UPDATE CASCADE), offsets in its text. */
function cascadeTokens(s: ParsedStatement): { start: number; end: number; after: number }[] {
  const tokens = tokensOf(s);
  const found: { start: number; end: number; after: number }[] = [];
  tokens.forEach((t, k) => {
    const before = tokens[k - 1]?.text.toLowerCase();
    if (t.text.toLowerCase() === 'cascade' && before !== 'delete' && before !== 'update') {
      found.push({ start: t.start, end: t.end, after: tokens[k - 1]?.end ?? t.start });
    }
  });
  return found;
}

/** The statement with each of its drop-behaviour CASCADE keywords taken out. */
function statementWithoutCascade(s: ParsedStatement): string {
  const b = Buffer.from(s.text);
  let out = '';
  let from = 0;
  for (const c of cascadeTokens(s)) {
    out += b.subarray(from, c.after).toString('utf8');
    from = c.end;
  }
  return out + b.subarray(from).toString('utf8');
}

function fixFor(s: ParsedStatement): string {
  const refused =
    s.kind === 'TruncateStmt'
      ? '-- without CASCADE, PostgreSQL refuses this (0A000) while another table has a foreign key to it, and its DETAIL names that table: list each table to empty in the TRUNCATE itself'
      : '-- without CASCADE, PostgreSQL refuses this (2BP01) while anything depends on it, and its DETAIL names each dependent: drop or change those explicitly before it, in this migration';
  return renderFix([
    inPlace(
      `${statementWithoutCascade(s)};`,
      refused,
      '-- or, when losing everything that depends on it is intended: the statement as it was, after an allow directive for drop-cascade whose reason names what goes with it',
    ),
  ]);
}
