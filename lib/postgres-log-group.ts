/**
 * The log group a database exports its PostgreSQL log to. RDS names it
 * `/aws/rds/instance/<id>/postgresql` (an instance) or
 * `/aws/rds/cluster/<id>/postgresql` (an Aurora cluster). The stack makes it
 * exist, with its retention, before the database, which must depend on it:
 * RDS would otherwise create it on the first export (without retention) and
 * the metric filters would race it.
 *
 * Not an AWS::Logs::LogGroup: its name is fixed by the identifier, so a
 * group kept on delete (prod) would make the next deploy of the same stack
 * fail with "already exists". A create-or-update resource instead (CDK's
 * LogRetention: CreateLogGroup, an existing group taken as it is, then
 * PutRetentionPolicy) sets the retention on the group whether RDS, a deleted
 * stack or nobody made it; on delete it deletes the group (dev) or leaves it
 * (prod), and the same stack deployed again takes the kept group over.
 */
import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledge } from './nag';
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
    throw new Error(
      `postgresLogGroupName: kind ${JSON.stringify(kind)} is not 'instance' or 'cluster'; pass 'instance' for an rds.DatabaseInstance, 'cluster' for an Aurora cluster`,
    );
  }
  if (Token.isUnresolved(identifier)) return `/aws/rds/${kind}/${identifier}/postgresql`;
  if (typeof identifier !== 'string' || identifier.length > 63 || !RDS_IDENTIFIER.test(identifier) || identifier.endsWith('-')) {
    throw new Error(
      `postgresLogGroupName: ${JSON.stringify(identifier)} is not an RDS ${kind} identifier; pass the identifier the ${kind} has: 1 to 63 letters, digits or hyphens, a letter first, no hyphen last or twice in a row`,
    );
  }
  return `/aws/rds/${kind}/${identifier.toLowerCase()}/postgresql`;
}

/** The database's log group, and the resource that makes it exist with its retention (what the database and the filters depend on). */
export interface PostgresLogGroup {
  readonly logGroup: logs.ILogGroup;
  readonly retention: logs.LogRetention;
}

/**
 * The log group of `kind` `identifier` made to exist by `PostgresLogs` in
 * `scope` (a LogRetention `PostgresLogRetention`), with the stage's retention; deleted with the
 * stack when the stage's log removal policy is DESTROY, else left.
 */
export function postgresLogGroup(
  scope: Construct,
  kind: DatabaseKind,
  identifier: string,
  settings: Pick<StageSettings, 'logRetention' | 'logRemovalPolicy'>,
): PostgresLogGroup {
  const logGroupName = postgresLogGroupName(kind, identifier);
  // Not the id `PostgresLogs` of the AWS::Logs::LogGroup before it: CloudFormation refuses a new type under one logical ID.
  const deletedWithStack = settings.logRemovalPolicy === RemovalPolicy.DESTROY;
  const retention = new logs.LogRetention(scope, 'PostgresLogRetention', {
    logGroupName,
    retention: settings.logRetention,
    removalPolicy: deletedWithStack ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  });
  acknowledgeLogRetentionFindings(scope, logGroupName, deletedWithStack);
  return { logGroup: logs.LogGroup.fromLogGroupName(scope, 'PostgresLogGroup', logGroupName), retention };
}

/** The cdk-nag findings on LogRetention's one function per stack (`LogRetention<hash>`), which aws-cdk-lib makes as it is. */
function acknowledgeLogRetentionFindings(scope: Construct, logGroupName: string, deletedWithStack: boolean): void {
  const stack = Stack.of(scope);
  const fn = stack.node.children.find((c) => c.node.id.startsWith('LogRetention') && c.node.tryFindChild('ServiceRole'));
  if (!fn) return;
  acknowledge(
    fn,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    "aws-cdk-lib's LogRetention function (it creates the database's log group if missing and sets its retention) uses the AWS managed basic execution role: CreateLogGroup, CreateLogStream, PutLogEvents; it cannot be given another.",
  );
  acknowledge(
    fn,
    'AwsSolutions-IAM5[Resource::*]',
    'aws-cdk-lib\'s LogRetention function is granted logs:PutRetentionPolicy and DeleteRetentionPolicy on "*" by aws-cdk-lib itself; it only ever sets the retention of the database\'s log group.',
  );
  // Only a group deleted with the stack gets LogRetention's logs:DeleteLogGroup on it (aws-cdk-lib's grantDeleteLogGroup).
  if (!deletedWithStack) return;
  acknowledge(
    fn,
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:${logGroupName}:*]`,
    'dev stage: LogRetention may delete the database\'s own log group (and its streams, ":*") when the stack is deleted, so a deleted dev stack leaves no log group behind.',
  );
}
