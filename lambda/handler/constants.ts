/**
 * Names shared by the SchemaMigrations construct (lib/) and the handler it
 * deploys (lambda/handler/): a rename breaks the compiler, not the deploy.
 * Nothing here imports aws-cdk-lib.
 */
import { CONTRACT } from './contract';

/** Exported handler functions of `lambda/handler/index.ts`. */
export const ON_EVENT_HANDLER_NAME = 'onEvent';
export const IS_COMPLETE_HANDLER_NAME = 'isComplete';
/** The operator function (the CLI's `--function`), in the same bundle. */
export const OPERATOR_HANDLER_NAME = 'operator';
/** The scheduled guard (SchemaGuard's function), in the same bundle. */
export const GUARD_HANDLER_NAME = 'guard';

/** The environment variables the constructs set and the functions read: the contract (contract.ts) declares each once. */
export { ENV } from './contract';

/** The defaults the functions apply when a variable is unset, as the contract declares them. */
export const DEFAULTS = {
  migrationsDir: CONTRACT.migrationsDir.default,
  contractsDir: CONTRACT.contractsDir.default,
  snapshotFile: CONTRACT.snapshotFile.default,
  reserveMs: CONTRACT.reserveMs.default,
  connectAttempts: CONTRACT.connectAttempts.default,
  lockTimeoutMs: CONTRACT.lockTimeoutMs.default,
  lockWaitMs: CONTRACT.lockWaitMs.default,
  /** The CLI's --standby-wait default too. */
  standbyWaitMs: CONTRACT.standbyWaitMs.default,
  caBundle: CONTRACT.caBundle.default,
} as const;

export const TLS_MODES = ['verify-full', 'disable'] as const;
export type TlsMode = (typeof TLS_MODES)[number];

/** The migrations' custom resource. */
export const MIGRATIONS_RESOURCE_TYPE = 'Custom::SchemaMigrations';

/** Resource property names of the custom resource. */
export const PROP = {
  /** sha-256 over the migration and contract files: a change re-runs the handler. */
  filesHash: 'FilesHash',
  /** Highest migration version in the files, so a rollback Update can be told apart. */
  latestVersion: 'LatestVersion',
  /** Number of migration files. */
  migrationCount: 'MigrationCount',
  /** SchemaMigrations `baseline.version`: a whole number, or `none`. Absent without a baseline. */
  baselineVersion: 'BaselineVersion',
  /** SchemaMigrations `baseline.from`: the tool whose history gives the version. */
  baselineFrom: 'BaselineFrom',
  /** SchemaMigrations `baseline.reason`: kept with every row the baseline records. */
  baselineReason: 'BaselineReason',
  /**
   * The database's identity (the instance's DbiResourceId, the cluster's
   * DBClusterResourceId, or its endpoint): a replaced database has another,
   * so the deploy that replaces it sends an Update and migrates it.
   */
  databaseIdentity: 'DatabaseIdentity',
  /** SchemaMigrations `databaseName`, when given: another database is another run. */
  databaseName: 'DatabaseName',
  /** SchemaMigrations `revision`, when set: raising it makes the next deploy run again. */
  revision: 'Revision',
  /** With a fleet: the spec (JSON), so a changed fleet runs again. */
  fleet: 'Fleet',
  /** With a fleet: the rollout's state machine, which the custom resource starts. */
  fleetStateMachine: 'FleetStateMachineArn',
  /**
   * The backfills' state machine (present when a migration has a backfill):
   * the deploy starts its execution for each backfill not done. A property,
   * not the function's environment: the state machine invokes the function.
   */
  backfillStateMachine: 'BackfillStateMachine',
} as const;

/** `Data` attributes of the response (readable with GetAtt). */
export const ATTR = {
  outcome: 'Outcome',
  currentVersion: 'CurrentVersion',
  appliedCount: 'AppliedCount',
  appliedVersions: 'AppliedVersions',
  appliedThisRun: 'AppliedThisRun',
  aheadVersions: 'AheadVersions',
  message: 'Message',
  /** What SchemaMigrations `baseline` did in this request: `not set`, `recorded: …`, `ignored: …` or `none: …`. */
  baseline: 'Baseline',
  /** With a fleet: how many tenants, and the failures the rollout tolerated (`200 tenants; 1 failed: …`); empty without one. */
  tenants: 'Tenants',
  /**
   * Empty, or what went wrong during a rollback: an Update while CloudFormation
   * rolls the stack back never fails (a failed rollback leaves the stack in
   * UPDATE_ROLLBACK_FAILED); it succeeds and says here what it could not do.
   */
  rollbackProblem: 'RollbackProblem',
} as const;

/** `Data` attributes of the verification after migrating (lambda/handler/verify.ts), readable with GetAtt. */
export const VERIFY_ATTR = {
  /** `<passed>/<checked> passed`, `none` (no contracts) or `skipped (rollback)`. */
  contracts: 'Contracts',
  /** `none`, `<n> differences: …`, `not checked (…)` or `skipped (rollback)`. */
  drift: 'Drift',
} as const;

/** Values of `Data.Outcome`. */
export const OUTCOME = {
  applied: 'applied',
  upToDate: 'up-to-date',
  databaseAhead: 'database-ahead',
  deleted: 'deleted',
  /** A rollback's Update that met a failure (the database unreachable, a contract, drift, a migration): reported, not failed. */
  rollbackProblem: 'rollback-problem',
} as const;

/**
 * The metric of a rollback's Update that met a failure (embedded metric
 * format, from the handler's own log): the migration alarm watches it beside
 * the functions' Errors, so a rollback that went on past a problem pages as a
 * failed deploy does.
 */
export const ROLLBACK_METRIC = {
  namespace: 'Schemaguard/Migrations',
  name: 'RollbackProblems',
  /** The emitting function's name, as the Lambda metrics are keyed. */
  dimension: 'FunctionName',
} as const;

/** Field of onEvent's response: the rollback's problem is reported already; isComplete answers done at once. */
export const ROLLBACK_REPORTED_FIELD = 'SchemaguardRollbackReported';

/**
 * Field of onEvent's response: when the request's first invocation began
 * (epoch ms). The Provider framework passes onEvent's response fields to every
 * isComplete of the request (and none of them to CloudFormation), so each
 * knows how long the request has been running.
 */
export const REQUEST_STARTED_FIELD = 'SchemaguardRequestStartedAt';

/**
 * Field of onEvent's response with a fleet: the rollout's execution, which
 * every isComplete of the request describes. Absent when the fleet had no
 * tenant (nothing was started).
 */
export const FLEET_EXECUTION_FIELD = 'SchemaguardFleetExecutionArn';

/** Physical id prefix; the id never changes across updates of one resource. */
export const PHYSICAL_ID_PREFIX = 'schemaguard-migrations';

/** CloudFormation responses are limited to 4096 bytes in all. */
export const RESPONSE_LIMIT_BYTES = 4096;
/**
 * Kept back from RESPONSE_LIMIT_BYTES besides the response's own fields, for
 * the "Logs: /aws/lambda/<function>" line the framework appends to the Reason
 * (a function name or qualifier of up to 128 characters) and a margin.
 */
export const FAILURE_RESPONSE_MARGIN_BYTES = 200;
/** Budget for the `Data` values in all. */
export const DATA_MAX_BYTES = 2000;

/**
 * The scheduled guard's metrics (embedded metric format), one value per run.
 * The names are what the alarms (lib/alarms/guard-catalog.ts) watch.
 */
export const GUARD_METRIC = {
  driftedObjects: 'DriftedObjects',
  minorDrift: 'MinorDrift',
  contractFailures: 'ContractFailures',
  doctorErrors: 'DoctorErrors',
  invalidIndexes: 'InvalidIndexes',
  pendingMigrations: 'PendingMigrations',
  guardErrors: 'GuardErrors',
} as const;
export type GuardMetricName = (typeof GUARD_METRIC)[keyof typeof GUARD_METRIC];

/** Default namespace of the guard's metrics. */
export const GUARD_NAMESPACE = CONTRACT.guardNamespace.default;

/**
 * Dimensions of every guard metric, in this order: the instance or cluster
 * identifier (as RDS's own metrics are keyed) and the database on it.
 */
export const GUARD_DIMENSION = {
  databaseIdentifier: 'DatabaseIdentifier',
  databaseName: 'DatabaseName',
} as const;

/**
 * A backfill's metrics (embedded metric format), one value each per slice
 * of its workflow. The names are what the alarms (lib/alarms/deploy-catalog.ts) watch.
 */
export const BACKFILL_METRIC = {
  /** The rows the backfill has updated so far, all runners together. */
  rowsDone: 'BackfillRowsDone',
  /** Rows per second in this slice, pauses included (0 for a slice that paused at once). */
  rowsPerSecond: 'BackfillRowsPerSecond',
  /** Seconds since a batch last committed (or the backfill started): what grows while it is paused or stuck. */
  secondsSinceProgress: 'BackfillSecondsSinceProgress',
} as const;
export type BackfillMetricName = (typeof BACKFILL_METRIC)[keyof typeof BACKFILL_METRIC];

/** Namespace of the backfills' metrics. */
export const BACKFILL_NAMESPACE = 'Schemaguard/Backfill';

/** The one dimension of every backfill metric: the migration function's name, one per SchemaMigrations (one database). */
export const BACKFILL_DIMENSION = { migrationFunction: 'MigrationFunction' } as const;

/**
 * The custom resource that creates or updates the guard's read-only role. It
 * is served by the SchemaMigrations provider (same handler, told apart by its
 * type), after the migrations.
 */
export const GUARD_ROLE_RESOURCE_TYPE = 'Custom::SchemaguardGuardRole';

/** Properties of the guard-role resource. None is a secret: the password stays in Secrets Manager. */
export const GUARD_ROLE_PROP = {
  /** The role to create or update (a PostgreSQL identifier, lowercase). */
  roleName: 'RoleName',
  /** ARN of the secret whose `password` the role gets (and whose `username` must be the role). */
  secretArn: 'SecretArn',
  /** The migrations' files hash: a deploy that changes them grants on the new tables too. */
  filesHash: 'FilesHash',
  /** Version of the privileges granted; raised when the grants change, so every stack re-grants. */
  privilegesVersion: 'PrivilegesVersion',
  /** The database's identity (PROP.databaseIdentity): a replaced database gets the role in the deploy that replaces it. */
  databaseIdentity: 'DatabaseIdentity',
  /** The database the role is granted on, when SchemaMigrations names it. */
  databaseName: 'DatabaseName',
  /**
   * SchemaGuard `roleRevision`, when set: raising it changes the properties,
   * so the next deploy sets the role again from its secret (password,
   * read-only default, grants) when nothing else changed. CloudFormation
   * sends the resource nothing while its properties stay the same.
   */
  revision: 'Revision',
  /**
   * The role that runs the migrations and owns their objects, when it is not
   * the role the resource connects as (a migrator made by the deploy): its
   * schemas are the ones granted, and its default privileges cover later tables.
   */
  migratorRole: 'MigratorRole',
} as const;

/**
 * Version of the privileges the guard role gets (lambda/handler/guard/role-sql.ts); raised when they change, so every stack re-grants.
 * 2: SELECT on sequences. 3: no write privilege (a contract planner plans the writing contracts), the migrations' schemas only.
 * 4: a schema fleet's tenants, and the ones the migrating role makes later.
 */
export const GUARD_PRIVILEGES_VERSION = '4';

/** `Data` of the guard-role resource. */
export const GUARD_ROLE_ATTR = {
  roleName: 'RoleName',
  /** `created` or `updated`. */
  outcome: 'Outcome',
} as const;

/**
 * A guard role name: a plain lowercase PostgreSQL identifier, what `CREATE
 * ROLE name` keeps as written (checked by the construct and the handler).
 */
export const GUARD_ROLE_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * How the guard's default roles begin: SchemaGuard names its role
 * `schemaguard_guard_<database>` (one per database: PostgreSQL roles belong
 * to the instance, and two guards' secrets for one role would each reset the
 * other's password). DatabaseAlarms leaves the errors of every user whose name
 * starts with it to the guard's own alarms.
 */
export const GUARD_ROLE_PREFIX = 'schemaguard_guard';

/** Physical id prefix of the guard-role resource: `<prefix>-<role name>`, so renaming the role replaces it. */
export const GUARD_ROLE_PHYSICAL_ID_PREFIX = 'schemaguard-guard-role';

/**
 * The custom resource that creates or updates the migrator role
 * (lambda/handler/migrator/), before the migrations, as the master user. It is
 * served by the role provisioner, the one function that may read the master
 * secret; the migrations then run as the migrator.
 */
export const MIGRATOR_ROLE_RESOURCE_TYPE = 'Custom::SchemaguardMigratorRole';

/** Properties of the migrator-role resource. None is a secret. */
export const MIGRATOR_ROLE_PROP = {
  /** The role to create or update (a lowercase PostgreSQL identifier). */
  roleName: 'RoleName',
  /** ARN of the migrator's secret, whose `password` the role gets (its `username` must be the role). */
  secretArn: 'SecretArn',
  /** Schemas whose objects the master owns and the migrator takes over (a list). */
  schemas: 'Schemas',
  /** Extensions the master creates before the migrations (a list). */
  extensions: 'Extensions',
  /** Version of what the migrator is given; raised when that changes, so every stack sets it again. */
  privilegesVersion: 'PrivilegesVersion',
  /** Raised to set the role again from its secret. */
  revision: 'Revision',
} as const;

/** Version of the migrator's privileges (lambda/handler/migrator/role-sql.ts). */
export const MIGRATOR_PRIVILEGES_VERSION = '1';

/** Physical id prefix of the migrator-role resource: `<prefix>-<role name>`. */
export const MIGRATOR_ROLE_PHYSICAL_ID_PREFIX = 'schemaguard-migrator-role';

/** An extension's name as CREATE EXTENSION takes it unquoted or quoted (letters, digits, _ and -: uuid-ossp). */
export const EXTENSION_NAME_PATTERN = /^[a-z_][a-z0-9_-]{0,62}$/;

/** How the migrator's default role begins: `schemaguard_migrator_<database>`. */
export const MIGRATOR_ROLE_PREFIX = 'schemaguard_migrator';

/**
 * A running fleet rollout is stopped when less than this is left of the
 * request's totalTimeout: the Provider framework's own timeout, which fails
 * the request and leaves the execution running, comes after. isComplete must
 * be called within it: SchemaMigrations refuses a fleet whose queryInterval
 * is longer.
 */
export const FLEET_STOP_MARGIN_MS = 60_000;
