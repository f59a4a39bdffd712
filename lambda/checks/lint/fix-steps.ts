/**
 * The safe routes several rules print, as migration files: a constraint
 * added NOT VALID then validated in a later migration; NOT NULL proven by a
 * validated CHECK; a unique key built CONCURRENTLY then attached USING
 * INDEX; a swap's new column that keeps its name; an UPDATE or DELETE of a
 * whole table run one primary-key range at a time. Each is written so that
 * lint passes it (fixes.test.ts lints them).
 */
import { sqlComment } from '../../engine/sql/sql-quote';
import { as, list, names, type Node, type ParsedStatement, type RangeVar } from '../parser/parse';
import { columnParts } from './column';
import { inPlace, later, ownNoTransaction, type FixFile, type FixPlace } from './fix';
import type { RuleContext } from './rule';
import { defaultConstraintName } from './model-tables';
import { clauseAt, ident, objectName, sliceOf, tableName, tokensOf } from './sql-text';
import { freeObjectName } from '../names/object-names';

/** Whether the statement named its table with ONLY (`onlyIn`): the ADD CONSTRAINT … NOT VALID of the fix keeps it. */
export interface OnlyOption {
  only?: boolean;
}

/**
 * ADD CONSTRAINT … NOT VALID in place of the statement, VALIDATE in a later
 * migration. `only`: the ADD keeps the statement's ONLY, so that it goes
 * where the statement's constraint would (on a partitioned table with
 * partitions, PostgreSQL refuses ONLY for a CHECK, and for a foreign key
 * always, as it refuses the statement; without it the constraint went on
 * every partition). The VALIDATE goes without ONLY: it validates the
 * constraint wherever the ADD put it, while ONLY is refused once a partition
 * or child holds it ("constraint must be validated on child tables too",
 * PostgreSQL 15 and 18; a partition created between the two files copies
 * the constraint).
 */
export function notValidSteps(rel: RangeVar, name: string, clause: string, before: string[] = [], o: OnlyOption = {}): FixFile[] {
  const t = tableName(rel);
  return [
    inPlace(...before, `ALTER TABLE ${o.only ? 'ONLY ' : ''}${t} ADD CONSTRAINT ${ident(name)} ${clause} NOT VALID;  -- instant, enforced for new rows`),
    later(`ALTER TABLE ${t} VALIDATE CONSTRAINT ${ident(name)};  -- scans under a lock that lets reads and writes go on`),
  ];
}

export interface DeferredConstraint {
  name: string;
  /** `FOREIGN KEY (col) REFERENCES …` or `CHECK (…)`. */
  clause: string;
}

/** A new column's CHECK and REFERENCES constraints (`cons`), as table constraints to add NOT VALID after the column. */
export function deferredColumnConstraints(s: ParsedStatement, rel: RangeVar, col: Node, cons: Node[]): DeferredConstraint[] {
  const column = String(col.colname);
  return cons.map((con) => {
    const name = typeof con.conname === 'string' ? con.conname : defaultConstraintName(rel.name, con, [column]);
    const text = columnConstraintText(s, col, con);
    return { name, clause: con.contype === 'CONSTR_FOREIGN' ? `FOREIGN KEY (${ident(column)}) ${text}` : text };
  });
}

/** ADD CONSTRAINT … NOT VALID for each constraint into `add`, its VALIDATE into `validate`. */
export function deferInto(rel: RangeVar, constraints: DeferredConstraint[], add: FixFile, validate: FixFile, o: OnlyOption = {}): void {
  for (const c of constraints) {
    const [a, v] = notValidSteps(rel, c.name, c.clause, [], o);
    add.lines.push(...a.lines);
    validate.lines.push(...v.lines);
  }
}

/**
 * A new column's CHECK and REFERENCES that PostgreSQL validates at once. A
 * CHECK always scans the table. A foreign key is checked only when the
 * column has a default expression — a DEFAULT (even DEFAULT NULL), a serial
 * type's nextval() or a generation expression: PostgreSQL's
 * transformAlterTableStmt skips the validation of a column's foreign key
 * when its raw default is empty (every row is NULL), and marks it valid
 * (checked on PostgreSQL 15 and 18: no "validating foreign key constraint",
 * 2 ms against 230–480 ms with a DEFAULT on 3 million rows). Since
 * PostgreSQL 13 each subcommand is transformed on its own, so a DEFAULT on
 * another column of the same ALTER TABLE changes nothing. An identity
 * column, and a column of a domain with a default, have no raw default
 * either: their foreign key is marked valid unchecked, although every row
 * gets a value (an identity's rewrite is volatile-default's; the unchecked
 * foreign key is constraint-not-valid's `uncheckedForeignKeys`).
 */
export function validatedColumnConstraints(col: Node): Node[] {
  const p = columnParts(col);
  const fkChecked = p.hasDefault || p.serial || p.generated !== undefined;
  return list(col.constraints)
    .map((c) => as(c, 'Constraint'))
    .filter((c): c is Node => !!c && !c.skip_validation && (c.contype === 'CONSTR_CHECK' || (c.contype === 'CONSTR_FOREIGN' && fkChecked)));
}

/** What makes a column added without its identity an identity, once its existing rows have values (an identity added at once rewrites the table). */
export function identityLater(table: string, column: string): string {
  return sqlComment(
    `backfill ${column} in batches, make it NOT NULL (see set-not-null-without-check), then: ALTER TABLE ${table} ALTER COLUMN ${column} ADD GENERATED BY DEFAULT AS IDENTITY, and setval() its sequence past the largest value`,
  );
}

export interface NotNullOptions extends OnlyOption {
  /** The table's constraint names (`constraintNames`): the CHECK's name is one none of them has. @default - none known */
  taken?: ReadonlySet<string>;
  /** The author's own `ADD CONSTRAINT … NOT NULL` (its SQL and name), made in place of SET NOT NULL. */
  makeNotNull?: { sql: string; name?: string };
  /** The table is partitioned, where PostgreSQL refuses a NO INHERIT CHECK. */
  partitioned?: boolean;
}

/**
 * The name of the CHECK that proves `column` not null until SET NOT NULL:
 * `<table>_<column>_not_null_proof`, shortened as PostgreSQL shortens names;
 * when `taken` holds that name (a constraint of the table, or the one the
 * fix itself adds), the first of `…_not_null_proof1`, `…2`, … it does not,
 * as PostgreSQL picks its own names. Not `…_not_null`: PostgreSQL 18 gives
 * that name to the NOT NULL constraint itself (a pg_constraint row), so with
 * the CHECK still there it named its own `…_not_null1` (checked on
 * PostgreSQL 18). No name PostgreSQL makes ends in `_proof` (its labels:
 * pkey, key, excl, fkey, check, not_null, idx, seq).
 */
export function notNullProofName(table: string, column: string, taken: (name: string) => boolean = () => false): string {
  return freeObjectName(taken, table, column, 'not_null_proof');
}

/**
 * The CHECK that proves `column` not null, validated in a later file, then
 * SET NOT NULL without a scan (PostgreSQL 12+), or `makeNotNull` in its place
 * (the author's own `ADD CONSTRAINT … NOT NULL`, skipped the same way).
 * `only`: the statement's ONLY is kept on the ADD and on SET NOT NULL, so
 * that child tables of an inheritance parent stay as they were; the CHECK is
 * then NO INHERIT (a CHECK added with ONLY to a parent with children is
 * refused, "constraint must be added to child tables too"; a NO INHERIT one
 * still proves the parent's column, PostgreSQL 15 and 18), except on a
 * partitioned table, which refuses NO INHERIT. VALIDATE and DROP go
 * without ONLY, as notValidSteps' VALIDATE.
 */
export function notNullSteps(rel: RangeVar, column: string, first: FixFile = inPlace(), o: NotNullOptions = {}): FixFile[] {
  const t = tableName(rel);
  const only = o.only ? 'ONLY ' : '';
  const check = ident(notNullProofName(rel.name, column, (name) => name === o.makeNotNull?.name || o.taken?.has(name) === true));
  const noInherit = o.only && !o.partitioned ? ' NO INHERIT' : '';
  return [
    {
      ...first,
      lines: [
        ...first.lines,
        `ALTER TABLE ${only}${t} ADD CONSTRAINT ${check} CHECK (${ident(column)} IS NOT NULL)${noInherit} NOT VALID;${noInherit ? '  -- NO INHERIT: as ONLY, on this table alone' : ''}`,
      ],
    },
    later(
      `ALTER TABLE ${t} VALIDATE CONSTRAINT ${check};`,
      o.makeNotNull?.sql ?? `ALTER TABLE ${only}${t} ALTER COLUMN ${ident(column)} SET NOT NULL;  -- no scan: the validated CHECK proves it`,
      `ALTER TABLE ${t} DROP CONSTRAINT ${check};`,
    ),
  ];
}

/** How a key's steps go (`uniqueKeySteps`). */
export interface KeyStepOptions extends Omit<NotNullOptions, 'makeNotNull'> {
  /**
   * With ONLY, a primary key's NOT NULL steps go to the inheritance children
   * too: PostgreSQL 18 refuses a primary key on a parent, ONLY or not, while
   * a child's column may be NULL ("column … of table … is not marked NOT
   * NULL"), and then refuses a NO INHERIT NOT NULL under it ("cannot change
   * NO INHERIT status"); PostgreSQL 15 made the parent's column alone NOT
   * NULL. @default false
   */
  childrenNotNull?: boolean;
}

/**
 * A UNIQUE or PRIMARY KEY built CONCURRENTLY in a no-transaction file, then
 * attached with USING INDEX; a primary key's columns are made NOT NULL first
 * (`nullable`: those not known to be NOT NULL already). `con`, the
 * constraint as written, keeps its name, INCLUDE columns, NULLS NOT
 * DISTINCT and DEFERRABLE / INITIALLY DEFERRED. `only`: the attach and the
 * NOT NULL steps keep the statement's ONLY (an index is never built on
 * child tables of an inheritance parent: the build needs none).
 */
export function uniqueKeySteps(
  rel: RangeVar,
  kind: 'UNIQUE' | 'PRIMARY KEY',
  columns: string[],
  nullable: string[],
  buildPlace: FixPlace = 'own',
  con?: Node,
  o: KeyStepOptions = {},
): FixFile[] {
  const t = tableName(rel);
  // The constraint's own name (an ORM's, which its next migration looks for), else PostgreSQL's default one.
  const index = typeof con?.conname === 'string' ? con.conname : objectName(rel.name, ...(kind === 'PRIMARY KEY' ? ['pkey'] : [...columns, 'key']));
  const include = names(con?.including);
  const indexOptions = `${include.length ? ` INCLUDE (${include.map(ident).join(', ')})` : ''}${con?.nulls_not_distinct ? ' NULLS NOT DISTINCT' : ''}`;
  const timing = con?.deferrable ? ` DEFERRABLE${con.initdeferred ? ' INITIALLY DEFERRED' : ''}` : '';
  const build = {
    ...ownNoTransaction(`CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ${ident(index)} ON ${t} (${columns.map(ident).join(', ')})${indexOptions};`),
    place: buildPlace,
  };
  const attach = `ALTER TABLE ${o.only ? 'ONLY ' : ''}${t} ADD CONSTRAINT ${ident(index)} ${kind} USING INDEX ${ident(index)}${timing};`;
  const children = o.only && o.childrenNotNull && !o.partitioned;
  const notNull = kind === 'PRIMARY KEY' ? nullable.flatMap((c) => notNullSteps(rel, c, later(), children ? { ...o, only: false } : o)) : [];
  if (children && notNull[0]) notNull[0] = { ...notNull[0], lines: [CHILDREN_NOT_NULL, ...notNull[0].lines] };
  return [build, ...notNull, later(attach)];
}

const CHILDREN_NOT_NULL =
  "-- without ONLY: PostgreSQL 18 makes a primary key's columns NOT NULL on every inheritance child too, ONLY or not (it refuses the key while a child's column may be NULL)," +
  ' so the CHECK and SET NOT NULL go to the children as well; on PostgreSQL 15 the statement left them nullable (lint with a 15 server or --server-version 15 keeps that)';

/** A column definition as written, without some of its constraints (`ADD COLUMN … UNIQUE` → `ADD COLUMN …`). */
export function columnWithout(s: ParsedStatement, col: Node, drop: (con: Node) => boolean): string {
  const start = col.location as number;
  const cons = list(col.constraints)
    .map((c) => as(c, 'Constraint'))
    .filter((c): c is Node => !!c);
  const end = start + Buffer.byteLength(clauseAt(s, start));
  let text = '';
  let from = start;
  // DEFERRABLE / INITIALLY … are nodes of their own after the constraint they qualify: they go with it (left alone, PostgreSQL refuses them).
  let dropped = false;
  cons.forEach((c, k) => {
    const at = c.location as number;
    const next = (cons[k + 1]?.location as number | undefined) ?? end;
    dropped = isAttribute(c) ? dropped : drop(c);
    if (!dropped && !drop(c)) return;
    const kept = sliceOf(s, from, at);
    if (kept) text += `${kept} `;
    from = next;
  });
  return `${text}${sliceOf(s, from, end)}`.trim();
}

/** DEFERRABLE, NOT DEFERRABLE, INITIALLY DEFERRED / IMMEDIATE: a constraint node that qualifies the one before it. */
function isAttribute(c: Node): boolean {
  return String(c.contype).startsWith('CONSTR_ATTR_');
}

/**
 * A column constraint's own text (`REFERENCES leads (id) ON DELETE CASCADE`,
 * with its DEFERRABLE / INITIALLY …), up to the next constraint, without its `CONSTRAINT name` and its first `skip`
 * words (1 for `DEFAULT`: the expression alone).
 */
export function columnConstraintText(s: ParsedStatement, col: Node, con: Node, skip = 0): string {
  const cons = list(col.constraints)
    .map((c) => as(c, 'Constraint'))
    .filter((c): c is Node => !!c);
  // With its DEFERRABLE / INITIALLY … (nodes of their own after it).
  const next = cons.find((c, k) => k > cons.indexOf(con) && !isAttribute(c))?.location as number | undefined;
  return clauseAt(s, con.location as number, { stop: next, skip: (typeof con.conname === 'string' ? 2 : 0) + skip });
}

/**
 * The swap's new column keeps its name: the application was switched to it,
 * so renaming it back would break the version still running (renaming-column).
 */
export function keepsItsName(next: string, old: string): string {
  return sqlComment(`${next} keeps its name: the running application uses it; giving it the name ${ident(old)} back is a rename of its own (renaming-column)`);
}

/**
 * The contract step's DROP COLUMN, after the allow directive that says why it
 * is safe by then (dropping-column): the running code no longer names it.
 * Never with CASCADE, which drop-cascade reports.
 */
export function dropColumnLater(table: string, column: string, o: { ifExists?: boolean; cascade?: boolean } = {}): string[] {
  return [
    ...withoutCascade(o.cascade),
    sqlComment(`schemaguard:allow dropping-column no running code names ${table}.${ident(column)} any more`),
    `ALTER TABLE ${table} DROP COLUMN ${o.ifExists ? 'IF EXISTS ' : ''}${ident(column)};`,
  ];
}

/**
 * The contract step's DROP TABLE, after the allow directive that says why it
 * is safe by then (dropping-table). `name` as written in SQL. Never with
 * CASCADE, which drop-cascade reports.
 */
export function dropTableLater(name: string, o: { ifExists?: boolean; cascade?: boolean; reason?: string } = {}): string[] {
  return [
    ...withoutCascade(o.cascade),
    sqlComment(`schemaguard:allow dropping-table ${o.reason ?? `no running code names ${name} any more`}`),
    `DROP TABLE ${o.ifExists ? 'IF EXISTS ' : ''}${name};`,
  ];
}

/** The later DROP of a statement that had CASCADE is written without it (drop-cascade), and says so. */
function withoutCascade(cascade: boolean | undefined): string[] {
  return cascade
    ? ['-- without CASCADE (drop-cascade): PostgreSQL refuses the drop while anything depends on it, and names each dependent; drop those explicitly first']
    : [];
}

/** Rows per batch of `byKeyRanges`. */
export const BATCH_ROWS = 5000;

/**
 * The statement (an UPDATE or DELETE without WHERE) in a no-transaction file,
 * as a DO block that runs it over one range of the table's one-column primary
 * key at a time and commits after each (PostgreSQL allows COMMIT in a DO run
 * outside a transaction block, as a no-transaction file's statements are):
 * each batch's row locks last one batch. Without such a key, or with FROM /
 * USING, RETURNING or WITH, the way to write it instead.
 */
export function byKeyRanges(ctx: RuleContext, s: ParsedStatement, rel: RangeVar, o: { verb: 'UPDATE' | 'DELETE'; rerun: string }): FixFile {
  const table = tableName(rel);
  const key = ctx.model.table(rel)?.primaryKey ?? [];
  // RETURNING: returningClause since PostgreSQL 18's parser, returningList before.
  const n = s.node;
  const plain = !n.fromClause && !n.usingClause && !n.returningClause && !n.returningList && !n.withClause;
  const where = n.whereClause === undefined ? undefined : topLevelWhere(s);
  if (key.length !== 1 || !plain || (n.whereClause !== undefined && !where)) {
    return ownNoTransaction(
      sqlComment(
        `${o.verb === 'UPDATE' ? 'backfill' : 'delete from'} ${table} in batches, each committed on its own: a DO block that loops over ranges of its primary key`,
      ),
      sqlComment(`(about ${BATCH_ROWS} rows each), runs this ${o.verb} with WHERE <the range>, and COMMITs after each;`),
      sqlComment(`${o.rerun}`),
    );
  }
  const pk = ident(key[0]);
  const range = `(sg_done IS NULL OR ${pk} > sg_done) AND ${pk} <= sg_upto`;
  // The statement up to its last token (a comment after it would swallow what follows), with the batch's range
  // (before its own WHERE, when it has one: that WHERE runs to the end of a statement without RETURNING).
  const end = s.byteOffset + (tokensOf(s).at(-1)?.end ?? Buffer.byteLength(s.text));
  const batch =
    where === undefined
      ? `${sliceOf(s, s.byteOffset, end)} WHERE ${range}`
      : `${sliceOf(s, s.byteOffset, s.byteOffset + where.start)} WHERE ${range} AND (${sliceOf(s, s.byteOffset + where.end, end)})`;
  return ownNoTransaction(
    sqlComment(
      `${BATCH_ROWS} rows at a time, each batch committed on its own: its row locks last one batch, and the application's writes go on between batches.`,
    ),
    sqlComment(`${o.rerun[0].toUpperCase()}${o.rerun.slice(1)}.`),
    '-- It runs as long as the table takes unless a statement timeout is set (--statement-timeout, the directive); in a deploy, the time limit of the custom resource stops it, and the batches done stay done.',
    'DO $$',
    'DECLARE',
    `  sg_done ${table}.${pk}%TYPE;`,
    `  sg_upto ${table}.${pk}%TYPE;`,
    'BEGIN',
    '  LOOP',
    `    SELECT ${pk} INTO sg_upto FROM (SELECT ${pk} FROM ${table} WHERE sg_done IS NULL OR ${pk} > sg_done ORDER BY ${pk} LIMIT ${BATCH_ROWS}) AS batch ORDER BY ${pk} DESC LIMIT 1;`,
    '    EXIT WHEN sg_upto IS NULL;',
    `    ${batch.replace(/\n/g, '\n    ')};`,
    '    sg_done := sg_upto;',
    '    COMMIT;',
    '  END LOOP;',
    'END $$;',
  );
}

/** The statement's own WHERE keyword (outside parentheses: not a subquery's). */
function topLevelWhere(s: ParsedStatement): { start: number; end: number } | undefined {
  let depth = 0;
  for (const t of tokensOf(s)) {
    if (t.text === '(' || t.text === '[') depth++;
    if (t.text === ')' || t.text === ']') depth--;
    if (depth === 0 && t.text.toLowerCase() === 'where') return t;
  }
  return undefined;
}
