/**
 * The PostgreSQL parameters both database stacks set (RDS instance and Aurora
 * cluster), and the parameter group that carries them.
 *
 * `log_line_prefix` is not among them: RDS fixes it (the parameter is listed
 * with that value in "Parameters for logging in RDS for PostgreSQL"), and the
 * metric filters parse lines with it (RDS_LOG_LINE_PREFIX in
 * lib/alarms/error-catalog.ts).
 */
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
 * The parameter group `Parameters` in `scope`, with DATABASE_PARAMETERS for
 * `engine`: an instance engine gives a DB parameter group, a cluster engine a
 * cluster parameter group (rds.ParameterGroup binds to either).
 */
export function databaseParameterGroup(scope: Construct, engine: rds.IEngine, description: string): rds.ParameterGroup {
  return new rds.ParameterGroup(scope, 'Parameters', { engine, description, parameters: { ...DATABASE_PARAMETERS } });
}
