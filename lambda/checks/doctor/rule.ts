/**
 * What a doctor rule is: its metadata (id, severity, what it finds, why it
 * matters, the fix it gives) beside one read-only check over the catalog.
 * Every rule module in this folder exports one `DoctorRule`; `index.ts` lists
 * them in report order.
 */
import type { Queryable, Session, TransactionSettings } from '../../engine/ports';
import { CATALOG_READ_SETTINGS } from '../../schema/bounded-read';
import { CATALOG_OBJECTS_SELECT, catalogObjects } from '../../schema/catalog-pages';
import type { Finding, Severity } from '../findings/finding';
import { isTimeout, timedOut } from './waits';

/** A schema the rule reports on, and the same schema as it should be: the docs show them, a test runs them. */
export interface DoctorExample {
  /**
   * SQL for an empty database, run statement by statement as `psql -f` runs
   * a file (a statement that fails is part of the example: a failed CREATE
   * INDEX CONCURRENTLY), after which this rule, and no other, reports.
   */
  finds: string;
  /** The same schema as it should be: no rule reports anything. */
  passes: string;
}

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
  /**
   * True for a rule that reads only settings (`pg_db_role_setting`,
   * `pg_roles`, `pg_settings`, `current_setting`): no table of the database,
   * no `pg_get_*` that opens one, so no lock a migration holds makes it wait
   * (ALTER DATABASE/ROLE … SET takes ROW EXCLUSIVE on pg_db_role_setting,
   * which a read does not wait for). With a session of its own, doctor runs
   * it without a transaction: through the RDS Data API that transaction was
   * three calls (begin, its settings, rollback) around a rule of two reads.
   * @default false - a transaction of its own with RULE_SETTINGS
   */
  settingsOnly?: boolean;
  /** @default - none: no script makes the state on every server (log-language needs a server with a locale other than English) */
  examples?: DoctorExample;
  /** Catalog queries only; one finding per object. */
  check(ctx: DoctorContext): Promise<Finding[]>;
}

/** What every rule gets: one session, and the facts several rules need, read once. */
export interface DoctorContext {
  q: Queryable;
  /**
   * Run `work` so that the locks its statements take end with it and an
   * error it throws leaves the session usable: within a savepoint rolled back
   * after it, of the rule's transaction (`doctor` with a driver:
   * `ruleInTransaction`) or of the guard's pass. A rule that reads many
   * tables reads them a batch at a time through it.
   */
  isolated<T>(work: () => Promise<T>): Promise<T>;
  /** What a rule could not check, and why (said once per rule): `DoctorReport.notes`. */
  notes: string[];
  /** `$1` of every query: skipped with the system schemas (`USER_SCHEMAS`). */
  stateSchema: string;
  /** PostgreSQL server_version_num. */
  serverVersion: number;
  /** gen_random_uuid() resolves here (built in since PostgreSQL 13, else pgcrypto's). */
  hasGenRandomUuid: boolean;
}

export async function doctorContext(q: Queryable, stateSchema: string, isolated: DoctorContext['isolated']): Promise<DoctorContext> {
  // Where reads go in pages, the catalog's size with it: whether a read opens its cursor at once (`catalog-pages.ts`).
  const objects = q.responseLimitBytes ? `, ${CATALOG_OBJECTS_SELECT} AS objects` : '';
  const first = (await q.query<{ v: string; objects?: string }>(`SELECT current_setting('server_version_num') AS v${objects}`)).rows[0];
  if (first.objects !== undefined) catalogObjects(q, Number(first.objects));
  const serverVersion = Number(first.v);
  const hasGenRandomUuid = (await q.query<{ ok: boolean }>("SELECT to_regprocedure('gen_random_uuid()') IS NOT NULL AS ok")).rows[0].ok;
  return { q, stateSchema, serverVersion, hasGenRandomUuid, isolated, notes: [] };
}

/**
 * lock_timeout and statement_timeout of the transaction each rule runs in
 * when doctor has a session of its own. Its catalog reads wait for locks too
 * (pg_get_expr opens the table: a migration's ACCESS EXCLUSIVE on it held
 * extension-missing, and doctor, until that transaction ended).
 */
export const RULE_SETTINGS: TransactionSettings = CATALOG_READ_SETTINGS;

/**
 * `rule` in a transaction of its own with RULE_SETTINGS, rolled back after
 * (nothing is written; its locks and cursors go); a `settingsOnly` rule as
 * it is, each read on its own. A rule that waited past
 * a timeout is a note naming what it waited for (`waits.ts`), and doctor
 * goes on with the next rule.
 */
export async function ruleInTransaction(session: Session, rule: DoctorRule, ctx: DoctorContext): Promise<Finding[]> {
  if (rule.settingsOnly) return rule.check(ctx);
  await session.begin(RULE_SETTINGS);
  let failed: unknown;
  try {
    return await rule.check(ctx);
  } catch (e) {
    failed = e;
  } finally {
    if (!session.broken) await session.rollback().catch(() => undefined);
  }
  if (!isTimeout(failed) || session.broken) throw failed;
  ctx.notes.push(`${rule.id}: could not read: ${await timedOut(ctx.q, failed)} (the other rules were checked)`);
  return [];
}

/**
 * Where doctor has a session of its own, each batch within a savepoint of the
 * rule's transaction; where an error ends that transaction (the Data API), a
 * new one with the rule's settings after it.
 */
export function ownSavepoints(session: Session): DoctorContext['isolated'] {
  return savepoints(
    session,
    session.errorEndsTransaction
      ? async () => {
          await session.rollback().catch(() => undefined);
          await session.begin(RULE_SETTINGS);
        }
      : undefined,
  );
}

/**
 * Each batch within a savepoint of the caller's transaction, rolled back to
 * after it: ROLLBACK TO SAVEPOINT releases the locks taken since, and ends
 * an error's aborted state. The transaction's own timeouts bound it.
 * `reopen`, where an error ends the whole transaction (the Data API forgets
 * it): called after a batch's error in place of the rollback to the
 * savepoint, to begin the caller's transaction again.
 */
export function savepoints(q: Queryable, reopen?: () => Promise<void>): DoctorContext['isolated'] {
  const back = async () => {
    await q.query('ROLLBACK TO SAVEPOINT schemaguard_doctor_batch');
    await q.query('RELEASE SAVEPOINT schemaguard_doctor_batch');
  };
  return async (work) => {
    await q.query('SAVEPOINT schemaguard_doctor_batch');
    let result;
    try {
      result = await work();
    } catch (e) {
      // The batch's error is the news; a rollback that fails after it (the connection gone) fails the next statement.
      if (!reopen) {
        await back().catch(() => undefined);
        throw e;
      }
      // A transaction that cannot begin again would leave the next batches outside it (not READ ONLY): the pass ends.
      await reopen().catch((r: unknown) => {
        throw new Error(`the read-only transaction could not begin again after a batch failed (${(e as Error).message}): ${(r as Error).message}`, {
          cause: r,
        });
      });
      throw e;
    }
    await back();
    return result;
  };
}
