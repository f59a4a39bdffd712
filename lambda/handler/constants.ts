/**
 * Names shared by the SchemaMigrations construct (lib/) and the handler it
 * deploys (lambda/handler/): a rename breaks the compiler, not the deploy.
 * Nothing here imports aws-cdk-lib.
 */

/** Exported handler functions of `lambda/handler/index.ts`. */
export const ON_EVENT_HANDLER_NAME = 'onEvent';
export const IS_COMPLETE_HANDLER_NAME = 'isComplete';

/** Environment variables the construct sets and the handler reads. */
export const ENV = {
  /** ARN of the Secrets Manager secret with `username`, `password`, `host`, `port` (and maybe `dbname`). */
  secretArn: 'SCHEMAGUARD_SECRET_ARN',
  /** Database to migrate; empty means the secret's `dbname`, else `postgres`. */
  databaseName: 'SCHEMAGUARD_DATABASE_NAME',
  /** Host override (e.g. a proxy endpoint); empty means the secret's `host`. */
  host: 'SCHEMAGUARD_DB_HOST',
  /** Port override; empty means the secret's `port`, else 5432. */
  port: 'SCHEMAGUARD_DB_PORT',
  /** Directory of the migration files, relative to LAMBDA_TASK_ROOT (or absolute). */
  migrationsDir: 'SCHEMAGUARD_MIGRATIONS_DIR',
  /** Directory of the contract files, relative to LAMBDA_TASK_ROOT (or absolute). */
  contractsDir: 'SCHEMAGUARD_CONTRACTS_DIR',
  /** Schema of the state table. */
  stateSchema: 'SCHEMAGUARD_STATE_SCHEMA',
  /** Time kept back before the Lambda deadline (ms): no migration starts inside it. */
  reserveMs: 'SCHEMAGUARD_RESERVE_MS',
  /** Connect attempts while a new instance is not reachable yet. */
  connectAttempts: 'SCHEMAGUARD_CONNECT_ATTEMPTS',
  /** `lock_timeout` per migration (ms). */
  lockTimeoutMs: 'SCHEMAGUARD_LOCK_TIMEOUT_MS',
  /** How long to wait for another runner's lock (ms). */
  lockWaitMs: 'SCHEMAGUARD_LOCK_WAIT_MS',
  /** PEM bundle used to verify the server certificate. */
  caBundle: 'SCHEMAGUARD_CA_BUNDLE',
  /** `verify-full` (default) or `disable` (local tests against a server without TLS only). */
  tls: 'SCHEMAGUARD_TLS',
  /** The database's PostgreSQL log group, named in failure messages. */
  databaseLogGroup: 'SCHEMAGUARD_DATABASE_LOG_GROUP',
  /** Schema snapshot (`npm run snapshot`) to compare the live schema with after migrating; empty or missing file: no drift check. */
  snapshotFile: 'SCHEMAGUARD_SNAPSHOT_FILE',
  /** `true`: drift fails the deploy; otherwise it is reported in the response and the log. */
  failOnDrift: 'SCHEMAGUARD_FAIL_ON_DRIFT',
  /**
   * ARN of an Aurora cluster. When set the handler uses the RDS Data API (no
   * connection, no VPC): the secret ARN is passed to the service, never read.
   */
  clusterArn: 'SCHEMAGUARD_CLUSTER_ARN',
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
  lockTimeoutMs: 5_000,
  lockWaitMs: 60_000,
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
} as const;

/** Physical id prefix; the id never changes across updates of one resource. */
export const PHYSICAL_ID_PREFIX = 'schemaguard-migrations';

/** CloudFormation responses are limited to 4096 bytes in all. */
export const RESPONSE_LIMIT_BYTES = 4096;
/** Budget for a failure message: the framework adds the log group and a short trace. */
export const FAILURE_MESSAGE_MAX_CHARS = 1800;
/** Budget for the `Data` values in all. */
export const DATA_MAX_BYTES = 2000;
