/** What both of the app's stacks have: an isolated VPC, the PostgreSQL log group, the alarms into the on-call topic. */
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { DatabaseAlarms, postgresLogGroupName, type DatabaseKind, type SchemaMigrations } from 'schemaguard';

export interface OnCallProps {
  /** An existing topic on-call subscribes to; without it the stack creates one. */
  readonly onCallTopicArn?: string;
  /** Subscribed to the topic the stack creates. */
  readonly onCallEmail?: string;
}

/** Two isolated subnets, no NAT: the database is reachable only from inside. */
export function isolatedVpc(scope: Construct): ec2.Vpc {
  return new ec2.Vpc(scope, 'Vpc', {
    natGateways: 0,
    subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
}

/**
 * The log group RDS exports the PostgreSQL log to, made to exist with its
 * retention before the database (which must depend on `made`), so the alarms'
 * metric filters never race RDS. A create-or-update resource, not a
 * `logs.LogGroup`: the group is kept when the stack is deleted, and a named
 * group kept so would make the next deploy fail ("already exists"); this one
 * takes the kept group over.
 */
export function postgresLog(scope: Construct, kind: DatabaseKind, identifier: string): { logGroup: logs.ILogGroup; made: logs.LogRetention } {
  const logGroupName = postgresLogGroupName(kind, identifier);
  const made = new logs.LogRetention(scope, 'PostgresLogRetention', { logGroupName, retention: logs.RetentionDays.ONE_MONTH });
  return { logGroup: logs.LogGroup.fromLogGroupName(scope, 'PostgresLog', logGroupName), made };
}

/** The topic the alarms publish to: the one on-call already has, or a new one. */
export function onCallTopic(scope: Construct, props: OnCallProps): sns.ITopic {
  if (props.onCallTopicArn) return sns.Topic.fromTopicArn(scope, 'OnCall', props.onCallTopicArn);
  const topic = new sns.Topic(scope, 'OnCall', { displayName: 'widgets on-call', enforceSSL: true });
  if (props.onCallEmail) topic.addSubscription(new subscriptions.EmailSubscription(props.onCallEmail));
  return topic;
}

/**
 * schemaguard's alarms on the PostgreSQL log and the migration handlers, into
 * the on-call topic: pages and tickets alike (a mailbox; the descriptions
 * start [PAGE] or [TICKET]). With a pager behind the topic, give tickets a
 * topic of their own instead.
 */
export function onCallAlarms(scope: Construct, log: logs.ILogGroup, migrations: SchemaMigrations, identifier: string, props: OnCallProps): DatabaseAlarms {
  const topic = onCallTopic(scope, props);
  return new DatabaseAlarms(scope, 'Alarms', {
    logGroup: log,
    topic,
    ticketTopic: topic,
    migrationFunctions: [migrations.onEventHandler, migrations.isCompleteHandler],
    migrationLogGroupName: migrations.logGroup.logGroupName,
    alarmNamePrefix: identifier,
  });
}
