/**
 * What a doctor rule is: its metadata (id, severity, what it finds, why it
 * matters, the fix it gives) beside one read-only check over the catalog.
 * Every rule module in this folder exports one `DoctorRule`; `index.ts` lists
 * them in report order.
 */
import type { Queryable } from '../../engine/ports';
import type { Finding, Severity } from '../finding';

export interface DoctorRule {
  /** Stable id, carried by every finding of the rule. */
  id: string;
  /** Severity of its findings; a rule may lower one to a warning (and says so in `title`). */
  severity: Severity;
  /** What it finds, in one line. */
  title: string;
  /** Why that is dangerous, in one line. */
  why: string;
  /** The fix its findings give, in one line (each finding prints the exact statements). */
  fix: string;
  /**
   * The rule of squawk (the migration linter) that finds the same problem,
   * in a migration rather than in a live database.
   * @default - none corresponds
   */
  squawk?: string;
  /** Catalog queries only; one finding per object. */
  check(ctx: DoctorContext): Promise<Finding[]>;
}

/** What every rule gets: one session, and the facts several rules need, read once. */
export interface DoctorContext {
  q: Queryable;
  /** `$1` of every query: skipped with the system schemas (`USER_SCHEMAS`). */
  stateSchema: string;
  /** PostgreSQL server_version_num. */
  serverVersion: number;
  /** gen_random_uuid() resolves here (built in since PostgreSQL 13, else pgcrypto's). */
  hasGenRandomUuid: boolean;
}

export async function doctorContext(q: Queryable, stateSchema: string): Promise<DoctorContext> {
  const serverVersion = Number((await q.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v);
  const hasGenRandomUuid = (await q.query<{ ok: boolean }>("SELECT to_regprocedure('gen_random_uuid()') IS NOT NULL AS ok")).rows[0]!.ok;
  return { q, stateSchema, serverVersion, hasGenRandomUuid };
}
