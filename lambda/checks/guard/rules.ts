/**
 * What the guard reports and how urgent each finding is. Two severities:
 *
 * - **page**: the application is failing now, or will fail on its next
 *   request, because the schema it was tested against is not there: an
 *   object of the snapshot is missing or changed (drift of a checked object),
 *   a query contract fails, or an INVALID index is the one a contract's
 *   `ON CONFLICT` relies on. Someone should look within minutes.
 * - **ticket**: wrong, but nothing the application sends fails because of it:
 *   objects added by hand, comments, doctor's errors, INVALID indexes no
 *   contract relies on, constraints never validated, migrations pending,
 *   changed or unknown. Fix in working hours.
 *
 * The one exception: while the database is not at the migrations the
 * snapshot was built from (a migration pending, changed or unknown, or the
 * snapshot stale), its differences from the snapshot are expected — a
 * CloudFormation rollback leaves the database ahead of the old files — so
 * drift is reported as ticket until the migrations agree again.
 */
import { CONTRACT_RULES } from '../drift/report-findings';
import { DOCS_POINTERS } from '../../engine/errors/docs-pointers';
import { present } from '../../engine/errors/present';

export type GuardSeverity = 'page' | 'ticket';

/** Which check a finding comes from; each kind has its own metric (see `metricsOf`). */
export type GuardFindingKind = 'drift' | 'contract' | 'doctor' | 'invalid-index' | 'not-validated' | 'migration';

export interface GuardRule {
  id: string;
  kind: GuardFindingKind;
  severity: GuardSeverity;
  /** When a finding of the rule gets the other severity, if ever. */
  exception?: string;
  title: string;
  why: string;
  fix: string;
}

const UNSETTLED =
  "ticket while the database is not at the snapshot's migrations (one pending, changed or unknown, or the snapshot stale): its differences are then expected";

export const GUARD_RULES = {
  schemaDrift: {
    id: 'schema-drift',
    kind: 'drift',
    severity: 'page',
    exception: UNSETTLED,
    title: 'an object of the snapshot is missing from the live schema or differs from it (a checked object drifted)',
    why: 'the application was tested against the schema the migrations produce; a default dropped, a constraint or index removed, a type or nullability changed by hand makes its statements fail or its data go wrong',
    fix: 'undo the change (the finding gives the statement), or put it in a migration and run schemaguard snapshot',
  },
  schemaAddition: {
    id: 'schema-addition',
    kind: 'drift',
    severity: 'ticket',
    title: 'an object in the live schema that the snapshot does not have (added by hand)',
    why: 'what the application was tested against is intact, but the next deploy does not know the object: a migration may collide with it, and a fresh environment will not have it',
    fix: 'put it in a migration (then schemaguard snapshot), or drop it',
  },
  commentDrift: {
    id: 'comment-drift',
    kind: 'drift',
    severity: 'ticket',
    title: 'a comment differs from the snapshot',
    why: 'comments change no behaviour; the difference still means the schema was edited by hand',
    fix: 'COMMENT ON … as the migrations have it, or put the new comment in a migration',
  },
  snapshotStale: {
    id: 'snapshot-stale',
    kind: 'drift',
    severity: 'ticket',
    title: 'the snapshot was not built from these migration files: drift was not compared',
    why: 'a snapshot of other files would report the differences of those files as drift',
    fix: 'schemaguard snapshot, and deploy the snapshot with the migrations',
  },
  doctorError: {
    id: 'doctor-error',
    kind: 'doctor',
    severity: 'ticket',
    title: 'a doctor error (each finding carries the id of the doctor rule it comes from, e.g. pk-without-default)',
    why: 'a root cause of the incidents schemaguard exists for; a contract or drift finding pages when it already breaks what the application sends',
    fix: 'the statement the finding gives',
  },
  invalidIndex: {
    id: 'invalid-index',
    kind: 'invalid-index',
    severity: 'ticket',
    exception: "page when a contract's ON CONFLICT names its columns or its constraint (the index backs the contract)",
    title: 'an INVALID index (a failed CREATE INDEX CONCURRENTLY)',
    why: 'queries never use it, every write still maintains it; an upsert whose arbiter it is fails with 42P10',
    fix: 'DROP INDEX CONCURRENTLY, then its definition again with CONCURRENTLY',
  },
  notValidated: {
    id: 'constraint-not-validated',
    kind: 'not-validated',
    severity: 'ticket',
    title: 'a constraint added NOT VALID and never validated',
    why: 'rows written before it was added were never checked',
    fix: 'ALTER TABLE … VALIDATE CONSTRAINT (scans without blocking writes)',
  },
  migrationPending: {
    id: 'migration-pending',
    kind: 'migration',
    severity: 'ticket',
    title: 'a migration file that the database has not applied',
    why: 'the code deployed with these files expects the schema they produce',
    fix: 'schemaguard migrate (or deploy again); if a deploy is under way, the next guard run will be clean',
  },
  migrationChanged: {
    id: 'migration-changed',
    kind: 'migration',
    severity: 'ticket',
    title: 'an applied migration whose file changed since it ran',
    why: 'the next migrate refuses to run until the change is accounted for',
    fix: 'restore the applied text, or accept it with schemaguard repair VERSION --reason TEXT',
  },
  migrationUnknown: {
    id: 'migration-unknown',
    kind: 'migration',
    severity: 'ticket',
    title: 'a migration the database applied that no file has (the database is ahead of the code)',
    why: 'normal during a CloudFormation rollback; otherwise the deployed code is older than the schema',
    fix: 'deploy the code that has the file, or roll the schema change back by a new migration',
  },
  stateUnreadable: {
    id: 'state-unreadable',
    kind: 'migration',
    severity: 'ticket',
    title: "the guard's role may not read a table of the state schema (applied_migrations, runner_lease): what it holds was left out, every other check ran",
    why: 'without applied_migrations no migration is reported pending, changed or unknown; without runner_lease a migration run through the Data API is not seen',
    fix: `the GRANT the finding gives (${DOCS_POINTERS.roleToGrant})`,
  },
  contractUnchecked: {
    id: 'contract-unchecked',
    kind: 'doctor',
    severity: 'ticket',
    title: "the guard's role may not use a table (or schema) a contract names, so the contract was not checked: every other check ran",
    why: 'planning a statement checks the role\'s privileges as running it would (42501), and a schema the role has no USAGE on is left out of its search_path (its tables read "does not exist", 42P01); the contract is neither passing nor failing until the role has them',
    fix: `the GRANT of read privileges the finding gives, for the table and schema-qualified (${DOCS_POINTERS.roleToGrant}); a write privilege is never granted to the guard: a writing contract is planned by the deploy's contract planner once that version of it is deployed (${DOCS_POINTERS.guardRole})`,
  },
} satisfies Record<string, GuardRule>;

/** A failing contract pages, whichever stage found it (its findings carry the stage's rule id). */
export const CONTRACT_GUARD_RULES: GuardRule[] = Object.values(CONTRACT_RULES).map((r) => ({
  id: r.id,
  kind: 'contract',
  severity: 'page',
  title: r.title,
  why: present(r.why),
  fix: present(r.fix),
}));

/** Every rule, in report order. */
export function guardRules(): GuardRule[] {
  const { schemaDrift, schemaAddition, commentDrift, ...rest } = GUARD_RULES;
  return [schemaDrift, schemaAddition, commentDrift, ...CONTRACT_GUARD_RULES, ...Object.values(rest)];
}
