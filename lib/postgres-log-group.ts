/**
 * The log group a database exports its PostgreSQL log to. RDS names it
 * `/aws/rds/instance/<id>/postgresql` (an instance) or
 * `/aws/rds/cluster/<id>/postgresql` (an Aurora cluster). The stack creates it
 * before the database, which must depend on it: RDS would otherwise create it on
 * the first export (without retention) and the metric filters would race it.
 */
import { Token } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { StageSettings } from './stage-settings';

export type DatabaseKind = 'instance' | 'cluster';

/** An RDS instance or cluster identifier: 1 to 63 letters, digits or hyphens, a letter first, no hyphen last or twice in a row. */
const RDS_IDENTIFIER = /^[a-z](?:[a-z0-9]|-(?!-))*$/i;

/**
 * `/aws/rds/<kind>/<identifier>/postgresql`, the name RDS exports to. RDS
 * stores an identifier in lower case (the RDS API: "stored as a lowercase
 * string") and names the group so: `Widgets-DB` gives
 * `/aws/rds/instance/widgets-db/postgresql`. A group named with the
 * capitals would never receive the log, and its alarms never fire. A token
 * (an identifier CloudFormation names, `instance.instanceIdentifier`) is
 * kept as it is: it resolves to the identifier as RDS stores it.
 *
 * @throws Error naming the value when `kind` is not `instance` or `cluster`,
 * or a literal identifier is not one RDS takes.
 */
export function postgresLogGroupName(kind: DatabaseKind, identifier: string): string {
  if (kind !== 'instance' && kind !== 'cluster') {
    throw new Error(`postgresLogGroupName: kind ${JSON.stringify(kind)} is not 'instance' or 'cluster'; pass 'instance' for an rds.DatabaseInstance, 'cluster' for an Aurora cluster`);
  }
  if (Token.isUnresolved(identifier)) return `/aws/rds/${kind}/${identifier}/postgresql`;
  if (typeof identifier !== 'string' || identifier.length > 63 || !RDS_IDENTIFIER.test(identifier) || identifier.endsWith('-')) {
    throw new Error(`postgresLogGroupName: ${JSON.stringify(identifier)} is not an RDS ${kind} identifier; pass the identifier the ${kind} has: 1 to 63 letters, digits or hyphens, a letter first, no hyphen last or twice in a row`);
  }
  return `/aws/rds/${kind}/${identifier.toLowerCase()}/postgresql`;
}

/** The log group `PostgresLogs` in `scope`, with the stage's retention and removal policy. */
export function postgresLogGroup(scope: Construct, kind: DatabaseKind, identifier: string, settings: Pick<StageSettings, 'logRetention' | 'logRemovalPolicy'>): logs.LogGroup {
  return new logs.LogGroup(scope, 'PostgresLogs', {
    logGroupName: postgresLogGroupName(kind, identifier),
    retention: settings.logRetention,
    removalPolicy: settings.logRemovalPolicy,
  });
}
