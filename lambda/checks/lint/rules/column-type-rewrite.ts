/**
 * column-type-rewrite: ALTER COLUMN … TYPE on an existing table to a type
 * that is not binary-compatible with the column's current one (as the
 * model knows it, through renames), so PostgreSQL rewrites the table and
 * rebuilds its indexes under ACCESS EXCLUSIVE. A USING clause that computes
 * the value (not the column itself) rewrites it between any types.
 */
import { sqlComment } from '../../../engine/sql/sql-quote';
import { as, typeNameText } from '../../parser/parse';
import { inPlace, later, renderFix } from '../fix';
import { dropColumnLater, keepsItsName } from '../fix-steps';
import type { LintRule } from '../rule';
import { ident, objectName, tableName, typeAsWritten } from '../sql-text';
import { isZoneChange, rewritesOnTypeChange, usingTransforms } from '../type-change';

export const COLUMN_TYPE_REWRITE: LintRule = {
  id: 'column-type-rewrite',
  severity: 'error',
  title: 'column type change that rewrites an existing table',
  why: 'changing a column to a type that is not binary-compatible rewrites the table and rebuilds its indexes under an ACCESS EXCLUSIVE lock; on a large table that is minutes of downtime',
  fix: 'add a column of the new type, backfill it in batches, switch the application, drop the old column',
  squawk: ['changing-column-type'],
  examples: {
    existing: 'CREATE TABLE leads (id bigint PRIMARY KEY, score int, code varchar(20));',
    triggers: 'ALTER TABLE leads ALTER COLUMN score TYPE bigint;',
    passes: 'ALTER TABLE leads ALTER COLUMN code TYPE text;',
  },
  alterCommand(ctx, s, t, cmd) {
    if (cmd.subtype !== 'AT_AlterColumnType' || !t.existing || typeof cmd.name !== 'string') return;
    const def = as(cmd.def, 'ColumnDef');
    if (!def) return;
    const column = cmd.name;
    const before = t.table.columns.get(column)?.type;
    const after = typeNameText(def.typeName);
    const transforms = usingTransforms(def, column);
    if (before && !rewritesOnTypeChange(before, after) && !transforms) return;
    const zone = before !== undefined && !transforms && isZoneChange(before, after);
    // In UTC, PostgreSQL 12+ keeps the table; the file's own SET TimeZone, else the database (lint with a database), says whether the session is.
    const utc = ctx.model.sessionUtc ?? ctx.catalog?.utcSessions;
    if (zone && utc === true) return;
    const table = tableName(t.rel);
    const next = ident(objectName(column, 'new'));
    const onlyUsing = before !== undefined && !rewritesOnTypeChange(before, after);
    const unknown = before ? '' : ' (the current type is not known from the migrations)';
    ctx.report(COLUMN_TYPE_REWRITE, s, {
      message: onlyUsing
        ? `${table}.${ident(column)}: type change from ${before} to ${after} with a USING expression that computes each value (not the column itself) rewrites the table, although the types are binary-compatible`
        : `${table}.${ident(column)}: type change ${before ? `from ${before} ` : ''}to ${after}${unknown} rewrites the table${zone ? zoneNote(utc, ctx.model.sessionUtc !== undefined) : ''}`,
      ...(zone && utc === undefined ? { severity: 'warning' as const } : {}),
      fix: renderFix([
        inPlace(
          `ALTER TABLE ${table} ADD COLUMN ${next} ${typeAsWritten(s, def.typeName)};`,
          sqlComment(`backfill ${next} from ${column} in batches, and switch the application to it`),
          '-- (no rewrite: varchar(n) to varchar(m >= n) or text, numeric(p,s) to numeric(q >= p,s), a timestamp precision up)',
        ),
        later(...dropColumnLater(table, column), keepsItsName(next, column)),
      ]),
      at: def.location as number | undefined,
    });
  },
};

/** What decides a timestamp ↔ timestamptz change: the session's TimeZone, known (false: not UTC) or not (undefined: lint without a database). */
function zoneNote(utc: boolean | undefined, setByFile: boolean): string {
  if (setByFile) return ': the file sets a TimeZone that is not UTC (in UTC, PostgreSQL 12 and later would keep the table)';
  return utc === false
    ? ": the database's sessions are not in UTC (in UTC, PostgreSQL 12 and later would keep the table)"
    : " unless the session's TimeZone is UTC (then PostgreSQL 12 and later keep the table; schemaguard does not set TimeZone: the server's, database's or role's setting decides; lint with --database-url to know)";
}
