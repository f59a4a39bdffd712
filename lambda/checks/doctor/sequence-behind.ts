/**
 * sequence-behind: a key column's sequence (serial, or identity) would hand
 * out a value the column already holds. After a data load with explicit ids,
 * a pg_restore of the data alone, or a `setval` run by hand, the next INSERT
 * that takes the default fails with a duplicate key (23505), and every one
 * after it until the sequence passes the column's largest value.
 *
 * Only columns with a unique index of their own (a one-column primary or
 * unique key: a repeated value is then a duplicate key, and max() reads the
 * end of that index, never the table), and only sequences this session may
 * read (no finding rather than a guess). Reading max() takes ACCESS SHARE on
 * the table, as any SELECT does.
 */
import type { Finding } from '../finding';
import { ident } from './names';
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
  /** The sequence, quoted and schema-qualified. */
  sequence: string;
  increment: string;
}

/** A table or sequence name as SQL that runs: always schema-qualified (search_path may hide or shadow public). */
function fullName(schema: string, name: string): string {
  return `${ident(schema)}.${ident(name)}`;
}

async function sequenceBehind(ctx: DoctorContext): Promise<Finding[]> {
  // The column a sequence belongs to (OWNED BY: serial and identity both), behind a one-column unique index of it.
  const keys = (await ctx.q.query<KeySequence>(`
    SELECT n.nspname AS schema, c.relname AS table, a.attname AS column, format('%I.%I', qn.nspname, q.relname) AS sequence,
           s.seqincrement::text AS increment
      FROM pg_depend d
      JOIN pg_class q ON q.oid = d.objid AND q.relkind = 'S'
      JOIN pg_namespace qn ON qn.oid = q.relnamespace
      JOIN pg_sequence s ON s.seqrelid = q.oid
      JOIN pg_class c ON c.oid = d.refobjid AND c.relkind IN ('r', 'p')
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid AND NOT a.attisdropped
     WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
       AND ${USER_TABLE}
       AND a.atttypid IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype)
       -- Guarded: the planner may test a row before the joins filter it (a TOAST table depends on its table too).
       AND CASE WHEN q.relkind = 'S' THEN has_sequence_privilege(q.oid, 'SELECT') AND has_column_privilege(c.oid, a.attnum, 'SELECT') ELSE false END
       AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum AND i.indpred IS NULL)
     ORDER BY 1, 2, 3`, [ctx.stateSchema])).rows;
  if (keys.length === 0) return [];
  // One round trip: each sequence's next value as nextval() would give it (its last_value and is_called: a
  // setval(…, false) or RESTART sets the next value itself), and the column's largest (or, for a descending
  // sequence, smallest) value from the end of its index. In numeric: a spent bigint sequence does not overflow.
  const extremes = (await ctx.q.query<{ k: number; next: string; v: string | null }>(keys.map((key, k) => {
    const up = Number(key.increment) > 0;
    return `SELECT ${k} AS k, (SELECT CASE WHEN is_called THEN last_value::numeric + ${Number(key.increment)} ELSE last_value::numeric END FROM ${key.sequence})::text AS next,
       ${up ? 'max' : 'min'}(${ident(key.column)})::text AS v FROM ${fullName(key.schema, key.table)}`;
  }).join('\nUNION ALL\n'))).rows;
  const findings: Finding[] = [];
  for (const { k, next, v } of extremes) {
    const key = keys[Number(k)]!;
    if (v === null) continue;
    const up = Number(key.increment) > 0;
    const behind = up ? BigInt(next) <= BigInt(v) : BigInt(next) >= BigInt(v);
    if (!behind) continue;
    const table = fullName(key.schema, key.table);
    findings.push({
      rule: SEQUENCE_BEHIND.id, severity: SEQUENCE_BEHIND.severity, object: `${key.schema}.${key.table}.${key.column}`,
      message: `sequence ${key.sequence} of ${table}.${ident(key.column)} would hand out ${next} next, and the column holds values up to ${v}: the next INSERT that takes the default fails with a duplicate key`,
      why: SEQUENCE_BEHIND.why,
      fix: `SELECT setval('${key.sequence.replace(/'/g, "''")}', (SELECT ${up ? 'max' : 'min'}(${ident(key.column)}) FROM ${table}));`,
    });
  }
  return findings;
}
