/**
 * fk-type-mismatch: a foreign key whose column type differs from the
 * referenced column's. A domain counts as its base type, and varchar as
 * text (see key-types.ts); a partition's copy of its parent's key, or the
 * copies PostgreSQL adds for each partition of a referenced partitioned
 * table, are the parent key's finding.
 */
import { orderedRows } from '../../schema/catalog-pages';
import type { Finding } from '../finding';
import { fkTypeVerdict } from '../fk-types';
import { baseType, sameKeyType } from './key-types';
import { qualified } from './names';
import type { DoctorContext, DoctorRule } from './rule';
import { USER_TABLE } from './scope';
import { typeChangeFix, viewsReading, type Relation } from './type-change';

export const FK_TYPE_MISMATCH: DoctorRule = {
  id: 'fk-type-mismatch',
  severity: 'error',
  title: 'foreign key between columns of different types',
  why: 'every check of the key and every join casts one side, so the index on that side is not used; between integer widths the indexes are used, but a narrower column cannot reference keys past its range',
  fix: 'ALTER COLUMN … TYPE to the referenced column\'s type (a rewrite: in a maintenance window, or via a new column and a backfill)',
  check: fkTypeMismatch,
};

interface MismatchedKey {
  schema: string;
  table: string;
  conname: string;
  column: string;
  type: string;
  ref_table: string;
  ref_column: string;
  ref_type: string;
  base_type: string;
  ref_base_type: string;
  views: Relation[];
}

/**
 * SQL: column `attnum` of relation `rel`, looked up by both (OFFSET 0 keeps
 * the planner from joining every column of the table first and filtering
 * after: on 4,000 foreign keys that was 184,000 rows and most of the rule's
 * time); the base types likewise, computed once per row instead of at each use.
 */
function attribute(rel: string, attnum: string): string {
  return `SELECT attnum, attname, atttypid, atttypmod FROM pg_attribute WHERE attrelid = ${rel} AND attnum = ${attnum} OFFSET 0`;
}

export async function fkTypeMismatch(ctx: DoctorContext): Promise<Finding[]> {
  const mismatched = await orderedRows<MismatchedKey>(ctx.q,
    `SELECT n.nspname AS schema, c.relname AS table, f.conname, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
            row_number() OVER (ORDER BY n.nspname, c.relname, f.conname, k.ord) AS page_row,
            f.confrelid::regclass::text AS ref_table, ra.attname AS ref_column, format_type(ra.atttypid, ra.atttypmod) AS ref_type,
            format_type(ab.base, NULL) AS base_type, format_type(rb.base, NULL) AS ref_base_type,
            ${viewsReading('f.conrelid', 'a.attnum')} AS views
       FROM pg_constraint f
       JOIN pg_class c ON c.oid = f.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       CROSS JOIN LATERAL unnest(f.conkey, f.confkey) WITH ORDINALITY AS k(own, ref, ord)
       CROSS JOIN LATERAL (${attribute('f.conrelid', 'k.own')}) a
       CROSS JOIN LATERAL (${attribute('f.confrelid', 'k.ref')}) ra
       CROSS JOIN LATERAL (SELECT ${baseType('a.atttypid')} AS base OFFSET 0) ab
       CROSS JOIN LATERAL (SELECT ${baseType('ra.atttypid')} AS base OFFSET 0) rb
      WHERE f.contype = 'f' AND f.conislocal AND ${USER_TABLE}
        AND NOT ${sameKeyType('ab.base', 'rb.base')}
      ORDER BY page_row`, [ctx.stateSchema],
  );
  return mismatched.map((m) => {
    const t = qualified(m.schema, m.table);
    const verdict = fkTypeVerdict({ name: `${t}.${m.column}`, type: m.base_type }, { name: `${m.ref_table}.${m.ref_column}`, type: m.ref_base_type }, FK_TYPE_MISMATCH.why);
    return {
      rule: FK_TYPE_MISMATCH.id, severity: verdict.severity ?? FK_TYPE_MISMATCH.severity, object: `${t}.${m.conname}`,
      message: `foreign key ${m.conname}: ${t}.${m.column} (${m.type}) references ${m.ref_table}.${m.ref_column} (${m.ref_type})`,
      why: verdict.why,
      fix: typeChangeFix({
        schema: m.schema, table: m.table, column: m.column, type: m.ref_type, views: m.views,
        note: `rewrites ${t}: in a maintenance window, or via a new column and a backfill`,
      }),
    };
  });
}
