/**
 * primary-key-not-valid-not-null: ADD PRIMARY KEY (columns, or USING INDEX)
 * on a column whose NOT NULL constraint was added NOT VALID (PostgreSQL 18)
 * and not validated since. PostgreSQL 18 refuses it with 55000 ("cannot
 * create primary key on column …" for a column list, "incompatible NOT VALID
 * constraint …" for USING INDEX), so the deploy fails at apply time; a
 * VALIDATE CONSTRAINT (or SET NOT NULL, which validates it) before the key
 * lets it through. Checked on PostgreSQL 18; 15 has no NOT VALID NOT NULL.
 * The constraint is followed through the migrations, or, made outside them,
 * read from the database's catalog when lint has one (`LintCatalog`:
 * `pg_attribute.attnotnull` is true while it is NOT VALID, so only
 * `pg_constraint` tells).
 */
import { as, names, type ParsedStatement } from '../../parser/parse';
import { inPlace, later, renderFix, type FixFile } from '../fix';
import type { AlterTarget } from '../model';
import type { ColumnModel } from '../model-types';
import type { CatalogNotValidNotNull } from '../catalog';
import type { LintRule, RuleContext } from '../rule';
import { ident, tableName } from '../sql-text';
import { present } from '../../../engine/errors/present';

export const PRIMARY_KEY_NOT_VALID_NOT_NULL: LintRule = {
  id: 'primary-key-not-valid-not-null',
  severity: 'error',
  title: 'PRIMARY KEY on a column whose NOT NULL constraint is NOT VALID (PostgreSQL 18 refuses it)',
  why: 'PostgreSQL 18 refuses a primary key on a column while its NOT NULL constraint is NOT VALID (55000), with or without USING INDEX: the migration fails at apply time',
  fix: 'VALIDATE CONSTRAINT the NOT NULL constraint first (it scans under SHARE UPDATE EXCLUSIVE: writes go on), then add the primary key',
  squawk: [],
  examples: {
    existing:
      'CREATE TABLE accounts (id bigint, email text);\nCREATE UNIQUE INDEX accounts_id_key ON accounts (id);\nALTER TABLE accounts ADD CONSTRAINT accounts_id_not_null NOT NULL id NOT VALID;',
    triggers: 'ALTER TABLE accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY USING INDEX accounts_id_key;',
    passes:
      'ALTER TABLE accounts VALIDATE CONSTRAINT accounts_id_not_null;\nALTER TABLE accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY USING INDEX accounts_id_key;',
  },
  alterCommand(ctx, s, t, cmd) {
    const con = cmd.subtype === 'AT_AddConstraint' ? as(cmd.def, 'Constraint') : undefined;
    if (con?.contype !== 'CONSTR_PRIMARY') return;
    const index = typeof con.indexname === 'string' ? con.indexname : undefined;
    const known = index === undefined ? names(con.keys) : t.table.indexColumns?.get(index);
    for (const column of known ?? []) {
      const notValid = t.table.columns.get(column)?.notNullNotValid;
      if (notValid) report(ctx, s, t, column, notValid, con.location as number | undefined);
    }
    for (const c of inDatabase(ctx, t, index, known)) reportInDatabase(ctx, s, t, c, con.location as number | undefined);
  },
};

/**
 * The database's NOT VALID NOT NULL constraints (`LintCatalog.notValidNotNull`)
 * on the key's columns — those of `known`, or, for an index the migrations did
 * not create, those the index's key has — that no pending migration has
 * validated or dropped since, and the model has not followed from a migration.
 * The catalog has the names from before the run: a table, column or index a
 * pending migration renamed is matched by the name the database has, and a
 * column named (in the result's `column`) by its name now.
 */
function inDatabase(ctx: RuleContext, t: AlterTarget, index: string | undefined, known: string[] | undefined): CatalogNotValidNotNull[] {
  if (!t.existing || !ctx.catalog?.notValidNotNull) return [];
  const { notNullSettled: settled, databaseColumns } = t.table;
  const db = t.table.databaseName ?? t.table;
  const nameNow = (column: string) => [...(databaseColumns ?? [])].find(([, original]) => original === column)?.[0] ?? column;
  const indexInDatabase = index === undefined ? undefined : ctx.model.databaseIndexName(t.table.schema, index);
  return ctx.catalog.notValidNotNull
    .filter((c) => c.schema === db.schema && c.table === db.name)
    .map((c) => ({ ...c, column: nameNow(c.column), databaseColumn: c.column }))
    .filter(
      (c) =>
        (known ? known.includes(c.column) : c.indexes.includes(present(indexInDatabase))) &&
        !t.table.columns.get(c.column)?.notNullNotValid &&
        !settled?.constraints.has(c.name) &&
        !settled?.columns.has(c.column) &&
        !settled?.columns.has(c.databaseColumn),
    );
}

function report(
  ctx: RuleContext,
  s: ParsedStatement,
  t: AlterTarget,
  column: string,
  notValid: NonNullable<ColumnModel['notNullNotValid']>,
  at: number | undefined,
): void {
  const table = tableName(t.rel);
  const where = notValid.file === ctx.src.file ? `line ${notValid.line}` : `${notValid.file}:${notValid.line}`;
  const validate = `ALTER TABLE ${table} VALIDATE CONSTRAINT ${ident(notValid.name)};  -- scans under SHARE UPDATE EXCLUSIVE: writes go on`;
  // Added NOT VALID in this transactional file: validated here, the scan would run under the ADD's lock (validate-in-same-transaction).
  const files: FixFile[] =
    notValid.file === ctx.src.file && notValid.transactional
      ? [{ place: 'without', lines: [`${notValid.statement};`] }, later(validate, `${s.text.trim()};`)]
      : [inPlace(validate, `${s.text.trim()};`)];
  ctx.report(PRIMARY_KEY_NOT_VALID_NOT_NULL, s, {
    message: `PRIMARY KEY on ${table}.${ident(column)}, whose NOT NULL constraint ${ident(notValid.name)} is NOT VALID (added at ${where}): PostgreSQL 18 refuses it (55000)`,
    fix: renderFix(files),
    at,
  });
}

/** A NOT VALID NOT NULL made outside the migrations: the database says so; it is validated in place, before the key. */
function reportInDatabase(ctx: RuleContext, s: ParsedStatement, t: AlterTarget, c: CatalogNotValidNotNull, at: number | undefined): void {
  const table = tableName(t.rel);
  // Renamed by a pending migration: named as it is by then.
  const name = [...(t.table.notNullSettled?.renamed ?? [])].find(([, original]) => original === c.name)?.[0] ?? c.name;
  const validate = `ALTER TABLE ${table} VALIDATE CONSTRAINT ${ident(name)};  -- scans under SHARE UPDATE EXCLUSIVE: writes go on`;
  ctx.report(PRIMARY_KEY_NOT_VALID_NOT_NULL, s, {
    message: `PRIMARY KEY on ${table}.${ident(c.column)}, whose NOT NULL constraint ${ident(name)} is NOT VALID in the database (no migration added it): PostgreSQL 18 refuses it (55000)`,
    fix: renderFix([inPlace(validate, `${s.text.trim()};`)]),
    at,
  });
}
