/**
 * Names shared by the SchemaMigrations construct (lib/) and the handler it
 * deploys (lambda/handler/): a rename breaks the compiler, not the deploy.
 * Nothing here imports aws-cdk-lib.
 */
import { DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_LOCK_WAIT_MS, DEFAULT_STANDBY_WAIT_MS } from '../engine/defaults';

/** Exported handler functions of `lambda/handler/index.ts`. */
export const ON_EVENT_HANDLER_NAME = 'onEvent';
export const IS_COMPLETE_HANDLER_NAME = 'isComplete';
/** The scheduled guard (SchemaGuard's function), in the same bundle. */
export const GUARD_HANDLER_NAME = 'guard';

/** Environment variables the construct sets and the handler reads. */
export const ENV = {
  /** ARN of the Secrets Manager secret with `username`, `password`, `host`, `port` (and maybe `dbname`). */
  secretArn: 'SCHEMAGUARD_SECRET_ARN',
  /**
   * IAM database authentication: the database user to connect as, with a
   * token signed per connection from the function's role, instead of a
   * secret (then SCHEMAGUARD_SECRET_ARN is not set).
   */
  iamUser: 'SCHEMAGUARD_IAM_USER',
  /** `true`: the endpoint is a pooler or proxy that multiplexes sessions (the runner takes its lease, not a session lock). */
  pooler: 'SCHEMAGUARD_POOLER',
  /** Database to migrate; empty means the secret's `dbname`, else `postgres`. */
  databaseName: 'SCHEMAGUARD_DATABASE_NAME',
  /** Host override (e.g. a proxy endpoint); empty means the secret's `host`. */
  host: 'SCHEMAGUARD_DB_HOST',
  /** Port override; empty means the secret's `port`, else 5432. */
  port: 'SCHEMAGUARD_DB_PORT',
  /**
   * The database's own endpoint (SchemaMigrations sets it from an rds
   * instance or cluster): used only when the secret has no `host`, as an
   * RDS-managed master secret (`manageMasterUserPassword`) holds only the
   * username and password.
   */
  endpointHost: 'SCHEMAGUARD_DB_ENDPOINT_HOST',
  /** The endpoint's port, with `endpointHost`. */
  endpointPort: 'SCHEMAGUARD_DB_ENDPOINT_PORT',
  /** Directory of the migration files, relative to LAMBDA_TASK_ROOT (or absolute). */
  migrationsDir: 'SCHEMAGUARD_MIGRATIONS_DIR',
  /** How it is laid out (flat, prisma, drizzle: lambda/engine/files/layout.ts), as synth resolved it; detected when unset. */
  migrationsLayout: 'SCHEMAGUARD_MIGRATIONS_LAYOUT',
  /** Directory of the contract files, relative to LAMBDA_TASK_ROOT (or absolute). */
  contractsDir: 'SCHEMAGUARD_CONTRACTS_DIR',
  /** Schema of the state table. */
  stateSchema: 'SCHEMAGUARD_STATE_SCHEMA',
  /** Time kept back before the Lambda deadline (ms): no migration starts inside it. */
  reserveMs: 'SCHEMAGUARD_RESERVE_MS',
  /** Connect attempts while a new instance is not reachable yet. */
  connectAttempts: 'SCHEMAGUARD_CONNECT_ATTEMPTS',
  /** `lock_timeout` per migration (ms), more than 0. */
  lockTimeoutMs: 'SCHEMAGUARD_LOCK_TIMEOUT_MS',
  /**
   * How long one invocation waits for another runner's lock (ms); then it
   * answers not complete, and the next isComplete tries again.
   */
  lockWaitMs: 'SCHEMAGUARD_LOCK_WAIT_MS',
  /**
   * The Provider's totalTimeout (ms), set by SchemaMigrations: the handler
   * stops trying for a busy runner lock, and fails naming it, when the next
   * invocation's wait would end past it.
   */
  totalTimeoutMs: 'SCHEMAGUARD_TOTAL_TIMEOUT_MS',
  /** PEM bundle used to verify the server certificate. */
  caBundle: 'SCHEMAGUARD_CA_BUNDLE',
  /** `verify-full` (default) or `disable` (local tests against a server without TLS only). */
  tls: 'SCHEMAGUARD_TLS',
  /** The database's PostgreSQL log group, named in failure messages. */
  databaseLogGroup: 'SCHEMAGUARD_DATABASE_LOG_GROUP',
  /** Schema snapshot (`schemaguard snapshot`) to compare the live schema with after migrating; empty or missing file: no drift check. */
  snapshotFile: 'SCHEMAGUARD_SNAPSHOT_FILE',
  /** `true`: drift fails the deploy; otherwise it is reported in the response and the log. */
  failOnDrift: 'SCHEMAGUARD_FAIL_ON_DRIFT',
  /** Why changing tables that logical replication carries is planned for (every file); unset: such a file needs its directive. */
  replicationPlanned: 'SCHEMAGUARD_REPLICATION_PLANNED',
  /** After applying, how long to wait for the standbys to replay it (ms; 0: report only). */
  standbyWaitMs: 'SCHEMAGUARD_STANDBY_WAIT_MS',
  /** `true`: a standby still behind after the wait fails the deploy; otherwise it is a warning. */
  standbyStrict: 'SCHEMAGUARD_STANDBY_STRICT',
  /** Backfills' batch sizes and health bounds, JSON in the engine's units (`BackfillSettings`: ms, bytes); unset: the defaults. */
  backfill: 'SCHEMAGUARD_BACKFILL',
  /**
   * ARN of an Aurora cluster. When set the handler uses the RDS Data API (no
   * connection, no VPC): the secret ARN is passed to the service, never read.
   */
  clusterArn: 'SCHEMAGUARD_CLUSTER_ARN',
  /**
   * `true`: a direct invocation (the CLI's `--function`) may run `baseline`
   * and `repair` too (SchemaMigrations `operatorCommands.writes`); otherwise
   * only the read-only commands.
   */
  operatorWrites: 'SCHEMAGUARD_OPERATOR_WRITES',
  /** The scheduled guard: CloudWatch namespace of its metrics. */
  guardNamespace: 'SCHEMAGUARD_GUARD_NAMESPACE',
  /** The scheduled guard: value of the `DatabaseIdentifier` dimension (the instance or cluster identifier). */
  guardDatabaseIdentifier: 'SCHEMAGUARD_GUARD_DATABASE_IDENTIFIER',
} as const;

/** Defaults the handler applies when a variable is unset. */
export const DEFAULTS = {
  migrationsDir: 'migrations',
  contractsDir: 'contracts',
  snapshotFile: 'schema.snapshot.json',
  /**
   * The handler's reserve, passed to the engine on every run (its own 10 s
   * default in lambda/engine/runner.ts is for a caller with a deadline and no
   * opinion; the CLI sets no deadline and runs to the end). More than the
   * engine's because the invocation still has work after its last migration:
   * the statement cut at the deadline less half the reserve rolls back, then
   * isComplete checks the contracts and the drift, reads what this request
   * applied and answers the framework — all before the Lambda timeout.
   */
  reserveMs: 15_000,
  connectAttempts: 8,
  lockTimeoutMs: DEFAULT_LOCK_TIMEOUT_MS,
  lockWaitMs: DEFAULT_LOCK_WAIT_MS,
  /** The CLI's --standby-wait default too. */
  standbyWaitMs: DEFAULT_STANDBY_WAIT_MS,
  /**
   * The Node.js 20+ Lambda runtimes no longer load the Amazon CA certificates
   * by default; they ship them in this file (the AWS Lambda Node.js guide,
   * "CA certificate loading"), which includes the Amazon RDS certificate
   * authorities.
   */
  caBundle: '/var/runtime/ca-cert.pem',
} as const;

export const TLS_MODES = ['verify-full', 'disable'] as const;
export type TlsMode = (typeof TLS_MODES)[number];

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
export const GUARD_NAMESPACE = 'Schemaguard/Schema';

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
 * of its workflow. The names are what the alarms (lib/alarms/backfill-catalog.ts) watch.
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
 */
export const GUARD_PRIVILEGES_VERSION = '3';

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
