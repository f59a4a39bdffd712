/**
 * The log group a database exports its PostgreSQL log to. RDS names it
 * `/aws/rds/instance/<id>/postgresql` (an instance) or
 * `/aws/rds/cluster/<id>/postgresql` (an Aurora cluster). The stack creates it
 * before the database, which must depend on it: RDS would otherwise create it on
 * the first export (without retention) and the metric filters would race it.
 */
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { StageSettings } from './stage-settings';

export type DatabaseKind = 'instance' | 'cluster';

/** `/aws/rds/<kind>/<identifier>/postgresql`, the name RDS exports to. */
export function postgresLogGroupName(kind: DatabaseKind, identifier: string): string {
  return `/aws/rds/${kind}/${identifier}/postgresql`;
}

/** The log group `PostgresLogs` in `scope`, with the stage's retention and removal policy. */
export function postgresLogGroup(scope: Construct, kind: DatabaseKind, identifier: string, settings: Pick<StageSettings, 'logRetention' | 'logRemovalPolicy'>): logs.LogGroup {
  return new logs.LogGroup(scope, 'PostgresLogs', {
    logGroupName: postgresLogGroupName(kind, identifier),
    retention: settings.logRetention,
    removalPolicy: settings.logRemovalPolicy,
  });
}
