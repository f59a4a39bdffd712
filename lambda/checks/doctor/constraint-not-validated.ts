/**
 * constraint-not-validated: a constraint added NOT VALID whose VALIDATE never
 * ran. The copies a partition or an inheritance child holds of its parent's
 * constraint are validated with it, and so are the parent's finding.
 */
import { orderedRows } from '../../schema/catalog-pages';
import type { Finding } from '../finding';
import { ident, qualified } from './names';
import type { DoctorContext, DoctorRule } from './rule';
import { USER_TABLE } from './scope';

export const CONSTRAINT_NOT_VALIDATED: DoctorRule = {
  id: 'constraint-not-validated',
  severity: 'warning',
  title: 'NOT VALID constraint never validated',
  why: 'it holds for rows written since it was added, but existing rows were never checked: they may violate it, and the planner cannot rely on it',
  fix: 'ALTER TABLE … VALIDATE CONSTRAINT (scans without blocking writes)',
  check: constraintNotValidated,
};

export async function constraintNotValidated(ctx: DoctorContext): Promise<Finding[]> {
  const notValid = await orderedRows<{ schema: string; table: string; conname: string; contype: string }>(ctx.q,
    `SELECT n.nspname AS schema, c.relname AS table, k.conname, k.contype::text AS contype,
            row_number() OVER (ORDER BY n.nspname, c.relname, k.conname) AS page_row
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT k.convalidated AND k.conislocal AND ${USER_TABLE} ORDER BY page_row`, [ctx.stateSchema],
  );
  return notValid.map((k) => {
    const t = qualified(k.schema, k.table);
    return {
      rule: CONSTRAINT_NOT_VALIDATED.id, severity: CONSTRAINT_NOT_VALIDATED.severity, object: `${t}.${k.conname}`,
      message: `${k.contype === 'f' ? 'foreign key' : k.contype === 'c' ? 'CHECK constraint' : 'constraint'} ${k.conname} on ${t} is NOT VALID`,
      why: CONSTRAINT_NOT_VALIDATED.why,
      fix: `ALTER TABLE ${t} VALIDATE CONSTRAINT ${ident(k.conname)};  -- scans without blocking writes; fix the rows it reports first`,
    };
  });
}
