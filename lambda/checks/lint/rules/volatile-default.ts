/**
 * volatile-default: ADD COLUMN on an existing table whose value PostgreSQL
 * must compute per row — a volatile DEFAULT, a serial type, an identity, a
 * stored generated column, a domain with constraints — so the table is
 * rewritten under ACCESS EXCLUSIVE. A constant or stable default (now(),
 * CURRENT_TIMESTAMP) is evaluated once and stored: no rewrite. A default
 * calling a function whose volatility lint cannot learn (no migration
 * creates it, no database was given, not a known built-in) is reported as
 * one that may rewrite. The fix adds the column nullable; a NOT NULL (or
 * primary-key) column gets its way back: a CHECK … NOT VALID, validated in a
 * later migration, then SET NOT NULL without a scan.
 */
import { quoteLiteral, sqlComment } from '../../../engine/sql/sql-quote';
import { as, list, typeBase, type Node, type ParsedStatement } from '../../parser/parse';
import { columnParts, columnRewrite, rewriteContextOf, type DomainFacts } from '../column';
import { constraintNames, isPartitioned } from '../catalog';
import { inPlace, renderFix, type FixFile } from '../fix';
import { columnConstraintText, columnWithout, identityLater, notNullSteps } from '../fix-steps';
import type { AlterTarget } from '../model';
import type { LintRule, RuleContext } from '../rule';
import { ident, objectName, onlyIn, regclassName, tableName } from '../sql-text';

export const VOLATILE_DEFAULT: LintRule = {
  id: 'volatile-default',
  severity: 'error',
  title:
    'new column on an existing table whose value is computed per row (volatile or unknown default, serial, identity, stored generated, constrained domain)',
  why: 'PostgreSQL rewrites the whole table and its indexes under an ACCESS EXCLUSIVE lock to fill the column: reads and writes stop for the duration (a constant or stable default such as now() is stored once, without a rewrite)',
  fix: 'add the column without it, SET DEFAULT for new rows, backfill existing rows in batches; a NOT NULL column then gets a CHECK … NOT VALID, VALIDATE in a later migration, and SET NOT NULL (no scan)',
  squawk: ['adding-field-with-default'],
  examples: {
    existing: 'CREATE TABLE leads (id bigint PRIMARY KEY, name text);',
    triggers: 'ALTER TABLE leads ADD COLUMN token uuid DEFAULT gen_random_uuid();',
    passes: 'ALTER TABLE leads ADD COLUMN token uuid;\nALTER TABLE leads ALTER COLUMN token SET DEFAULT gen_random_uuid();',
  },
  alterCommand(ctx, s, t, cmd) {
    if (cmd.subtype !== 'AT_AddColumn' || !t.existing) return;
    const col = as(cmd.def, 'ColumnDef');
    if (!col || (cmd.missing_ok && t.table.columns.has(String(col.colname)))) return;
    const rewrite = columnRewrite(col, rewriteContextOf(ctx));
    if (!rewrite) return;
    const name = String(col.colname);
    ctx.report(VOLATILE_DEFAULT, s, {
      message: `ADD COLUMN ${ident(name)} on existing table ${tableName(t.rel)} with ${rewrite.what}${rewrite.certain ? '' : ': it rewrites the table if that function is VOLATILE'}`,
      fix:
        renderFix(rewrite.domain ? domainFix(s, t, col, rewrite.domain) : withNotNull(ctx, s, t, col, fixFor(s, t, col))) +
        (rewrite.certain ? '' : '\n-- or, when the function is STABLE or IMMUTABLE: lint with --database-url reads its volatility from pg_proc'),
      at: col.location as number | undefined,
    });
  },
};

/**
 * A NOT NULL or primary-key column was added nullable by `files` (not an
 * identity, whose comment says how it becomes NOT NULL): the way back, a
 * CHECK … NOT VALID with it (new rows get the default), validated in a later
 * migration once the backfill is done, then SET NOT NULL without a scan
 * (notNullSteps, as adding-required-field's fix).
 */
function withNotNull(ctx: RuleContext, s: ParsedStatement, t: AlterTarget, col: Node, files: FixFile[]): FixFile[] {
  const p = columnParts(col);
  if (!(p.notNull || p.primaryKey || p.serial) || p.identity) return files;
  // The CHECK goes with the statements, before the backfill's comment that ends the first file.
  const first = files[0];
  const backfill = first.lines.filter((l) => l.startsWith('--'));
  const [added, proven] = notNullSteps(
    t.rel,
    String(col.colname),
    { ...first, lines: first.lines.filter((l) => !l.startsWith('--')) },
    {
      only: onlyIn(s),
      partitioned: isPartitioned(ctx.catalog, t.table),
      taken: constraintNames(ctx.catalog, t.table),
    },
  );
  added.lines.push(...backfill);
  if (p.primaryKey) proven.lines.push(sqlComment('then the primary key, built CONCURRENTLY and attached USING INDEX (see index-not-concurrent)'));
  return [added, proven, ...files.slice(1)];
}

/** The column without what rewrites, then the default for new rows; existing rows are backfilled in batches. */
function fixFor(s: ParsedStatement, t: AlterTarget, col: Node): FixFile[] {
  const table = tableName(t.rel);
  const name = ident(String(col.colname));
  const p = columnParts(col);
  if (p.serial) return serialFix(t, col);
  const plain = columnWithout(s, col, (c) => REWRITING.has(String(c.contype)));
  if (p.identity || p.generated) {
    return [
      inPlace(
        `ALTER TABLE ${table} ADD COLUMN ${plain};`,
        p.identity
          ? identityLater(table, name)
          : sqlComment(
              `PostgreSQL 18: GENERATED ALWAYS AS (…) VIRTUAL adds it without a rewrite; before 18, fill ${name} from a trigger and backfill existing rows in batches`,
            ),
      ),
    ];
  }
  const expr = defaultExpression(s, col);
  return [
    inPlace(
      `ALTER TABLE ${table} ADD COLUMN ${plain};`,
      ...(expr ? [`ALTER TABLE ${table} ALTER COLUMN ${name} SET DEFAULT ${expr};  -- for new rows only: no rewrite`] : []),
      sqlComment(`then backfill existing rows in batches${expr ? `: UPDATE ${table} SET ${name} = ${expr} WHERE ${name} IS NULL AND …` : ''}`),
    ),
  ];
}

/** A constrained domain: the column of its base type, the default for new rows; the domain after the backfill. */
function domainFix(s: ParsedStatement, t: AlterTarget, col: Node, domain: DomainFacts): FixFile[] {
  const table = tableName(t.rel);
  const name = ident(String(col.colname));
  const expr = defaultExpression(s, col);
  return [
    inPlace(
      `ALTER TABLE ${table} ADD COLUMN ${name} ${domain.baseType};`,
      ...(expr ? [`ALTER TABLE ${table} ALTER COLUMN ${name} SET DEFAULT ${expr};  -- for new rows only: no rewrite`] : []),
      sqlComment(`then backfill existing rows in batches, and keep the domain's rule as a CHECK on ${name} added NOT VALID and validated in a later migration`),
    ),
  ];
}

/** What makes a column rewrite, and NOT NULL / PRIMARY KEY, which a column added empty cannot take yet. */
const REWRITING = new Set(['CONSTR_DEFAULT', 'CONSTR_IDENTITY', 'CONSTR_GENERATED', 'CONSTR_NOTNULL', 'CONSTR_PRIMARY']);

const SERIAL_BASE: Record<string, string> = {
  serial: 'integer',
  serial4: 'integer',
  bigserial: 'bigint',
  serial8: 'bigint',
  smallserial: 'smallint',
  serial2: 'smallint',
};

/** A serial column is its integer type, a sequence it owns and a nextval() default for new rows. */
function serialFix(t: AlterTarget, col: Node): FixFile[] {
  const table = tableName(t.rel);
  const name = ident(String(col.colname));
  const seqName = objectName(t.rel.name, String(col.colname), 'seq');
  const seq = ident(seqName);
  const nextval = `nextval(${quoteLiteral(regclassName(seqName))})`;
  return [
    inPlace(
      `CREATE SEQUENCE IF NOT EXISTS ${seq};`,
      `ALTER TABLE ${table} ADD COLUMN ${name} ${SERIAL_BASE[typeBase(col.typeName)] ?? 'bigint'};`,
      `ALTER SEQUENCE ${seq} OWNED BY ${table}.${name};`,
      `ALTER TABLE ${table} ALTER COLUMN ${name} SET DEFAULT ${nextval};  -- for new rows only: no rewrite`,
      sqlComment(`then backfill existing rows in batches: UPDATE ${table} SET ${name} = ${nextval} WHERE ${name} IS NULL AND …`),
    ),
  ];
}

/** The column's DEFAULT expression as written. */
function defaultExpression(s: ParsedStatement, col: Node): string | undefined {
  const con = list(col.constraints)
    .map((c) => as(c, 'Constraint'))
    .find((c) => c?.contype === 'CONSTR_DEFAULT');
  return con ? columnConstraintText(s, col, con, 1) : undefined;
}
