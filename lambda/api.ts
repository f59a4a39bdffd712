/**
 * The engine's programmatic API, published as `schemaguard/engine`: the code
 * the CLI and the custom resource run, for scripts and tests of your own.
 * The verbs carry the CLI's names (`migrate`, `plan`, `lint`, `check`,
 * `doctor`, `detectDrift` for `diff`, `runGuard` for `guard`); a driver says
 * where the database is.
 *
 * ```ts
 * import { loadMigrations, migrate, PgDriver } from 'schemaguard/engine';
 *
 * const driver = new PgDriver({ connectionString: process.env.DATABASE_URL! });
 * try {
 *   const result = await migrate({ driver, migrations: loadMigrations('migrations'), appliedBy: 'ci' });
 *   console.log(result.outcome, result.currentVersion);
 * } finally {
 *   await driver.end();
 * }
 * ```
 *
 * @module schemaguard/engine
 */

// The migration files and the runner.
export {
  FILE_NAME_PATTERN,
  loadMigrations,
  orderMigrations,
  parseMigration,
  type Allowance,
  type Check,
  type FileIdentity,
  type LoadOptions,
  type Migration,
  type MigrationDirectives,
} from './engine/files/source';
export type { SqlStatement } from './engine/sql/splitter';
export { inspect as plan, migrate, type AppliedSummary, type MigrateOptions, type MigrateResult, type RunEvent, type RunnerOptions } from './engine/runner';
export type { BackfillMode } from './engine/backfill/gate';
export type { BackfillProgress, BackfillSettings } from './engine/backfill/run';
export type { BackfillState } from './engine/backfill/progress';
export type { HealthBounds } from './engine/backfill/health';
export { RUN_STEPS, type RunCheck, type RunCheckResult, type RunFacts, type RunStep } from './engine/server/run-refusals';
export { computePlan, type ChangedEntry, type EntryStatus, type Plan, type PlanEntry } from './engine/state/plan';
export { checksum } from './engine/files/checksum';
export type { FirstRunCheck } from './engine/server/run-refusals';
export { DEFAULT_STATE_SCHEMA, type AppliedKey, type AppliedKind, type AppliedMigration } from './engine/state/state';
export { baseline, type BaselineOptions, type BaselineResult } from './engine/state/baseline';
export { repair, type RepairOptions, type RepairResult, type RepairedMigration } from './engine/state/repair';
export {
  AlreadyAppliedError,
  CheckFailedError,
  ChecksumMismatchError,
  ConnectionError,
  DatabaseAheadError,
  DeadlineError,
  ForeignHistoryError,
  InputError,
  InputProblemsError,
  LockTimeoutError,
  LockLostError,
  LockWaitTimeoutError,
  MigrationError,
  OutOfOrderError,
  StatementError,
  type Blocker,
  type LostWhile,
  type DatabaseErrorFields,
  type ErrorLocation,
  type MigrationErrorOptions,
} from './engine/errors/errors';
export { Redactor } from './engine/errors/redact';
export type {
  Driver,
  LockOptions,
  MigrationLock,
  Queryable,
  QueryResult,
  ScriptResult,
  Session,
  SessionCapabilities,
  TransactionSettings,
} from './engine/ports';

// Where the database is: a connection (node-postgres) or the RDS Data API (Aurora).
export { parseDatabaseUrl, PgDriver, type ConnectionSettingNames, type ConnectRetry, type PgDriverCommon, type PgDriverOptions } from './driver/pg/pg-driver';
export { PgSessionPool } from './driver/pg/session-pool';
export type { IamAuthOptions } from './driver/pg/iam-token';
export type { PoolerEvidence } from './driver/pg/pooler';
export { DataApiDriver, type DataApiClient, type DataApiDriverOptions } from './driver/data-api/data-api-driver';
export { LeaseLock, type LeaseLockOptions, type LeaseTimings } from './driver/data-api/lease-lock';

// The checks: lint (no database), contracts, doctor, drift.
export {
  alteredTables,
  FINDINGS_KEPT_PER_RULE,
  lintCounts,
  lintMigrations as lint,
  lintSourceFromText,
  lintSourceOf,
  needsDependencies,
  readLintCatalog,
  RULES as LINT_RULES,
  type LintCatalog,
  type LintOptions,
  type LintResult,
  type LintSource,
  type OmittedFindings,
  type RuleInfo,
} from './checks/lint';
export type {
  CatalogColumn,
  CatalogConstraint,
  CatalogDomain,
  CatalogIndex,
  CatalogNotNullCheck,
  CatalogNotValidNotNull,
  CatalogPartitionedTable,
  CatalogRelation,
  ReadCatalogOptions,
} from './checks/lint/catalog';
export type { DependencyEdge, DependencyGraph, DependencyObject } from './checks/lint/dependencies';
export type { FunctionSignature, Volatility } from './checks/lint/volatility';
export {
  assertContracts,
  checkContracts as check,
  ContractFailedError,
  loadContracts,
  parseContract,
  type ArbiterInfo,
  type CheckContractsOptions,
  type Contract,
  type ContractFailure,
  type ContractResult,
  type ContractsReport,
} from './checks/contracts';
export {
  doctor,
  DOCTOR_RULES,
  type DoctorContext,
  type DoctorExample,
  type DoctorOptions,
  type DoctorReport,
  type DoctorRule,
  type DoctorTarget,
} from './checks/doctor';
export {
  assertNoDrift,
  detectDrift,
  DriftError,
  failingDrift,
  formatDrift,
  isCommentDrift,
  takeSnapshot,
  type DetectDriftOptions,
  type DriftReport,
  type Snapshot,
} from './checks/drift/drift';
export { formatFinding, type AllowedFinding, type Finding, type Severity } from './checks/findings/finding';

// Between deploys: the guard (one read-only pass, page/ticket findings, metrics).
export {
  guardRules,
  runGuard,
  type GuardFinding,
  type GuardFindingKind,
  type GuardMetrics,
  type GuardOptions,
  type GuardReport,
  type GuardRule,
  type GuardSeverity,
  type GuardTarget,
} from './checks/guard';
export {
  captureStatements,
  CaptureUnavailableError,
  type CaptureOptions,
  type CaptureReport,
  type CapturedStatement,
  type CaptureTarget,
} from './checks/capture';
export type { Node } from './checks/parser/parse';
export type { Catalog, ColumnInfo, ConstraintInfo, Difference, DifferenceKind, ExtensionInfo, FunctionInfo, IndexInfo, TableInfo } from './schema/catalog';
export type { DomainInfo, EnumInfo, KeyTrigger, PolicyInfo, TriggerInfo } from './schema/catalog-detail';
export type { ColumnSequence, SequenceInfo, SequenceOptions } from './schema/catalog-sequences';
