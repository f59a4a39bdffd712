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
 * read (no finding rather than a guess: the sequences it may not read are
 * one note with the GRANT, and the tables in a schema it has no USAGE on one
 * note per schema with the GRANT USAGE). Reading max() takes ACCESS SHARE on
 * the table, its index and its sequence, as any SELECT does: the tables are read
 * SEQUENCE_BATCH at a time, each batch isolated so that its locks end with it
 * (the shared lock table holds max_locks_per_transaction × max_connections),
 * within a time budget; a batch that fails (a lock timeout, a privilege) is a
 * note naming its tables (and, for a lock, who held it), and the others are
 * still read.
 */
import { isConnectionLoss, isPgError } from '../../engine/errors';
import { sqlComment } from '../../engine/sql-quote';
import { orderedRows } from '../../schema/catalog-pages';
import type { Finding } from '../finding';
import { ident, literal } from './names';
import type { DoctorContext, DoctorRule } from './rule';
import { USER_TABLE } from './scope';
import { isTimeout, timedOut } from './waits';

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

/** Keys read per statement: each takes ACCESS SHARE on its table, its index and its sequence until the batch ends. */
export const SEQUENCE_BATCH = 100;
/** No batch starts after this long; the keys left are named in a note. */
export const SEQUENCE_BUDGET_MS = 60_000;

interface KeyRow extends KeySequence { selectable: boolean | string; no_usage: string | null; role: string }

async function sequenceBehind(ctx: DoctorContext): Promise<Finding[]> {
  const all = await keySequences(ctx);
  const keys = all.filter((k) => isTrue(k.selectable) && k.no_usage === null);
  const unusable = all.filter((k) => k.no_usage !== null);
  if (unusable.length) ctx.notes.push(...noUsageNotes(unusable));
  const unreadable = all.filter((k) => k.no_usage === null && !isTrue(k.selectable));
  if (unreadable.length) ctx.notes.push(unreadableNote(unreadable));
  // A batch at a time, each isolated (its locks end with it): 3,000 keyed tables read in one statement held
  // ~9,000 locks at once and the pass failed with "out of shared memory" (53200) at max_locks_per_transaction 64.
  const started = Date.now();
  const findings: Finding[] = [];
  for (let from = 0; from < keys.length; from += SEQUENCE_BATCH) {
    const batch = keys.slice(from, from + SEQUENCE_BATCH);
    if (Date.now() - started > SEQUENCE_BUDGET_MS) {
      ctx.notes.push(notChecked(keys.slice(from), `the rule's ${SEQUENCE_BUDGET_MS / 1000} s ran out; the next run tries again`));
      break;
    }
    try {
      findings.push(...behind(batch, await ctx.isolated(() => readExtremes(ctx, batch))));
    } catch (e) {
      if (!isPgError(e) || isConnectionLoss(e)) throw e;
      ctx.notes.push(notChecked(batch, isTimeout(e) ? await timedOut(ctx.q, e) : `${e.message} (${e.code}); the next run tries again`));
    }
  }
  return findings;
}

/**
 * The column each sequence belongs to (OWNED BY: serial and identity both), behind a one-column unique index of it;
 * `selectable`: the role may read both; `no_usage`: a schema of the two the role has no USAGE on.
 */
async function keySequences(ctx: DoctorContext): Promise<KeyRow[]> {
  // One row per keyed table: paged under a driver's response limit (thousands of tables pass the Data API's 1 MiB).
  return orderedRows<KeyRow>(ctx.q, `
    SELECT n.nspname AS schema, c.relname AS table, a.attname AS column, format('%I.%I', qn.nspname, q.relname) AS sequence,
           s.seqincrement::text AS increment, current_user::text AS role,
           -- Guarded: the planner may test a row before the joins filter it (a TOAST table depends on its table too).
           CASE WHEN q.relkind = 'S' THEN has_sequence_privilege(q.oid, 'SELECT') AND has_column_privilege(c.oid, a.attnum, 'SELECT') ELSE false END AS selectable,
           -- The schema of the table or of its sequence that the role may not look into (reading either fails the batch: 42501).
           CASE WHEN NOT has_schema_privilege(n.oid, 'USAGE') THEN n.nspname::text WHEN NOT has_schema_privilege(qn.oid, 'USAGE') THEN qn.nspname::text END AS no_usage,
           row_number() OVER (ORDER BY n.nspname, c.relname, a.attname, q.oid) AS page_row
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
       AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum AND i.indpred IS NULL)
     ORDER BY page_row`, [ctx.stateSchema]);
}

/**
 * One round trip per batch: each sequence's next value as nextval() would give it (its last_value and is_called: a
 * setval(…, false) or RESTART sets the next value itself), and the column's largest (or, for a descending
 * sequence, smallest) value from the end of its index. In numeric: a spent bigint sequence does not overflow.
 */
async function readExtremes(ctx: DoctorContext, keys: readonly KeySequence[]): Promise<Array<{ k: number; next: string; v: string | null }>> {
  return (await ctx.q.query<{ k: number; next: string; v: string | null }>(keys.map((key, k) => {
    const up = Number(key.increment) > 0;
    return `SELECT ${k} AS k, (SELECT CASE WHEN is_called THEN last_value::numeric + ${Number(key.increment)} ELSE last_value::numeric END FROM ${key.sequence})::text AS next,
       ${up ? 'max' : 'min'}(${ident(key.column)})::text AS v FROM ${fullName(key.schema, key.table)}`;
  }).join('\nUNION ALL\n'))).rows;
}

/** The findings of one batch: the sequences whose next value the column holds already. */
function behind(keys: readonly KeySequence[], extremes: ReadonlyArray<{ k: number; next: string; v: string | null }>): Finding[] {
  const findings: Finding[] = [];
  for (const { k, next, v } of extremes) {
    const key = keys[Number(k)]!;
    if (v === null) continue;
    const up = Number(key.increment) > 0;
    const late = up ? BigInt(next) <= BigInt(v) : BigInt(next) >= BigInt(v);
    if (!late) continue;
    const table = fullName(key.schema, key.table);
    findings.push({
      rule: SEQUENCE_BEHIND.id, severity: SEQUENCE_BEHIND.severity, object: `${key.schema}.${key.table}.${key.column}`,
      message: `sequence ${key.sequence} of ${table}.${ident(key.column)} would hand out ${next} next, and the column holds values up to ${v}: the next INSERT that takes the default fails with a duplicate key`,
      why: SEQUENCE_BEHIND.why,
      fix: `SELECT setval(${literal(key.sequence)}, (SELECT ${up ? 'max' : 'min'}(${ident(key.column)}) FROM ${table}));`,
    });
  }
  return findings;
}

/** A few names and how many more. */
function some(names: readonly string[], shown = 5): string {
  return names.length <= shown ? names.join(', ') : `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}

function notChecked(keys: readonly KeySequence[], why: string): string {
  const tables = keys.map((k) => `${k.schema}.${k.table}`);
  return `sequence-behind: ${keys.length} key column${keys.length === 1 ? '' : 's'} not checked (${some(tables)}): ${why}`;
}

/**
 * Said once per schema the role may not look into (a key table there, or its sequence): its key columns, and the
 * GRANT. Before, such a table was read with 99 others and failed their whole batch (permission denied for schema, 42501).
 */
function noUsageNotes(keys: readonly KeyRow[]): string[] {
  const role = keys[0]!.role;
  return [...new Set(keys.map((k) => k.no_usage!))].map((schema) => {
    const here = keys.filter((k) => k.no_usage === schema);
    return `sequence-behind: role ${role} has no USAGE on schema ${schema}, so ${here.length} key column${here.length === 1 ? ' was' : 's were'} not checked (${some(here.map((k) => `${k.schema}.${k.table}.${k.column}`))}): `
      + `GRANT USAGE ON SCHEMA ${ident(schema)} TO ${ident(role)};  -- as the master user (README: The role to grant)`;
  });
}

/** A boolean as the driver returns it (the Data API's may be text). */
function isTrue(v: unknown): boolean {
  return v === true || v === 't' || v === 'true';
}

/** Said once: the sequences the role may not read (GRANT … ON ALL TABLES does not cover sequences), and the GRANT. */
function unreadableNote(keys: readonly KeyRow[]): string {
  const role = ident(keys[0]!.role);
  const schemas = [...new Set(keys.map((k) => ident(k.schema)))];
  return `sequence-behind: role ${keys[0]!.role} may not read ${keys.length} key sequence${keys.length === 1 ? '' : 's'} (${some(keys.map((k) => k.sequence))}), so their columns were not checked (GRANT … ON ALL TABLES does not cover sequences): `
    + `GRANT SELECT ON ALL SEQUENCES IN SCHEMA ${schemas.join(', ')} TO ${role};  ${sqlComment(`and ALTER DEFAULT PRIVILEGES … GRANT SELECT ON SEQUENCES TO ${role} for new ones (README: The role to grant)`)}`;
}
