/** fk-missing: a `*_id` column that no foreign key constrains, with the table it most likely refers to. */
import type { Finding } from '../finding';
import { USER_SCHEMAS, ident, qualified, type DoctorContext, type DoctorRule } from './rule';

export const FK_MISSING: DoctorRule = {
  id: 'fk-missing',
  severity: 'warning',
  title: '*_id column without a foreign key',
  why: 'without a foreign key nothing stops rows that point at nothing (orphans), and they are found only when a join silently drops them',
  fix: 'ADD CONSTRAINT … FOREIGN KEY … NOT VALID, then VALIDATE CONSTRAINT (after the type change, when the types differ)',
  check: fkMissing,
};

interface LooseColumn {
  schema: string;
  table: string;
  column: string;
  type: string;
  ref_table: string | null;
  ref_type: string | null;
}

export async function fkMissing(ctx: DoctorContext): Promise<Finding[]> {
  // The likely referenced table: `lead_id` → lead, leads or leades in the same schema, the shortest name first.
  const loose = (await ctx.q.query<LooseColumn>(
    `SELECT n.nspname AS schema, c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
            r.relname AS ref_table, format_type(ra.atttypid, ra.atttypmod) AS ref_type
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid AND c.relkind IN ('r', 'p')
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN LATERAL (
         SELECT x.oid, x.relname FROM pg_class x
          WHERE x.relnamespace = c.relnamespace AND x.relkind IN ('r', 'p')
            AND x.relname IN (left(a.attname, -3), left(a.attname, -3) || 's', left(a.attname, -3) || 'es')
          ORDER BY length(x.relname) LIMIT 1) r ON true
       LEFT JOIN pg_attribute ra ON ra.attrelid = r.oid AND ra.attname = 'id' AND NOT ra.attisdropped
      WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attname LIKE '%\\_id' AND ${USER_SCHEMAS}
        AND NOT c.relispartition
        AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conrelid = c.oid AND a.attnum = ANY (f.conkey))
      ORDER BY 1, 2, 3`, [ctx.stateSchema],
  )).rows;
  return loose.map((l) => {
    const t = qualified(l.schema, l.table);
    const ref = l.ref_table && l.ref_type ? qualified(l.schema, l.ref_table) : undefined;
    const typesDiffer = ref && l.ref_type !== l.type;
    return {
      rule: FK_MISSING.id, severity: FK_MISSING.severity, object: `${t}.${l.column}`,
      message: `${t}.${l.column} (${l.type}) has no foreign key${ref ? `; it looks like a reference to ${ref}.id (${l.ref_type})` : ''}${typesDiffer ? ', whose type differs' : ''}`,
      why: FK_MISSING.why,
      fix: ref
        ? `${typesDiffer ? `ALTER TABLE ${t} ALTER COLUMN ${ident(l.column)} TYPE ${l.ref_type} USING ${ident(l.column)}::${l.ref_type};  -- after checking every value casts\n` : ''}ALTER TABLE ${t} ADD CONSTRAINT ${ident(`${l.table}_${l.column}_fkey`)} FOREIGN KEY (${ident(l.column)}) REFERENCES ${ref} (id) NOT VALID;\nALTER TABLE ${t} VALIDATE CONSTRAINT ${ident(`${l.table}_${l.column}_fkey`)};  -- after fixing orphans`
        : `add a foreign key to the table it refers to (ADD CONSTRAINT … FOREIGN KEY … NOT VALID, then VALIDATE CONSTRAINT), or rename the column if it is not a reference`,
    };
  });
}
