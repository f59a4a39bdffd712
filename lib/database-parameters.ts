/**
 * The PostgreSQL parameters both database stacks set (RDS instance and Aurora
 * cluster), and the parameter group that carries them.
 *
 * `log_line_prefix` is not among them: RDS fixes it (the parameter is listed
 * with that value in "Parameters for logging in RDS for PostgreSQL"), and the
 * metric filters parse lines with it (RDS_LOG_LINE_PREFIX in
 * lib/alarms/error-catalog.ts).
 *
 * Neither is `shared_preload_libraries`, on purpose: `pg_stat_statements`
 * (which `schemaguard capture` reads) is already loaded by default — "For DB
 * instances compatible with PostgreSQL 11 or higher, the database loads this
 * library by default" (RDS user guide, "SQL statistics for RDS PostgreSQL",
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PerfInsights.UsingDashboard.AnalyzeDBLoad.AdditionalMetrics.PostgreSQL.html),
 * and for Aurora PostgreSQL compatible with PostgreSQL 10 and later (Aurora
 * user guide, "SQL statistics for Aurora PostgreSQL",
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_PerfInsights.UsingDashboard.AnalyzeDBLoad.AdditionalMetrics.PostgreSQL.html).
 * A custom parameter group inherits every parameter it does not set from its
 * family's defaults, so leaving the parameter out keeps that library; setting
 * it to `pg_stat_statements` would replace the whole default list and drop
 * whatever else the engine preloads there.
 */
import { Annotations, Aspects, Stack } from 'aws-cdk-lib';
import * as rds from 'aws-cdk-lib/aws-rds';
import type { Construct } from 'constructs';

/** Parameters of the database's parameter group. */
export const DATABASE_PARAMETERS: Readonly<Record<string, string>> = {
  // Refuse connections without TLS.
  'rds.force_ssl': '1',
  // Log the statement that caused each ERROR (the STATEMENT: line after it).
  log_min_error_statement: 'error',
  // Log waits longer than deadlock_timeout for a lock.
  log_lock_waits: '1',
};

/**
 * The lowest major version whose default parameter group preloads
 * pg_stat_statements, per engine (the documentation cited above). The
 * stacks' engines (PostgreSQL and Aurora PostgreSQL 13 to 18, lib/engine-versions.ts) are above both.
 */
export const PG_STAT_STATEMENTS_PRELOADED_FROM: Readonly<Record<'postgres' | 'aurora-postgresql', number>> = {
  postgres: 11,
  'aurora-postgresql': 10,
};

/**
 * The parameter group `Parameters` in `scope`, with DATABASE_PARAMETERS for
 * `engine`: an instance engine gives a DB parameter group, a cluster engine a
 * cluster parameter group (rds.ParameterGroup binds to either).
 */
export function databaseParameterGroup(scope: Construct, engine: rds.IEngine, description: string): rds.ParameterGroup {
  const group = new rds.ParameterGroup(scope, 'Parameters', { engine, description, parameters: { ...DATABASE_PARAMETERS } });
  // Read once the app is complete: the stacks expose the group, and a parameter added to it later counts too.
  Aspects.of(group).add({
    visit: (node) => {
      if (node === group) warnOfReplicaRole(group);
    },
  });
  return group;
}

/**
 * `session_replication_role = replica` in the parameter group: every
 * session of the database then fires no foreign-key trigger and no ordinary
 * trigger, so orphans are written without an error — server-wide, where
 * doctor's replication-role-replica rule (which reads the database's and
 * the roles' settings) does not look. AWS DMS's guide names it as one way
 * to load a target without foreign-key checks during a full load
 * (https://docs.aws.amazon.com/dms/latest/userguide/dm-data-providers-target-postgresql.html),
 * so this is a warning, not a refusal.
 */
function warnOfReplicaRole(group: rds.ParameterGroup): void {
  const value = groupParameters(group).session_replication_role;
  if (typeof value !== 'string' || value.trim().toLowerCase() !== 'replica') return;
  Annotations.of(group).addWarningV2(
    'schemaguard:sessionReplicationRoleReplica',
    `the parameter group ${group.node.path} sets session_replication_role = ${value}: every session of the database then skips foreign-key checks and triggers ` +
      '(orphans are written without an error, audit and updated_at triggers do nothing), and no doctor or guard rule reads a parameter group; ' +
      'leave it out of the group once the load that needed it is over, or set it only in the session that needs it (SET session_replication_role = replica, then RESET session_replication_role)',
  );
}

/** The parameters the group synthesises (its L1 resource exists once a database binds it). */
function groupParameters(group: rds.ParameterGroup): Record<string, unknown> {
  const l1 = group.node.children.find((c) => c instanceof rds.CfnDBParameterGroup || c instanceof rds.CfnDBClusterParameterGroup) as
    | rds.CfnDBParameterGroup
    | rds.CfnDBClusterParameterGroup
    | undefined;
  const resolved = l1 ? (Stack.of(group).resolve(l1.parameters) as unknown) : undefined;
  return resolved && typeof resolved === 'object' ? (resolved as Record<string, unknown>) : {};
}
