/**
 * The guard: one read-only pass over a live database between deploys. It
 * reports drift against the snapshot, failing contracts, doctor's errors,
 * INVALID indexes, constraints never validated, and migrations pending,
 * changed or unknown — each finding naming the exact object and the fix,
 * with a page or ticket severity (`rules.ts`).
 *
 * Every statement runs in a READ ONLY transaction (`read-only-pass.ts`) with
 * a short lock_timeout and statement_timeout, rolled back: one for the
 * catalog checks, then one per contract, so that a contract's error — which
 * ends the whole transaction through the RDS Data API — is that contract's
 * finding and nothing more. It never takes the runner lock: it first looks
 * for it (`migration-running.ts`) and skips while a migration runs. When a
 * lock or statement timeout stops it, it looks again: a migration that
 * started meanwhile makes the run a skip, not an error.
 *
 * `runGuard` is what `schemaguard guard` and the scheduled function call.
 */
import { databaseFields, isPgError, MigrationError, sqlstateOf } from '../../engine/errors/errors';
import { validateSchemaName } from '../../engine/state/identifiers';
import { computePlan } from '../../engine/state/plan';
import type { Driver, Queryable, Session } from '../../engine/ports';
import type { Migration } from '../../engine/files/source';
import { DEFAULT_STATE_SCHEMA, readApplied, STATE_TABLE } from '../../engine/state/state';
import { readCatalog } from '../../schema/catalog';
import { plannerAvailable } from '../contracts/contract-planner';
import { checkContracts, type Contract } from '../contracts';
import { doctor } from '../doctor';
import { sequencesNotRecorded, staleSnapshot, viewsNotCompared, type Snapshot } from '../drift/drift';
import { missingArbiterFailures, nameMissingArbiters } from '../drift/missing-arbiter';
import { accessFindings, deniedContracts } from './contract-access';
import { contractFindings } from './contract-findings';
import { doctorFindings } from './doctor-findings';
import { driftFindings } from './drift-findings';
import { migrationFindings, unsettledReason } from './migration-findings';
import { LeaseTableGoneError, runningMigration } from './migration-running';
import { readOnlyPass, type PassSettings } from './read-only-pass';
import { findingsReport, skippedReport, type GuardFinding, type GuardReport } from './report';
import { GUARD_RULES } from './rules';
import { stateElsewhere, stateFindings, unreadableState } from './state-access';
import { DOCS_POINTERS } from '../../engine/errors/docs-pointers';
import { INSUFFICIENT_PRIVILEGE, LOCK_NOT_AVAILABLE, QUERY_CANCELED } from '../../engine/errors/sqlstate';
import { present } from '../../engine/errors/present';

export type { GuardFinding, GuardMetrics, GuardReport } from './report';
export { GUARD_RULES, guardRules, type GuardFindingKind, type GuardRule, type GuardSeverity } from './rules';

/** Where the guard looks: a driver (a session is opened and closed) or an open session (left open). */
export type GuardTarget = { driver: Driver; session?: never } | { session: Session; driver?: never };

export type GuardOptions = GuardTarget & {
  /** The migration files the deployed code has. */
  migrations: Migration[];
  /** The query contracts (`loadContracts`). */
  contracts: Contract[];
  /** What the migrations produce (`schemaguard snapshot`). @default - drift is not checked */
  snapshot?: Snapshot;
  /** @default 'schemaguard' */
  stateSchema?: string;
  /** lock_timeout of every statement the guard sends. @default 1000 */
  lockTimeoutMs?: number;
  /** statement_timeout of every statement the guard sends. @default 10000 */
  statementTimeoutMs?: number;
  /**
   * Run doctor's rules (they read the whole database). Off for all but one
   * tenant of a schema fleet, whose tenants share the database (`fleet.ts`).
   * @default true
   */
  doctor?: boolean;
};

/** One guard run. Throws (a MigrationError) only when it cannot check: no connection, a privilege missing. */
export async function runGuard(options: GuardOptions): Promise<GuardReport> {
  const started = Date.now();
  const stateSchema = validateSchemaName(options.stateSchema ?? DEFAULT_STATE_SCHEMA);
  const settings: PassSettings = { lockTimeoutMs: options.lockTimeoutMs ?? 1000, statementTimeoutMs: options.statementTimeoutMs ?? 10_000 };
  const own = options.session ? undefined : await options.driver.connect();
  const session = options.session ?? present(own);
  try {
    const result = await guardChecks(session, options, stateSchema, settings);
    return typeof result === 'string' ? skippedReport(result, Date.now() - started) : findingsReport(result.findings, Date.now() - started, result.notes);
  } catch (e) {
    const running = isTimeout(e) && !session.broken ? await runningMigration(session, stateSchema).catch(() => undefined) : undefined;
    if (running) return skippedReport(running, Date.now() - started);
    // The session the pass waited for still holds its lock: named in the error (on-call's next step).
    const holders = sqlstateOf(e) === LOCK_NOT_AVAILABLE && !session.broken ? await tableLockHolders(session).catch(() => []) : [];
    throw guardError(e, settings, holders);
  } finally {
    if (own) await own.close();
  }
}

/** The checks: a skip reason, or the findings (drift, contracts, doctor, migrations) and what was not compared. */
async function guardChecks(
  session: Session,
  options: GuardOptions,
  stateSchema: string,
  settings: PassSettings,
): Promise<string | { findings: GuardFinding[]; notes: string[] }> {
  const catalog = await catalogPass(session, options, stateSchema, settings);
  if (typeof catalog === 'string') return catalog;
  const contracts = await contractChecks(session, options, stateSchema, settings);
  return { findings: [...catalog.drift.findings, ...contracts, ...catalog.doctor, ...catalog.migrations], notes: catalog.drift.notes };
}

interface CatalogFindings {
  drift: { findings: GuardFinding[]; notes: string[] };
  doctor: GuardFinding[];
  migrations: GuardFinding[];
}

/**
 * The catalog checks' pass, run again when the lease table was dropped while
 * it was read (the read ended the transaction): the next pass finds no table.
 * A third drop in a row (runners creating and removing it over and over) is
 * the error it was.
 */
async function catalogPass(session: Session, options: GuardOptions, stateSchema: string, settings: PassSettings): Promise<string | CatalogFindings> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await readOnlyPass(session, settings, (pass, reopen) => catalogChecks(pass, options, stateSchema, reopen));
    } catch (e) {
      if (!(e instanceof LeaseTableGoneError) || session.broken) throw e;
      if (attempt === 3) throw e.cause;
    }
  }
}

/**
 * Everything read from the catalog, in one pass that first looks for a
 * running migration. `reopen`: the pass's transaction again, after a doctor
 * batch's error ended it (the Data API).
 */
async function catalogChecks(pass: Session, options: GuardOptions, stateSchema: string, reopen: () => Promise<void>): Promise<string | CatalogFindings> {
  const running = await runningMigration(pass, stateSchema, 'pass');
  if (running) return running;
  // A state table the role may not read is left out (one ticket names the GRANT): the rest is still checked.
  const unreadable = await unreadableState(pass, stateSchema);
  // No state table where the guard looks, one in another schema: a note with the flag, not every migration reported pending.
  const elsewhere = await stateElsewhere(pass, stateSchema);
  const plan = unreadable.some((u) => u.table === STATE_TABLE) || elsewhere ? undefined : computePlan(options.migrations, await readApplied(pass, stateSchema));
  const found = await snapshotFindings(pass, options, stateSchema, plan && unsettledReason(plan));
  // The schema holding the state table the note names is not an addition to drop.
  const drift = { ...found, findings: found.findings.filter((f) => !(f.rule === GUARD_RULES.schemaAddition.id && elsewhere?.schemas.includes(f.object))) };
  // Inside the pass: a rule that reads many tables reads a batch at a time within a savepoint, its locks released after each;
  // a batch whose error ended the transaction (the Data API: no savepoint recovers there) is a note, and the pass goes on in a new one.
  const checkup = await doctor({ session: pass, inTransaction: true, reopen }, { stateSchema, ...(options.doctor === false ? { rules: [] } : {}) });
  const migrations = [...(plan ? migrationFindings(plan) : []), ...stateFindings(unreadable, stateSchema)];
  return {
    drift: { ...drift, notes: [...(elsewhere ? [elsewhere.note] : []), ...drift.notes, ...checkup.notes] },
    doctor: await doctorFindings(pass, checkup.findings, options.contracts),
    migrations,
  };
}

/**
 * Each contract in a READ ONLY transaction of its own; an upsert whose unique
 * index is gone is told which (one more pass). A contract that writes is
 * planned by the deploy's contract planner where there is one the role may
 * call (the role itself has no write privilege to plan it with).
 */
async function contractChecks(session: Session, options: GuardOptions, stateSchema: string, settings: PassSettings): Promise<GuardFinding[]> {
  const planner = options.contracts.length ? await readOnlyPass(session, settings, (pass) => plannerAvailable(pass, stateSchema)) : false;
  const report = await checkContracts({ session, contracts: options.contracts, ...settings, ...(planner ? { plannerSchema: stateSchema } : {}) });
  const snapshot = options.snapshot;
  if (snapshot && missingArbiterFailures(report).length) {
    await readOnlyPass(session, settings, (pass) => nameMissingArbiters(pass, report, options.contracts, snapshot.catalog));
  }
  // A contract the role may not check is a ticket with the GRANT: the drift and doctor findings made are still reported.
  const denied = deniedContracts(report.results);
  const access = denied.length ? await readOnlyPass(session, settings, (pass) => accessFindings(pass, denied, { stateSchema, available: planner })) : [];
  return [...contractFindings(report), ...access];
}

async function snapshotFindings(
  q: Queryable,
  options: GuardOptions,
  stateSchema: string,
  unsettled: string | undefined,
): Promise<{ findings: GuardFinding[]; notes: string[] }> {
  const snapshot = options.snapshot;
  if (!snapshot) return { findings: [], notes: [] };
  const stale = staleSnapshot(snapshot, options.migrations);
  if (stale.length) {
    const rule = GUARD_RULES.snapshotStale;
    return {
      findings: [
        {
          kind: 'drift',
          rule: rule.id,
          severity: rule.severity,
          object: 'snapshot',
          message: `drift not compared: ${stale.join('; ')}`,
          why: rule.why,
          fix: rule.fix,
        },
      ],
      notes: [],
    };
  }
  const live = await readCatalog(q, { schemas: snapshot.catalog.schemas, stateSchema, otherSchemas: true });
  const notes = [viewsNotCompared(snapshot.catalog, live), sequencesNotRecorded(snapshot.catalog, live)].filter((n): n is string => n !== undefined);
  return { findings: driftFindings({ snapshot: snapshot.catalog, live, unsettled }), notes };
}

function isTimeout(e: unknown): boolean {
  const code = sqlstateOf(e);
  return code === LOCK_NOT_AVAILABLE || code === QUERY_CANCELED;
}

interface LockHolder {
  pid: number;
  relation: string;
  user: string | null;
  application: string | null;
  state: string | null;
  xact_age_seconds: number | null;
}

/** Sessions holding ACCESS EXCLUSIVE on a table of this database (what a catalog read's lock timeout waited for), oldest transaction first. */
async function tableLockHolders(q: Queryable): Promise<LockHolder[]> {
  return (
    await q.query<LockHolder>(
      `SELECT l.pid, l.relation::regclass::text AS relation, a.usename AS user, a.application_name AS application, a.state,
            floor(extract(epoch FROM now() - a.xact_start))::int AS xact_age_seconds
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'relation' AND l.granted AND l.mode = 'AccessExclusiveLock' AND l.pid <> pg_backend_pid()
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      ORDER BY a.xact_start NULLS LAST, l.pid LIMIT 5`,
    )
  ).rows;
}

/** Who holds the lock, not its query (which may carry its data). */
function holderText(h: LockHolder): string {
  const about = [
    h.user && `user ${h.user}`,
    h.application && `app "${h.application}"`,
    h.state,
    h.xact_age_seconds !== null && `${h.xact_age_seconds}s in transaction`,
  ]
    .filter(Boolean)
    .join(', ');
  return `pid ${h.pid} holds ACCESS EXCLUSIVE on ${h.relation}${about ? ` (${about})` : ''}`;
}

/** What stopped the pass, as a MigrationError with the fix. */
function guardError(e: unknown, settings: PassSettings, holders: readonly LockHolder[] = []): unknown {
  if (e instanceof MigrationError || !isPgError(e)) return e;
  const fields = databaseFields(e);
  const held = holders.length ? `; ${holders.map(holderText).join('; ')}` : '';
  const fix =
    fields.sqlstate === INSUFFICIENT_PRIVILEGE
      ? `give the guard's role what it reads (the GRANTs: ${DOCS_POINTERS.roleToGrant})`
      : isTimeout(e)
        ? `another session held a lock or the server was slow (lock_timeout ${settings.lockTimeoutMs} ms, statement_timeout ${settings.statementTimeoutMs} ms); the next run tries again`
        : undefined;
  return new MigrationError(`the guard's read-only pass failed: ${e.message}${held}`, { ...fields, cause: e, fix });
}
