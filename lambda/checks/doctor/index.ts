/**
 * Doctor: read-only checks on any live database for the schema problems
 * behind the incidents schemaguard exists for. Each finding names the object
 * and the statement that fixes it. Only the catalog is read, and only what
 * the database's users made (`scope.ts`: no system schema, no state schema,
 * nothing an extension owns; a partition's copies through its parent).
 *
 * One module per rule in this folder, its metadata beside its check
 * (`rule.ts` says what a rule is); `names.ts` quotes names as fixes print
 * them, `key-types.ts` says when two key columns hold the same values,
 * `type-change.ts` prints a column's type change. To add a rule: write its
 * module, add it to `DOCTOR_RULES` below, test it in test/lambda/checks/doctor/
 * (its fix run on PostgreSQL), and run `npm run docs:generate`.
 */
import type { Driver, Queryable, Session } from '../../engine/ports';
import { DEFAULT_STATE_SCHEMA } from '../../engine/state/state';
import { reported, type Finding } from '../findings/finding';
import { CONSTRAINT_NOT_VALIDATED } from './constraint-not-validated';
import { EXTENSION_MISSING } from './extension-missing';
import { FK_MISSING } from './fk-missing';
import { FK_TYPE_MISMATCH } from './fk-type-mismatch';
import { FK_WITHOUT_INDEX } from './fk-without-index';
import { INVALID_INDEX } from './invalid-index';
import { LOG_LANGUAGE } from './log-language';
import { PK_WITHOUT_DEFAULT } from './pk-without-default';
import { REPLICATION_ROLE_REPLICA } from './replication-role-replica';
import { SEQUENCE_BEHIND } from './sequence-behind';
import { doctorContext, ownSavepoints, ruleInTransaction, savepoints, type DoctorRule } from './rule';

export type { DoctorContext, DoctorExample, DoctorRule } from './rule';

/** Every rule, in the order their findings are reported. */
export const DOCTOR_RULES: readonly DoctorRule[] = [
  PK_WITHOUT_DEFAULT,
  SEQUENCE_BEHIND,
  FK_MISSING,
  FK_TYPE_MISMATCH,
  FK_WITHOUT_INDEX,
  INVALID_INDEX,
  CONSTRAINT_NOT_VALIDATED,
  EXTENSION_MISSING,
  REPLICATION_ROLE_REPLICA,
  LOG_LANGUAGE,
];

export interface DoctorOptions {
  /** Skipped along with the system schemas. @default 'schemaguard' */
  stateSchema?: string;
  /** The rules to run, in this order. @default DOCTOR_RULES - every rule */
  rules?: readonly DoctorRule[];
}

export interface DoctorReport {
  findings: Finding[];
  /** What a rule could not check, and why (tables it could not read in time, sequences the role may not read). */
  notes: string[];
  /** PostgreSQL server_version_num. */
  serverVersion: number;
}

/**
 * Where doctor reads: a driver (a session of its own, each rule in a
 * transaction of its own with lock and statement timeouts, each batch of a
 * rule that reads many tables within a savepoint of it), or an open session;
 * `inTransaction` when that session is in a transaction (the guard's pass):
 * each batch then runs within a savepoint rolled back after it. Where a
 * failed statement ends the transaction (`Session.errorEndsTransaction`, the
 * RDS Data API), no savepoint recovers from a batch's error: `reopen` begins
 * the caller's transaction again, and doctor goes on in it (without it, what
 * follows the error fails).
 */
export type DoctorTarget = { driver: Driver } | { session: Queryable; inTransaction?: boolean; reopen?: () => Promise<void> };

export async function doctor(target: DoctorTarget, options: DoctorOptions = {}): Promise<DoctorReport> {
  const own = 'driver' in target ? await target.driver.connect() : undefined;
  try {
    const q = own ?? (target as { session: Queryable }).session;
    const open = target as { session: Queryable; inTransaction?: boolean; reopen?: () => Promise<void> };
    const isolated = own
      ? ownSavepoints(own)
      : open.inTransaction
        ? savepoints(q, errorEnds(open.session) ? open.reopen : undefined)
        : <T>(work: () => Promise<T>) => work();
    const ctx = await doctorContext(q, options.stateSchema ?? DEFAULT_STATE_SCHEMA, isolated);
    const findings: Finding[] = [];
    // With a session of its own, each rule in a transaction with lock and statement timeouts: one that waits behind a
    // migration's lock is a note naming it, and the next rule runs (each read waited as long as the lock was held).
    // A rule that reads only settings runs without one (`DoctorRule.settingsOnly`).
    for (const rule of options.rules ?? DOCTOR_RULES) findings.push(...(own ? await ruleInTransaction(own, rule, ctx) : await rule.check(ctx)).map(reported));
    return { findings, notes: ctx.notes, serverVersion: ctx.serverVersion };
  } finally {
    if (own) await own.close();
  }
}

function errorEnds(q: Queryable): boolean {
  return (q as Partial<Session>).errorEndsTransaction === true;
}
