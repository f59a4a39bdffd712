/**
 * sequence-behind: a key column's sequence (serial, or identity) would hand
 * out a value the column already holds. After a data load with explicit ids,
 * a pg_restore of the data alone, or a `setval` run by hand, the next INSERT
 * that takes the default fails with a duplicate key (23505), and every one
 * after it until the sequence passes the column's largest value.
 *
 * Only columns behind a unique index that starts with them (a primary key, a
 * unique key): max() reads the end of that index, never the table; and only
 * sequences this session may read (pg_sequences shows no last_value without
 * the privilege: no finding rather than a guess).
 */
import type { Finding } from '../finding';
import { ident, qualified } from './names';
import type { DoctorContext, DoctorRule } from './rule';
import { USER_TABLE } from './scope';

export const SEQUENCE_BEHIND: DoctorRule = {
  id: 'sequence-behind',
  severity: 'error',
  title: 'a key column\'s sequence is behind the values the column holds',
  why: 'the next INSERT that takes the column\'s default gets a value already there and fails with a duplicate key (23505), and so does every one after it until the sequence passes the largest value',
  fix: 'setval the sequence to the column\'s largest value (SELECT setval(…, (SELECT max(…) FROM …)))',
  check: sequenceBehind,
};

interface KeySequence {
  schema: string;
  table: string;
  column: string;
  sequence: string;
  /** The value the next nextval() returns (text: bigint). */
  next: string;
  increment: string;
}

async function sequenceBehind(ctx: DoctorContext): Promise<Finding[]> {
  // The column a sequence belongs to (OWNED BY: serial and identity both), its next value, and a unique index leading with the column.
  const keys = (await ctx.q.query<KeySequence>(`
    SELECT n.nspname AS schema, c.relname AS table, a.attname AS column, format('%I.%I', s.schemaname, s.sequencename) AS sequence,
           (CASE WHEN s.last_value IS NULL THEN s.start_value ELSE s.last_value + s.increment_by END)::text AS next,
           s.increment_by::text AS increment
      FROM pg_depend d
      JOIN pg_class q ON q.oid = d.objid AND q.relkind = 'S'
      JOIN pg_namespace qn ON qn.oid = q.relnamespace
      JOIN pg_sequences s ON s.schemaname = qn.nspname AND s.sequencename = q.relname
      JOIN pg_class c ON c.oid = d.refobjid AND c.relkind IN ('r', 'p')
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid AND NOT a.attisdropped
     WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
       AND ${USER_TABLE}
       AND has_sequence_privilege(q.oid, 'SELECT') AND has_column_privilege(c.oid, a.attnum, 'SELECT')
       AND a.atttypid IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype)
       AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid AND i.indkey[0] = a.attnum AND i.indpred IS NULL)
     ORDER BY 1, 2, 3`, [ctx.stateSchema])).rows;
  if (keys.length === 0) return [];
  // One round trip: each column's largest (or, for a descending sequence, smallest) value, from the end of its index.
  const extremes = (await ctx.q.query<{ k: number; v: string | null }>(keys.map((key, k) =>
    `SELECT ${k} AS k, ${Number(key.increment) > 0 ? 'max' : 'min'}(${ident(key.column)})::text AS v FROM ${qualified(key.schema, key.table)}`).join('\nUNION ALL\n'))).rows;
  const findings: Finding[] = [];
  for (const { k, v } of extremes) {
    const key = keys[Number(k)]!;
    if (v === null) continue;
    const up = Number(key.increment) > 0;
    const behind = up ? BigInt(key.next) <= BigInt(v) : BigInt(key.next) >= BigInt(v);
    if (!behind) continue;
    const table = qualified(key.schema, key.table);
    findings.push({
      rule: SEQUENCE_BEHIND.id, severity: SEQUENCE_BEHIND.severity, object: `${key.schema}.${key.table}.${key.column}`,
      message: `sequence ${key.sequence} of ${table}.${ident(key.column)} would hand out ${key.next} next, and the column holds values up to ${v}: the next INSERT that takes the default fails with a duplicate key`,
      why: SEQUENCE_BEHIND.why,
      fix: `SELECT setval('${key.sequence.replace(/'/g, "''")}', (SELECT ${up ? 'max' : 'min'}(${ident(key.column)}) FROM ${table}));`,
    });
  }
  return findings;
}
