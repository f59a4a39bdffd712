/**
 * schemaguard's constructs and ready-made stacks, published as the package
 * root: `import { SchemaMigrations, DatabaseAlarms } from 'schemaguard'`.
 * The engine's programmatic API is the `schemaguard/engine` subpath
 * (lambda/api.ts).
 *
 * @module schemaguard
 */

// Constructs: add them to a stack of your own, beside your own database.
export {
  SchemaMigrations,
  type DataApiConnectionProps,
  type DirectConnectionProps,
  type SchemaMigrationsBaseProps,
  type SchemaMigrationsProps,
  type StandbyWaitProps,
  type BackfillProps,
} from './schema-migrations';
export type { OperatorCommands, SchemaMigrationsBaseline } from './adoption-props';
export type { HistorySource } from '../lambda/engine/foreign-history/foreign-history';
export type { DatabaseAuth, IamAuthenticationProps } from './database-auth';
export type { FilesSummary } from '../lambda/handler/files-hash';
export { DatabaseAlarms, type DatabaseAlarmsProps } from './alarms/database-alarms';
export { DatabaseDashboard, type DatabaseDashboardProps } from './alarms/database-dashboard';
export { SchemaGuard, GUARD_ROLE_PREFIX, type SchemaGuardProps } from './schema-guard';
export { defaultGuardRoleName, GuardRole, type GuardRoleProps } from './guard-role';
export { defaultMigratorRoleName, limitReaders, RoleProvisioner, type RoleProvisionerProps } from './migrator-role';
export type { MigrationsTarget } from './schema-migrations';
// A fleet: the tenants SchemaMigrations rolls the migrations out to (docs/guide/fleet.md).
export { FleetRollout, MAX_AWS_WAVE_SIZE, type FleetRolloutProps } from './fleet/fleet-rollout';
export type { Fleet, FleetSourceKey, FleetSpec } from '../lambda/engine/fleet/fleet-spec';
export { BackfillWorkflow, type BackfillWorkflowProps } from './backfill/backfill-workflow';

// The scheduled guard's metrics and alarms: names, severities, runbooks.
export {
  GUARD_ALARMS,
  GUARD_FIRST_COMMAND,
  guardAlarmDescription,
  guardFirstCommand,
  type GuardAlarmSpec,
  type GuardCommandOptions,
  type GuardRunbookContext,
} from './alarms/guard-catalog';
export { GUARD_DIMENSION, GUARD_METRIC, GUARD_NAMESPACE, type GuardMetricName } from '../lambda/handler/constants';

// The alarms on a deploy's workflows (a fleet's rollout, backfills on Step Functions), and the backfills' metrics.
export {
  BACKFILL_ALARMS,
  BACKFILL_FAILED_ALARM,
  BACKFILL_STALLED_ALARM,
  BACKFILL_STALLED_SECONDS,
  DEPLOY_ALARMS,
  FLEET_ROLLOUT_ALARM,
  deployAlarmDescription,
  deployAlarmDescription as backfillAlarmDescription,
  type DeployAlarmSpec,
  type DeployAlarmSpec as BackfillAlarmSpec,
} from './alarms/deploy-catalog';
export { BACKFILL_DIMENSION, BACKFILL_METRIC, BACKFILL_NAMESPACE, type BackfillMetricName } from '../lambda/handler/constants';

// The error classes the alarms page on, and what the filters and queries are made of.
export {
  ALARM_DESCRIPTION_MARGIN,
  alarmDescriptionFor,
  DEFAULT_QUERY_FOLDER,
  ECHOING_MESSAGES,
  ERROR_CATALOG,
  errorClass,
  errorMetricNamespace,
  filterPatternFor,
  METRIC_NAMESPACE_PREFIX,
  insightsQueryFor,
  RDS_LOG_LINE_PREFIX,
  savedQueryNameFor,
  // The runbooks' own: when an alarm clears, the lock-timeout holder's SQL, the transaction-aborted session's query.
  LOCK_HOLDERS_SQL,
  OLDEST_TRANSACTIONS_SQL,
  ON_CALL_POINTER,
  QUIET_MINUTES,
  sessionErrorsQuery,
  type EchoingMessage,
  type ErrorClass,
  type LocateQuery,
  type Severity as AlarmSeverity,
} from './alarms/error-catalog';

// Ready-made stacks: a VPC, the database, the migrations and the alarms in one stack.
export { DatabaseStack, type DatabaseStackProps } from './database-stack';
export { AuroraDatabaseStack, type AuroraDatabaseStackProps } from './aurora-database-stack';
export {
  DatabaseStackBase,
  type DatabaseOutline,
  type DatabaseStackCommonProps,
  type DataApiConnection,
  type ManagedDatabase,
  type VpcConnection,
} from './database-stack-base';
export { DatabaseNetwork, type DatabaseNetworkProps, type RotatableDatabase } from './database-network';
export { STAGES, type Stage } from './app-config';
export type { StageSettings } from './stage-settings';

// Helpers for a database of your own: the parameters the alarms rely on, the log group RDS exports to.
export { DATABASE_PARAMETERS } from './database-parameters';
export { postgresLogGroupName, type DatabaseKind } from './postgres-log-group';
export { USER_FILE_DEFAULTS, type UserFileProps, type UserFiles } from './user-files';
