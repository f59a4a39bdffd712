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
 * A warning: when nothing depends on the object, CASCADE does nothing more,
 * and lint cannot see the database's dependencies. Not reported for an object
 * the pending set created before the statement (everything that can depend
 * on it is in the files the author is reviewing); objects other than tables,
 * views and schemas are matched by kind and unqualified name. `DROP OWNED BY
 * … CASCADE` is not covered.
 *
 * The fix is the statement without CASCADE.
 */
import { as, list, names, rangeVar, type Node, type ParsedStatement, type RangeVar } from '../../parse';
import { inPlace, renderFix } from '../fix';
import type { LintRule, RuleContext } from '../rule';
import { ident, tableName, tokensOf } from '../sql-text';

export const DROP_CASCADE: LintRule = {
  id: 'drop-cascade',
  severity: 'warning',
  title: 'DROP … CASCADE or TRUNCATE … CASCADE of an existing object',
  why: 'CASCADE also drops what depends on the object, unnamed in the migration: a column default that called a sequence (the running application\'s INSERTs then fail with 23502), the columns of a type with their data, views (42P01), triggers, other tables\' foreign keys; TRUNCATE … CASCADE empties every table that references it',
  fix: 'the statement without CASCADE: PostgreSQL then refuses it while anything depends on the object and names each dependent (2BP01; 0A000 for TRUNCATE), and those are dropped or changed explicitly first',
  squawk: ['ban-truncate-cascade'],
  examples: {
    existing: "CREATE TYPE invoice_state AS ENUM ('open', 'paid');\nCREATE TABLE invoices (id bigint PRIMARY KEY, state text);",
    triggers: 'DROP TYPE invoice_state CASCADE;',
    passes: 'DROP TYPE invoice_state;',
  },
  statement(ctx, s) {
    const what = cascaded(ctx, s);
    if (what) {
      const cascade = cascadeTokens(s)[0];
      ctx.report(DROP_CASCADE, s, {
        message: `${what.text} with CASCADE: ${s.kind === 'TruncateStmt' ? `every table with a foreign key to ${what.them} is emptied too` : `everything that depends on ${what.them} is dropped too`}, and the migration does not say what that is`,
        fix: fixFor(s),
        at: cascade === undefined ? undefined : s.byteOffset + cascade.start,
      });
    }
    remember(ctx, s);
  },
};

/** What a statement drops with CASCADE that existed before the run, as the message names it (and `it` or `them`); undefined when nothing. */
function cascaded(ctx: RuleContext, s: ParsedStatement): { text: string; them: string } | undefined {
  const n = s.node;
  const named = (text: string, count: number) => ({ text, them: count > 1 ? 'them' : 'it' });
  if (s.kind === 'DropStmt' && n.behavior === 'DROP_CASCADE') {
    const kind = String(n.removeType);
    const objects = list(n.objects).filter((o) => existedBefore(ctx, kind, o)).map((o) => displayName(kind, o));
    if (!objects.length) return undefined;
    const shown = objects.filter((o) => o !== '');
    return named(`DROP ${kindWords(kind)}${shown.length ? ` of ${shown.join(', ')}` : ''}`, objects.length);
  }
  if (s.kind === 'TruncateStmt' && n.behavior === 'DROP_CASCADE') {
    const tables = list(n.relations).map((r) => rangeVar(as(r, 'RangeVar'))).filter((r): r is RangeVar => r !== undefined && ctx.model.isNamedBeforeRun(r));
    return tables.length ? named(`TRUNCATE of ${tables.map(tableName).join(', ')}`, tables.length) : undefined;
  }
  const rel = rangeVar(n.relation);
  if (s.kind !== 'AlterTableStmt' || !rel || !ctx.model.isNamedBeforeRun(rel)) return undefined;
  const drops = list(n.cmds).map((c) => as(c, 'AlterTableCmd')).filter((c): c is Node => c?.behavior === 'DROP_CASCADE' && DROP_SUBCOMMANDS[String(c.subtype)] !== undefined);
  if (!drops.length) return undefined;
  return named(`ALTER TABLE ${tableName(rel)} ${drops.map((c) => `${DROP_SUBCOMMANDS[String(c.subtype)]} ${ident(String(c.name))}`).join(', ')}`, drops.length);
}

const DROP_SUBCOMMANDS: Record<string, string> = { AT_DropColumn: 'DROP COLUMN', AT_DropConstraint: 'DROP CONSTRAINT' };

/** How the statement names the kind: OBJECT_MATVIEW → MATERIALIZED VIEW. */
function kindWords(kind: string): string {
  return ({ OBJECT_MATVIEW: 'MATERIALIZED VIEW', OBJECT_FDW: 'FOREIGN DATA WRAPPER', OBJECT_OPCLASS: 'OPERATOR CLASS', OBJECT_OPFAMILY: 'OPERATOR FAMILY', OBJECT_TSCONFIGURATION: 'TEXT SEARCH CONFIGURATION', OBJECT_TSDICTIONARY: 'TEXT SEARCH DICTIONARY' } as Record<string, string>)[kind]
    ?? kind.replace(/^OBJECT_/, '').replace(/_/g, ' ');
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
  if (ON_TABLE.has(kind) && parts.length > 1) return `${ident(parts[parts.length - 1]!)} ON ${parts.slice(0, -1).map(ident).join('.')}`;
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
    case 'CreateSeqStmt': return [`OBJECT_SEQUENCE:${rangeVar(n.sequence)?.name ?? ''}`];
    case 'IndexStmt': return typeof n.idxname === 'string' ? [`OBJECT_INDEX:${n.idxname}`] : [];
    case 'CreateEnumStmt':
    case 'CreateRangeStmt': return [`OBJECT_TYPE:${last(n.typeName)}`];
    case 'CompositeTypeStmt': return [`OBJECT_TYPE:${rangeVar(n.typevar)?.name ?? ''}`];
    case 'DefineStmt': return [`${String(n.kind)}:${last(n.defnames)}`];
    case 'CreateDomainStmt': return [`OBJECT_DOMAIN:${last(n.domainname)}`];
    case 'CreateFunctionStmt': return [n.is_procedure ? 'OBJECT_PROCEDURE' : 'OBJECT_FUNCTION', 'OBJECT_ROUTINE'].map((k) => `${k}:${last(n.funcname)}`);
    case 'CreateExtensionStmt': return [`OBJECT_EXTENSION:${String(n.extname)}`];
    case 'CreateTrigStmt': return [`OBJECT_TRIGGER:${String(n.trigname)}`];
    case 'CreatePolicyStmt': return [`OBJECT_POLICY:${String(n.policy_name)}`];
    case 'CreateForeignTableStmt': return [`OBJECT_FOREIGN_TABLE:${rangeVar((n.base as Node | undefined)?.relation)?.name ?? ''}`];
    default: return [];
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
  const refused = s.kind === 'TruncateStmt'
    ? '-- without CASCADE, PostgreSQL refuses this (0A000) while another table has a foreign key to it, and its DETAIL names that table: list each table to empty in the TRUNCATE itself'
    : '-- without CASCADE, PostgreSQL refuses this (2BP01) while anything depends on it, and its DETAIL names each dependent: drop or change those explicitly before it, in this migration';
  return renderFix([inPlace(
    `${statementWithoutCascade(s)};`,
    refused,
    '-- or, when losing everything that depends on it is intended: the statement as it was, after an allow directive for drop-cascade whose reason names what goes with it',
  )]);
}
