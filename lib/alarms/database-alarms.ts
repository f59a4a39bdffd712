/**
 * DatabaseAlarms: pages on-call when the PostgreSQL log shows the error
 * classes of the catalog (lib/alarms/error-catalog.ts). Per class: a metric
 * filter on the ERROR lines, an alarm whose description carries the runbook,
 * a saved Logs Insights query. Plus: two encrypted, TLS-only SNS topics for
 * the alarm and OK actions, one for pages and one for tickets (each with
 * optional email and HTTPS subscriptions), an alarm on the migration Lambda's
 * errors, and a dashboard.
 */
import { Annotations, ArnFormat, Duration, RemovalPolicy, Stack, Token, Tokenization } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, type IConstruct } from 'constructs';
import {
  DEFAULT_QUERY_FOLDER,
  ERROR_CATALOG,
  MAX_ALARM_DESCRIPTION_LENGTH,
  NOT_NULL_WITH_STATEMENTS_QUERY,
  RECENT_ERRORS_QUERY,
  QUIET_MINUTES,
  TOP_FAILING_RELATIONS_QUERY,
  alarmDescriptionFor,
  errorMetricNamespace,
  filterPatternFor,
  insightsQueryFor,
  savedQueryNameFor,
  type ErrorClass,
} from './error-catalog';
import { GUARD_ROLE_PREFIX, ROLLBACK_METRIC } from '../../lambda/handler/constants';
import type { FleetRollout } from '../fleet/fleet-rollout';
import { deployAlarmDescription, FLEET_ROLLOUT_ALARM } from './deploy-catalog';
import { urlWithoutPath } from '../../lambda/engine/errors/redact';
import { DatabaseDashboard } from './database-dashboard';
import { deployedLength, listTokenProblem, listTokens, stringTokens } from './deployed-length';
import { claimOnce } from '../synth-claims';
import { refuseWrongKinds, type PropKind } from '../prop-types';
import { plural } from '../../lambda/engine/errors/words';
import type { BackfillWorkflow } from '../backfill/backfill-workflow';
import { backfillAlarms, backfillGraph } from './backfill-alarms';

export interface DatabaseAlarmsProps {
  /**
   * The PostgreSQL log group of the RDS instance,
   * `/aws/rds/instance/<instance id>/postgresql`, created by the stack before
   * the instance so the filters never race RDS.
   */
  readonly logGroup: logs.ILogGroup;

  /**
   * The schema-migration Lambdas (the custom resource's onEvent and
   * isComplete handlers). When given, one alarm fires when any of them reports
   * Errors.
   * @default - no migration alarm
   */
  readonly migrationFunctions?: lambda.IFunction[];

  /**
   * A fleet's rollout (SchemaMigrations `fleetRollout`): one alarm pages when
   * an execution fails, times out or is aborted (`FLEET_ROLLOUT_ALARM`,
   * lib/alarms/deploy-catalog.ts).
   * @default - no rollout alarm
   */
  readonly fleetRollout?: FleetRollout;

  /**
   * Log group the migration Lambdas write to, named in the alarm's runbook.
   * @default - the first function's: the log group of its logging configuration (SchemaMigrations' own), else `/aws/lambda/<function name>`
   */
  readonly migrationLogGroupName?: string;

  /**
   * The backfills' workflow (SchemaMigrations' `backfillWorkflow`): with it,
   * a ticket when a backfill's execution stops before it is done, and one
   * when a backfill commits no batch for 30 minutes; and their graph.
   * @default - no backfill alarms
   */
  readonly backfillWorkflow?: BackfillWorkflow;

  /**
   * Email address subscribed to the paging topic (`topic`: the paging
   * classes and the migration alarm; the app reads it from the `alarmEmail`
   * context key). The address must confirm the subscription.
   * @default - no email subscription
   */
  readonly alarmEmail?: string;

  /**
   * HTTPS endpoint subscribed to the paging topic (`topic`), e.g. a PagerDuty or Opsgenie
   * CloudWatch integration URL (the app reads it from the `alarmHttpsUrl`
   * context key). Such URLs contain a routing key: pass a Secrets Manager
   * dynamic reference (`{{resolve:secretsmanager:<secret-id>}}`, or
   * `SecretValue.secretsManager(...).unsafeUnwrap()`) to keep it out of the template.
   * @default - no HTTPS subscription
   */
  readonly alarmHttpsUrl?: string;

  /**
   * Email address subscribed to the ticket topic (`ticketTopic`: the
   * ticket-severity classes; the app reads it from the `alarmTicketEmail`
   * context key). The address must confirm the subscription.
   * @default - `alarmEmail`, when tickets have no other destination (`ticketTopic`, `ticketHttpsUrl`); else no email subscription
   */
  readonly ticketEmail?: string;

  /**
   * HTTPS endpoint subscribed to the ticket topic (`ticketTopic`), e.g. the
   * CloudWatch integration URL of a low-urgency PagerDuty service or of a
   * ticketing system (the app reads it from the `alarmTicketHttpsUrl` context
   * key). As for `alarmHttpsUrl`, pass a Secrets Manager dynamic reference
   * to keep a routing key out of the template.
   * @default - no HTTPS subscription
   */
  readonly ticketHttpsUrl?: string;

  /**
   * The identifier of the RDS instance or Aurora cluster whose log
   * `logGroup` is. It names the error metrics' namespace,
   * `Schemaguard/Database/<identifier>`, so that the alarms of two databases
   * in one account and region never count each other's errors.
   * @default - read from the log group's name, `/aws/rds/<instance|cluster>/<identifier>/postgresql`
   */
  readonly databaseIdentifier?: string;

  /**
   * CloudWatch namespace of the error metrics, instead of the database's own.
   * The metric filters cannot put a dimension on their text patterns, so the
   * namespace is what keeps one database's errors apart from another's: give
   * each database a namespace of its own (synth refuses two DatabaseAlarms of
   * one app with the same namespace in the same account and region).
   * @default - `Schemaguard/Database/<databaseIdentifier>`
   */
  readonly metricNamespace?: string;

  /**
   * Ids of the catalog classes to alarm on (see ERROR_CATALOG).
   * @default - every class of the catalog
   */
  readonly errorClasses?: string[];

  /**
   * Prefix of the alarm names: `<prefix>-<severity>-<class id>`.
   * @default - names generated by CloudFormation
   */
  readonly alarmNamePrefix?: string;

  /**
   * Folder (name prefix) of the saved Logs Insights queries. Each database
   * needs its own: the alarm descriptions name their query by name only.
   * @default - `schemaguard/<database identifier>`; `schemaguard` when the identifier is unknown (a `metricNamespace` without one)
   */
  readonly queryFolder?: string;

  /**
   * An SNS topic of your own — the one on-call already subscribes to — for
   * the alarm and OK actions of the pages (paging classes, the migration
   * alarm), instead of a new one. When it is encrypted with a customer-managed
   * key, that key's policy must allow `cloudwatch.amazonaws.com` kms:Decrypt
   * and kms:GenerateDataKey*, or the alarms cannot publish. `alarmEmail` and
   * `alarmHttpsUrl` subscribe to it too when set. Ticket alarms never go
   * here unless it is also given as `ticketTopic`.
   * @default - a new encrypted, TLS-only topic (see `topicKey`)
   */
  readonly topic?: sns.ITopic;

  /**
   * An SNS topic of your own for the alarm and OK actions of the
   * ticket-severity classes (a ticketing system's, or a low-urgency on-call
   * service), instead of a new one. `ticketEmail` and `ticketHttpsUrl`
   * subscribe to it too when set. Pass the paging topic itself to have
   * tickets arrive there (told apart by `[TICKET]` in the description and
   * `-ticket-` in the name: route on those and on `NewStateValue`).
   * @default - a new encrypted, TLS-only topic, subscribed to by `ticketEmail` (by default `alarmEmail`) and `ticketHttpsUrl`; with none of them, nothing receives the tickets (their state shows on the dashboard) and synth warns (`schemaguard:ticketsWithoutDestination`) when pages have a destination
   */
  readonly ticketTopic?: sns.ITopic;

  /**
   * KMS key that encrypts the topics created here (the paging topic unless
   * `topic` is given, the ticket topic unless `ticketTopic` is given).
   * CloudWatch is granted its use in the key policy; for an imported key that
   * grant cannot be added, so its policy must already allow
   * `cloudwatch.amazonaws.com` kms:Decrypt and kms:GenerateDataKey*, or
   * alarms cannot publish.
   * @default - a new customer-managed key with rotation enabled
   */
  readonly topicKey?: kms.IKey;

  /**
   * What happens to the key created here (no `topicKey` given) when it leaves
   * the stack: `RemovalPolicy.DESTROY` schedules its deletion after the
   * shortest waiting period KMS allows (7 days), so a deleted stack leaves no
   * key behind; `RETAIN` keeps it.
   * @default RemovalPolicy.RETAIN
   */
  readonly topicKeyRemovalPolicy?: RemovalPolicy;

  /**
   * Database users whose ERROR lines the error-class filters do not count.
   * The guard's read-only role is one: each pass, the EXPLAIN of a failing
   * contract logs the error the application's statement would meet (42P10
   * for an upsert whose unique index is gone), which would keep that
   * class's alarm raised for as long as the contract fails; the guard pages for it itself
   * (its ContractFailures alarm). The saved Logs Insights queries still show
   * these lines. Name the role here when SchemaGuard runs as another
   * (`roleName`, or your own `roleSecret`). A name ending in `*` is a prefix:
   * every user whose name starts with it.
   * @default ['schemaguard_guard*'] - the guard's default roles, `schemaguard_guard_<database>` (and a role named `schemaguard_guard`)
   */
  readonly ignoredUsers?: string[];

  /**
   * Name of the CloudWatch dashboard.
   * @default - a name generated by CloudFormation
   */
  readonly dashboardName?: string;
}

const PERIOD = Duration.minutes(1);

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const NAMESPACE = /^[A-Za-z0-9.\-_/#:]{1,255}$/;
const RDS_LOG_GROUP = /^\/aws\/rds\/(?:instance|cluster)\/([^/]+)\/postgresql$/;
const DYNAMIC_REFERENCE = /^\{\{resolve:(secretsmanager|ssm):[^}]+\}\}$/;

/**
 * Pages when the database's PostgreSQL log shows the error classes of
 * ERROR_CATALOG: per class a metric filter on the ERROR lines, an alarm whose
 * description is the runbook, and a saved Logs Insights query; plus an alarm
 * on the migration handlers' errors and a dashboard. The alarm and OK
 * actions of pages go to `topic` (or a new encrypted topic), those of tickets
 * to `ticketTopic` (or a second new one): a ticket class never pages unless
 * its topic is the paging one.
 *
 * @example
 * new DatabaseAlarms(this, 'Alarms', {
 *   logGroup: postgresLog,       // /aws/rds/instance/<id>/postgresql, created before the instance
 *   topic: onCallTopic,          // pages
 *   ticketTopic: ticketsTopic,   // tickets (or ticketEmail / ticketHttpsUrl on a topic created here)
 *   migrationFunctions: [migrations.onEventHandler, migrations.isCompleteHandler],
 * });
 */
export class DatabaseAlarms extends Construct {
  /** The topic that receives the pages' alarm and OK notifications (`topic`, or the one created here). */
  public readonly topic: sns.ITopic;
  /** The topic that receives the tickets' alarm and OK notifications (`ticketTopic`, or the one created here). */
  public readonly ticketTopic: sns.ITopic;
  /** The key that encrypts the topics created here; none when both `topic` and `ticketTopic` were given. */
  public readonly topicKey?: kms.IKey;
  /**
   * Alarm per catalog class id. The alarm of a class that only follows
   * another error (`followsAnotherError`: 25P02) has no actions when other
   * paging classes are alarmed: `heldPages` pages for it.
   */
  public readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;
  /**
   * Per class id of a class that only follows another error: the composite
   * alarm that pages for it, its actions suppressed while `otherPagesAlarm`
   * is in ALARM (one incident, one page). Empty when no other paging class is
   * alarmed (the class's own alarm pages then).
   */
  public readonly heldPages: Readonly<Record<string, cloudwatch.CompositeAlarm>>;
  /** In ALARM while any other paging class's alarm is: the suppressor of `heldPages`; none when that is empty. */
  public readonly otherPagesAlarm?: cloudwatch.CompositeAlarm;
  /** Metric filter per catalog class id. */
  public readonly metricFilters: Readonly<Record<string, logs.MetricFilter>>;
  /** Alarm on the migration Lambda's Errors, when a function was given. */
  public readonly migrationErrorsAlarm?: cloudwatch.Alarm;
  /** Alarm on a fleet rollout that did not finish, when `fleetRollout` was given. */
  public readonly fleetRolloutAlarm?: cloudwatch.Alarm;
  /** With `backfillWorkflow`: the failed and the stalled backfill's alarms, by id (lib/alarms/deploy-catalog.ts). */
  public readonly backfillAlarms: Readonly<Record<string, cloudwatch.Alarm>>;
  /**
   * The error-class graphs, the alarm states, then the log widgets:
   * `addGraphs` and `addAlarmStates` put more beside the graphs and under the
   * states (SchemaGuard's, when it is given this dashboard).
   */
  public readonly dashboard: DatabaseDashboard;
  /** Namespace of the error metrics: this database's own (`Schemaguard/Database/<identifier>`), or `metricNamespace`. */
  public readonly metricNamespace: string;
  /** Folder (name prefix) of the saved Logs Insights queries the descriptions name: `queryFolder`, or `schemaguard/<identifier>`. */
  public readonly queryFolder: string;
  private readonly classes: readonly ErrorClass[];

  constructor(scope: Construct, id: string, props: DatabaseAlarmsProps) {
    super(scope, id);
    this.classes = validate(props);
    this.metricNamespace = props.metricNamespace ?? errorMetricNamespace(databaseIdentifierOf(props));
    ({ key: this.topicKey, topic: this.topic, ticketTopic: this.ticketTopic } = alarmTopics(this, props));
    const action = new cw_actions.SnsAction(this.topic);
    const ticketAction = new cw_actions.SnsAction(this.ticketTopic);
    this.queryFolder = queryFolderOf(props);
    const withFolder = { ...props, queryFolder: this.queryFolder };
    const held = heldBack(this.classes);
    const perClass = this.classes.map((cls) =>
      errorClassAlarm(this, cls, withFolder, held.has(cls) ? undefined : cls.severity === 'ticket' ? ticketAction : action),
    );
    this.metricFilters = Object.fromEntries(perClass.map(({ cls, filter }) => [cls.id, filter]));
    this.alarms = Object.fromEntries(perClass.map(({ cls, alarm }) => [cls.id, alarm]));
    ({ pages: this.heldPages, suppressor: this.otherPagesAlarm } = heldPages(this, perClass, held, withFolder, action));
    addOverviewQueries(this, withFolder);
    const migrationErrors = migrationErrorsMetric(props.migrationFunctions ?? []);
    // The runbook names the first function's log group (onEvent: the one that applies).
    const [applying] = props.migrationFunctions ?? [];
    this.migrationErrorsAlarm = migrationErrors && applying && migrationErrorsAlarm(this, props, applying, migrationErrors, action);
    this.fleetRolloutAlarm = props.fleetRollout && fleetRolloutAlarm(this, props, props.fleetRollout, action);
    this.backfillAlarms = props.backfillWorkflow
      ? backfillAlarms(this, props.backfillWorkflow, {
          alarmNamePrefix: props.alarmNamePrefix,
          action: (severity) => (severity === 'ticket' ? ticketAction : action),
        })
      : {};
    const deployAlarms = [this.migrationErrorsAlarm, this.fleetRolloutAlarm].filter((a): a is cloudwatch.Alarm => a !== undefined);
    this.dashboard = alarmsDashboard(this, props, {
      metricsBySeverity: (severity) => this.classes.filter((c) => c.severity === severity).map((c) => this.metric(c.id)),
      alarms: [...Object.values(this.alarms), ...Object.values(this.heldPages), ...deployAlarms, ...Object.values(this.backfillAlarms)],
      migrationErrors,
    });
    if (props.backfillWorkflow) this.dashboard.addGraphs(backfillGraph(props.backfillWorkflow));
    claimNamespace(this, props.logGroup);
    warnTicketsWithoutDestination(this, props, this.classes);
  }

  /** The error metric of one catalog class (Sum per minute). */
  public metric(classId: string): cloudwatch.Metric {
    const cls = this.classes.find((c) => c.id === classId);
    if (!cls) throw new Error(`DatabaseAlarms: error class "${classId}" is not alarmed here; alarmed: ${this.classes.map((c) => c.id).join(', ')}`);
    return new cloudwatch.Metric({
      namespace: this.metricNamespace,
      metricName: cls.metricName,
      statistic: cloudwatch.Stats.SUM,
      period: PERIOD,
      label: cls.title,
    });
  }
}

/** `databaseIdentifier`, or the identifier in the log group's literal name `/aws/rds/<kind>/<identifier>/postgresql`. */
function databaseIdentifierOf(props: DatabaseAlarmsProps): string {
  const identifier = knownIdentifier(props);
  if (identifier !== undefined) return identifier;
  const name = literalLogGroupName(props.logGroup);
  const shown = name === undefined ? 'whose name is known only at deploy time' : JSON.stringify(name);
  throw new Error(
    `DatabaseAlarms: the log group ${shown} is not named /aws/rds/<instance|cluster>/<identifier>/postgresql, so the database whose errors it counts is unknown, and each database needs metrics of its own (two databases' alarms in one namespace count each other's errors); pass "databaseIdentifier" (the instance or cluster identifier) or "metricNamespace"`,
  );
}

/** `databaseIdentifier`, or the one in the log group's literal name; undefined when neither is known. */
function knownIdentifier(props: DatabaseAlarmsProps): string | undefined {
  if (props.databaseIdentifier !== undefined) return props.databaseIdentifier;
  const name = literalLogGroupName(props.logGroup);
  return name === undefined ? undefined : RDS_LOG_GROUP.exec(name)?.[1];
}

/**
 * `queryFolder`, or one per database (`schemaguard/<identifier>`): the saved
 * queries of two databases in one account and region (staging and
 * production) would otherwise share their names, and a page names its query
 * by name only. `schemaguard` alone when the identifier is unknown.
 */
function queryFolderOf(props: DatabaseAlarmsProps): string {
  if (props.queryFolder !== undefined) return props.queryFolder;
  const identifier = knownIdentifier(props);
  return identifier === undefined ? DEFAULT_QUERY_FOLDER : `${DEFAULT_QUERY_FOLDER}/${identifier}`;
}

/** The log group's name when synth knows it: given as a string, or set on the CfnLogGroup of a LogGroup of this app. */
function literalLogGroupName(logGroup: logs.ILogGroup): string | undefined {
  if (!Token.isUnresolved(logGroup.logGroupName)) return logGroup.logGroupName;
  const cfn = logGroup.node.defaultChild;
  if (cfn instanceof logs.CfnLogGroup && typeof cfn.logGroupName === 'string' && !Token.isUnresolved(cfn.logGroupName)) return cfn.logGroupName;
  return undefined;
}

/** The literal log group name each DatabaseAlarms watches, for the message of a second claim of its namespace. */
const watchedLogGroups = new WeakMap<IConstruct, string | undefined>();

/**
 * Refuses a second DatabaseAlarms of the app with this namespace in the same account and region. When both
 * watch the same log group, that is the cause (two stages with one instance identifier), and it comes first:
 * RDS refuses a second instance of that identifier and CloudWatch Logs a second group of that name anyway.
 */
function claimNamespace(self: DatabaseAlarms, logGroup: logs.ILogGroup): void {
  const name = literalLogGroupName(logGroup);
  watchedLogGroups.set(self, name);
  const first = claimOnce(self, 'DatabaseAlarms.metricNamespace', self.metricNamespace);
  if (first === undefined) return;
  const firstAlarms = self.node.root.node.findAll().find((c) => c.node.path === first);
  if (name !== undefined && firstAlarms !== undefined && watchedLogGroups.get(firstAlarms) === name) {
    const identifier = RDS_LOG_GROUP.exec(name)?.[1];
    throw new Error(
      `DatabaseAlarms: ${self.node.path} and ${first} both watch the log group ${name} in the same account and region${identifier ? `, so both are for the database identifier "${identifier}"` : ''}. ` +
        'Two databases of one identifier cannot exist there (RDS refuses the second instance or cluster, and CloudWatch Logs a second log group of that name), and one database needs one DatabaseAlarms. ' +
        'Give each stage its own identifier (stacks: "instanceIdentifier" or "clusterIdentifier", context schemaguard:instanceIdentifier, default schemaguard-<stage>-<databaseName>), and its log group and namespace follow; ' +
        'another "metricNamespace" alone would not help: the second deploy would still fail on the identifier',
    );
  }
  throw new Error(
    `DatabaseAlarms: ${self.node.path} would publish its error metrics to namespace "${self.metricNamespace}", which ${first} already does in the same account and region: each would page for the other's errors. Give each database its own: pass "metricNamespace" (stacks: "metricNamespace"), or "databaseIdentifier", or put one DatabaseAlarms on each log group`,
  );
}

/**
 * The paging topic and the ticket topic, each the given one or a new one
 * (both encrypted with one key), with their optional email and HTTPS
 * subscriptions. The paging topic's ids (`TopicKey`, `Topic`,
 * `EmailSubscription`, `HttpsSubscription`) are those of the single topic
 * of before, so a deployed stack keeps them.
 */
function alarmTopics(scope: DatabaseAlarms, props: DatabaseAlarmsProps): { key?: kms.IKey; topic: sns.ITopic; ticketTopic: sns.ITopic } {
  // One key for the topics made here, made with the first of them (none when both are given).
  let key: kms.IKey | undefined;
  const ownKey = (): kms.IKey => (key ??= topicKeyOf(scope, props.topicKey, props.topicKeyRemovalPolicy));
  const topic = props.topic ?? ownTopic(scope, 'Topic', 'schemaguard database alarms', ownKey());
  const ticketTopic = props.ticketTopic ?? ownTopic(scope, 'TicketTopic', 'schemaguard database tickets', ownKey());
  subscribe(scope, '', topic, props.alarmEmail, props.alarmHttpsUrl);
  subscribe(scope, 'Ticket', ticketTopic, ticketEmailOf(props), props.ticketHttpsUrl);
  return { key, topic, ticketTopic };
}

/**
 * The email the ticket topic sends to: `ticketEmail`; else, when tickets
 * have no destination of their own, the paging email, as before the two
 * topics (a mailbox is not a pager: only an HTTPS endpoint, PagerDuty's,
 * is kept to pages).
 */
function ticketEmailOf(props: DatabaseAlarmsProps): string | undefined {
  const own = props.ticketTopic !== undefined || props.ticketEmail !== undefined || props.ticketHttpsUrl !== undefined;
  return own ? props.ticketEmail : props.alarmEmail;
}

/** The email and HTTPS subscriptions of one topic, `<prefix>EmailSubscription` and `<prefix>HttpsSubscription`. */
function subscribe(scope: DatabaseAlarms, prefix: string, topic: sns.ITopic, email: string | undefined, httpsUrl: string | undefined): void {
  if (email !== undefined) {
    new sns.Subscription(scope, `${prefix}EmailSubscription`, { topic, protocol: sns.SubscriptionProtocol.EMAIL, endpoint: email });
  }
  if (httpsUrl !== undefined) {
    // sns.Subscription rather than UrlSubscription: the latter refuses a dynamic reference string.
    new sns.Subscription(scope, `${prefix}HttpsSubscription`, { topic, protocol: sns.SubscriptionProtocol.HTTPS, endpoint: httpsUrl });
  }
}

/**
 * The key given, or a new one; either way CloudWatch may use it (an imported
 * key's policy cannot be changed here) — for alarms of this account and
 * region only: `aws:SourceAccount` and `aws:SourceArn` keep another account's
 * alarms from using the key through CloudWatch (the confused deputy).
 */
function topicKeyOf(scope: DatabaseAlarms, topicKey: kms.IKey | undefined, removalPolicy: RemovalPolicy = RemovalPolicy.RETAIN): kms.IKey {
  const key =
    topicKey ??
    new kms.Key(scope, 'TopicKey', {
      description: 'Encrypts the schemaguard database alarm topic',
      enableKeyRotation: true,
      removalPolicy,
      ...(removalPolicy === RemovalPolicy.DESTROY ? { pendingWindow: Duration.days(7) } : {}),
    });
  // CloudWatch publishes to an encrypted topic only when the key lets it.
  const stack = Stack.of(scope);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsOfThisAccount',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: {
          'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
        },
      },
    }),
  );
  return key;
}

/** An encrypted, TLS-only topic. */
function ownTopic(scope: DatabaseAlarms, id: string, displayName: string, key: kms.IKey): sns.Topic {
  return new sns.Topic(scope, id, { displayName, masterKey: key, enforceSSL: true });
}

/**
 * Warns when pages have a destination and tickets none (pages go to an
 * HTTPS endpoint or a topic of the caller's, no email): the ticket alarms
 * publish to a topic created here that nothing subscribes to (tickets must
 * not page: a duplicate key, a deploy's retried lock timeout), and the
 * warning says where to send them. Acknowledge it when the ticket topic is
 * subscribed to some other way.
 */
function warnTicketsWithoutDestination(scope: DatabaseAlarms, props: DatabaseAlarmsProps, classes: readonly ErrorClass[]): void {
  const tickets = classes.filter((c) => c.severity === 'ticket').map((c) => c.id);
  const pagesRouted = props.topic !== undefined || props.alarmEmail !== undefined || props.alarmHttpsUrl !== undefined;
  const ticketsRouted = props.ticketTopic !== undefined || ticketEmailOf(props) !== undefined || props.ticketHttpsUrl !== undefined;
  if (tickets.length === 0 || !pagesRouted || ticketsRouted) return;
  Annotations.of(scope).addWarningV2(
    'schemaguard:ticketsWithoutDestination',
    `the ${plural(tickets.length, 'ticket alarm')} (${tickets.join(', ')}) publish to the ticket topic ${scope.ticketTopic.node.path}, which nothing subscribes to here: ` +
      'they open no ticket and never page (their state shows on the dashboard); pages go to the paging topic as before. ' +
      'Give tickets a destination: "ticketEmail" or "ticketHttpsUrl" (stacks: "alarmTicketEmail", "alarmTicketHttpsUrl"; app: -c schemaguard:alarmTicketEmail=… or -c schemaguard:alarmTicketHttpsUrl=…), or "ticketTopic" (stacks: "alarmTicketTopic"; the paging topic itself to receive them there, marked [TICKET]). ' +
      'Acknowledge this warning when the ticket topic is subscribed to some other way.',
  );
}

/** One catalog class: the metric filter on its ERROR lines, the alarm carrying its runbook (and `action`, unless held back), its saved query. */
function errorClassAlarm(
  scope: DatabaseAlarms,
  cls: ErrorClass,
  props: DatabaseAlarmsProps,
  action: cloudwatch.IAlarmAction | undefined,
): { cls: ErrorClass; filter: logs.MetricFilter; alarm: cloudwatch.Alarm } {
  const cid = pascal(cls.id);
  const filter = new logs.MetricFilter(scope, `${cid}Filter`, {
    logGroup: props.logGroup,
    filterPattern: logs.FilterPattern.literal(filterPatternFor(cls, ERROR_CATALOG, props.ignoredUsers ?? [`${GUARD_ROLE_PREFIX}*`])),
    metricNamespace: scope.metricNamespace,
    metricName: cls.metricName,
    metricValue: '1',
    unit: cloudwatch.Unit.COUNT,
  });
  // A held class's own alarm has no actions: its description names the composite alarm that pages (heldPages). Without a prefix
  // CloudFormation names it (stack, logical ID, a random suffix), unknown here: the construct id read as its name, which it is not.
  const pagedBy = action
    ? undefined
    : props.alarmNamePrefix
      ? `the composite alarm ${props.alarmNamePrefix}-page-${cls.id}-alone`
      : `the composite alarm of this stack whose description starts "[PAGE] PostgreSQL ${cls.title}"`;
  const description = checkedDescription(
    `the runbook of error class "${cls.id}"`,
    alarmDescriptionFor(cls, props.queryFolder, pagedBy),
    {},
    'Shorten its meaning or fix in lib/alarms/error-catalog.ts',
  );
  const alarm = alarmOnce(scope, `${cid}Alarm`, action, {
    alarmName: props.alarmNamePrefix ? `${props.alarmNamePrefix}-${cls.severity}-${cls.id}` : undefined,
    alarmDescription: description,
    // No label: a labelled metric renders as a metric-math `Metrics` array instead of the plain form.
    metric: filter.metric({ statistic: cloudwatch.Stats.SUM, period: PERIOD }),
  });
  savedQuery(scope, `${cid}Query`, props, savedQueryNameFor(cls, props.queryFolder), insightsQueryFor(cls));
  return { cls, filter, alarm };
}

/**
 * An alarm that fires on the first datapoint at or above 1 in a period, treats
 * missing data as fine, and notifies `action` when it fires and when it clears
 * (after QUIET_MINUTES without one: one datapoint out of that many periods).
 * Out of one period, a client that fails every few minutes (a worker's retry,
 * a cron) raised and cleared the alarm at each failure: a new page each time,
 * each "resolved" a minute later while the failures went on.
 */
function alarmOnce(
  scope: Construct,
  id: string,
  action: cloudwatch.IAlarmAction | undefined,
  props: Pick<cloudwatch.AlarmProps, 'alarmName' | 'alarmDescription' | 'metric'>,
): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    ...props,
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: QUIET_MINUTES,
    datapointsToAlarm: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  if (action) {
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
  return alarm;
}

/**
 * How long a held page waits for another paging alarm to fire: the error
 * that aborted the transaction is logged first, but each alarm evaluates its
 * own minute, so the other may fire a minute after.
 */
const HOLD_WAIT = Duration.minutes(2);
/**
 * How long a held page stays held after the other alarms cleared: each alarm
 * clears QUIET_MINUTES after its own last datapoint, evaluated at its own
 * offset in the minute, and the 25P02 of an incident can land in the minute
 * after its cause's; 5 minutes keeps the end of one incident from paging.
 */
const HOLD_EXTENSION = Duration.minutes(5);

/** The paging classes that only follow another error, when another paging class is alarmed to hold them back. */
function heldBack(classes: readonly ErrorClass[]): Set<ErrorClass> {
  const pages = classes.filter((c) => c.severity === 'page');
  const causes = pages.filter((c) => !c.followsAnotherError);
  return new Set(causes.length === 0 ? [] : pages.filter((c) => c.followsAnotherError));
}

/**
 * A 25P02 is logged after the error that aborted the transaction (a 42P10,
 * which pages itself): each held class pages through a composite alarm of
 * its own alarm, whose actions CloudWatch suppresses while another paging
 * class's alarm is in ALARM (`ActionsSuppressor`), waiting HOLD_WAIT for one
 * to fire, and HOLD_EXTENSION after they clear before it pages alone.
 */
function heldPages(
  scope: DatabaseAlarms,
  perClass: { cls: ErrorClass; alarm: cloudwatch.Alarm }[],
  held: Set<ErrorClass>,
  props: DatabaseAlarmsProps,
  action: cloudwatch.IAlarmAction,
): { pages: Record<string, cloudwatch.CompositeAlarm>; suppressor?: cloudwatch.CompositeAlarm } {
  if (held.size === 0) return { pages: {} };
  const causes = perClass.filter(({ cls }) => cls.severity === 'page' && !held.has(cls));
  const heldTitles = [...held].map((c) => c.title).join(', ');
  const suppressor = new cloudwatch.CompositeAlarm(scope, 'OtherPagesAlarm', {
    compositeAlarmName: props.alarmNamePrefix ? `${props.alarmNamePrefix}-state-other-pages` : undefined,
    alarmDescription: `[STATE] In ALARM while any of these paging alarms is: ${causes.map(({ cls }) => cls.title).join(', ')}. No actions: it holds back the page of ${heldTitles}, which only follows another error (one incident, one page).`,
    alarmRule: cloudwatch.AlarmRule.anyOf(...causes.map(({ alarm }) => alarm)),
  });
  const pages = perClass
    .filter(({ cls }) => held.has(cls))
    .map(({ cls, alarm }) => {
      const page = new cloudwatch.CompositeAlarm(scope, `${pascal(cls.id)}Page`, {
        compositeAlarmName: props.alarmNamePrefix ? `${props.alarmNamePrefix}-page-${cls.id}-alone` : undefined,
        alarmDescription: alarmDescriptionFor(cls, props.queryFolder),
        alarmRule: cloudwatch.AlarmRule.fromAlarm(alarm, cloudwatch.AlarmState.ALARM),
        actionsSuppressor: suppressor,
        actionsSuppressorWaitPeriod: HOLD_WAIT,
        actionsSuppressorExtensionPeriod: HOLD_EXTENSION,
      });
      page.addAlarmAction(action);
      page.addOkAction(action);
      return [cls.id, page] as const;
    });
  return { pages: Object.fromEntries(pages), suppressor };
}

/** A saved Logs Insights query on the PostgreSQL log group, in the query folder. */
function savedQuery(scope: Construct, id: string, props: DatabaseAlarmsProps, name: string, queryString: string): logs.CfnQueryDefinition {
  return new logs.CfnQueryDefinition(scope, id, {
    name,
    queryString,
    logGroupNames: [props.logGroup.logGroupName],
  });
}

/** The saved queries that span classes: not-null violations with their statements, the relations that fail most. */
function addOverviewQueries(scope: Construct, props: DatabaseAlarmsProps): void {
  const folder = props.queryFolder ?? DEFAULT_QUERY_FOLDER;
  savedQuery(scope, 'NotNullWithStatementsQuery', props, `${folder}/Last not-null violations with their statements`, NOT_NULL_WITH_STATEMENTS_QUERY);
  savedQuery(scope, 'TopFailingRelationsQuery', props, `${folder}/Top failing relations`, TOP_FAILING_RELATIONS_QUERY);
}

/**
 * The Errors of the migration functions and their RollbackProblems (a
 * rollback's Update that met a failure and reported it rather than fail the
 * rollback), Sum per minute, added up; none without functions.
 */
function migrationErrorsMetric(functions: lambda.IFunction[]): cloudwatch.IMetric | undefined {
  const errors = (f: lambda.IFunction) => f.metricErrors({ statistic: cloudwatch.Stats.SUM, period: PERIOD });
  const rollbackProblems = (f: lambda.IFunction) =>
    new cloudwatch.Metric({
      namespace: ROLLBACK_METRIC.namespace,
      metricName: ROLLBACK_METRIC.name,
      dimensionsMap: { [ROLLBACK_METRIC.dimension]: f.functionName },
      statistic: cloudwatch.Stats.SUM,
      period: PERIOD,
    });
  if (functions.length === 0) return undefined;
  const metrics = functions.flatMap(
    (f, k) =>
      [
        [`e${k}`, errors(f)],
        [`r${k}`, rollbackProblems(f)],
      ] as const,
  );
  return new cloudwatch.MathExpression({
    expression: metrics.map(([id]) => `FILL(${id}, 0)`).join(' + '),
    usingMetrics: Object.fromEntries(metrics),
    label: 'Migration Lambda errors',
    period: PERIOD,
  });
}

/**
 * Where a function writes its logs: the log group of its logging
 * configuration (SchemaMigrations' `HandlerLogs`), else Lambda's default
 * `/aws/lambda/<function name>`.
 */
function functionLogGroupName(fn: lambda.IFunction): string {
  const cfn = fn.node.defaultChild;
  const config = cfn instanceof lambda.CfnFunction ? cfn.loggingConfig : undefined;
  const configured = config && !Tokenization.isResolvable(config) ? (config as lambda.CfnFunction.LoggingConfigProperty).logGroup : undefined;
  return configured ?? `/aws/lambda/${fn.functionName}`;
}

/** The page when a deploy's migration failed, with the runbook naming the handler's log group. */
function migrationErrorsAlarm(
  scope: Construct,
  props: DatabaseAlarmsProps,
  applying: lambda.IFunction,
  metric: cloudwatch.IMetric,
  action: cloudwatch.IAlarmAction,
): cloudwatch.Alarm {
  const logGroupName = props.migrationLogGroupName ?? functionLogGroupName(applying);
  const list = listTokens(logGroupName)[0];
  if (list !== undefined)
    throw new Error(
      `DatabaseAlarms: ${props.migrationLogGroupName === undefined ? "the migration function's log group name" : '"migrationLogGroupName"'} holds ${listTokenProblem(list)}, or pass the log group's name`,
    );
  const description = [
    '[PAGE] The schema-migration Lambda failed (Errors >= 1: a deploy could not apply or verify a fix; the stack rolled back) or a rollback went past a failure (RollbackProblems).',
    `Find: the log group ${logGroupName} and the stack events; the error names the migration file, line, SQLSTATE and PostgreSQL detail.`,
    'Fix: correct the migration (never edit an applied file: add a new one), or remove the data the check reported, then deploy again.',
    `Over: the alarm clears after ${QUIET_MINUTES} minutes without a failed invocation.`,
  ].join('\n');
  // Whatever of the name is known only at deploy time (a generated log group or function name) counts as a whole log group name at its longest.
  const atLongest = Object.fromEntries(stringTokens(logGroupName).map((token) => [token, LOG_GROUP_NAME_MAX]));
  return alarmOnce(scope, 'MigrationErrorsAlarm', action, {
    alarmName: props.alarmNamePrefix ? `${props.alarmNamePrefix}-page-migration-errors` : undefined,
    alarmDescription: checkedDescription("the migration alarm's runbook", description, atLongest, 'Pass a shorter "migrationLogGroupName"'),
    metric,
  });
}

/** The page when a fleet's rollout did not finish: its failed, timed-out and aborted executions; the runbook from the catalog. */
function fleetRolloutAlarm(scope: Construct, props: DatabaseAlarmsProps, rollout: FleetRollout, action: cloudwatch.IAlarmAction): cloudwatch.Alarm {
  const spec = FLEET_ROLLOUT_ALARM;
  return alarmOnce(scope, 'FleetRolloutAlarm', action, {
    alarmName: props.alarmNamePrefix ? `${props.alarmNamePrefix}-${spec.severity}-${spec.id}` : undefined,
    alarmDescription: checkedDescription("the fleet rollout alarm's runbook", deployAlarmDescription(spec), {}, 'Shorten FLEET_ROLLOUT_ALARM'),
    metric: rollout.metricFailedRollouts(PERIOD),
  });
}

/** CloudWatch Logs: a log group name has 1 to 512 characters. */
const LOG_GROUP_NAME_MAX = 512;

/** `description`, unless it could exceed CloudWatch's limit once deployed (each token at its longest value): then the error says which and how to shorten it. */
function checkedDescription(what: string, description: string, tokenMaxLengths: Readonly<Record<string, number>>, fix: string): string {
  const length = deployedLength(description, tokenMaxLengths);
  if (length > MAX_ALARM_DESCRIPTION_LENGTH) {
    throw new Error(
      `DatabaseAlarms: ${what} makes an alarm description of up to ${length} characters once deployed; CloudWatch allows ${MAX_ALARM_DESCRIPTION_LENGTH}. ${fix}`,
    );
  }
  return description;
}

interface DashboardContent {
  /** The error metrics of the alarmed classes of one severity. */
  metricsBySeverity: (severity: ErrorClass['severity']) => cloudwatch.IMetric[];
  alarms: cloudwatch.IAlarm[];
  migrationErrors?: cloudwatch.IMetric;
}

/**
 * Band 1: error counts that page and that open a ticket; band 2: every
 * alarm's state; then a row of the latest ERROR lines and the migration
 * errors. The bands take more widgets later (`DatabaseDashboard`).
 */
function alarmsDashboard(scope: Construct, props: DatabaseAlarmsProps, content: DashboardContent): DatabaseDashboard {
  const dashboard = new DatabaseDashboard(scope, 'Dashboard', { dashboardName: props.dashboardName });
  const graph = (severity: ErrorClass['severity']) => {
    const metrics = content.metricsBySeverity(severity);
    return metrics.length === 0
      ? []
      : [
          new cloudwatch.GraphWidget({
            title: severity === 'page' ? 'Errors that page (count per minute)' : 'Errors that open a ticket (count per minute)',
            left: metrics,
            width: 12,
            height: 6,
          }),
        ];
  };
  dashboard.addGraphs(...graph('page'), ...graph('ticket'));
  dashboard.addAlarmStates(new cloudwatch.AlarmStatusWidget({ title: 'Database alarms', alarms: content.alarms, width: 24, height: 4 }));
  const logWidgets: cloudwatch.IWidget[] = [
    new cloudwatch.LogQueryWidget({
      title: 'Latest PostgreSQL ERROR lines',
      logGroupNames: [props.logGroup.logGroupName],
      queryString: RECENT_ERRORS_QUERY,
      width: content.migrationErrors ? 16 : 24,
      height: 8,
    }),
  ];
  if (content.migrationErrors) {
    logWidgets.push(new cloudwatch.GraphWidget({ title: 'Migration Lambda errors', left: [content.migrationErrors], width: 8, height: 8 }));
  }
  dashboard.addWidgets(...logWidgets);
  return dashboard;
}

/** `not-null-violation` → `NotNullViolation`: construct ids from catalog ids. */
export function pascal(id: string): string {
  return id
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

/** The props of a plain kind, checked at run time (a JavaScript app, a value from context). */
const ALARMS_PROP_KINDS: Readonly<Record<string, PropKind>> = {
  migrationLogGroupName: 'string',
  alarmEmail: 'string',
  alarmHttpsUrl: 'string',
  ticketEmail: 'string',
  ticketHttpsUrl: 'string',
  databaseIdentifier: 'string',
  metricNamespace: 'string',
  errorClasses: 'strings',
  alarmNamePrefix: 'string',
  queryFolder: 'string',
  ignoredUsers: 'strings',
  dashboardName: 'string',
};

function validate(props: DatabaseAlarmsProps): readonly ErrorClass[] {
  refuseWrongKinds('DatabaseAlarms', props, ALARMS_PROP_KINDS);
  const fail = (msg: string): never => {
    throw new Error(`DatabaseAlarms: ${msg}`);
  };
  if (props.topic && props.ticketTopic && props.topicKey) {
    fail('"topicKey" encrypts the topics created here, and both "topic" and "ticketTopic" were given; remove topicKey (your topics keep their own encryption)');
  }
  checkEmail('alarmEmail', props.alarmEmail, fail);
  checkEmail('ticketEmail', props.ticketEmail, fail);
  checkHttpsUrl('alarmHttpsUrl', props.alarmHttpsUrl, fail);
  checkHttpsUrl('ticketHttpsUrl', props.ticketHttpsUrl, fail);
  const ns = props.metricNamespace;
  if (ns !== undefined && (!NAMESPACE.test(ns) || ns.startsWith('AWS/') || ns.startsWith(':'))) {
    fail(
      `"metricNamespace" must be 1-255 characters of letters, digits, . - _ / # : and not start with "AWS/" or ":", got ${JSON.stringify(ns)}; e.g. "${errorMetricNamespace('widgets-db')}"`,
    );
  }
  const ident = props.databaseIdentifier;
  if (ident !== undefined && (Token.isUnresolved(ident) || !/^[A-Za-z0-9.\-_#:]{1,63}$/.test(ident))) {
    fail(
      `"databaseIdentifier" must be the literal instance or cluster identifier (1-63 letters, digits, hyphens), got ${JSON.stringify(ident)}; it names the metrics' namespace at synth time` +
        (Token.isUnresolved(ident)
          ? ', and a generated identifier (db.instanceIdentifier without instanceIdentifier set) is known only at deploy time: give the instance or cluster an identifier, or pass "metricNamespace" instead'
          : ''),
    );
  }
  if (props.dashboardName !== undefined && !Token.isUnresolved(props.dashboardName) && !/^[A-Za-z0-9_-]{1,255}$/.test(props.dashboardName)) {
    fail(`"dashboardName" may contain only letters, digits, - and _ (1-255), got ${JSON.stringify(props.dashboardName)}`);
  }
  if (props.alarmNamePrefix !== undefined && !/^[A-Za-z0-9_.-]{1,100}$/.test(props.alarmNamePrefix)) {
    fail(`"alarmNamePrefix" may contain only letters, digits, . - and _ (1-100), got ${JSON.stringify(props.alarmNamePrefix)}`);
  }
  const badUser = props.ignoredUsers?.find((u) => !/^[^\s"':@*]{1,63}\*?$/.test(u));
  if (badUser !== undefined) {
    fail(
      `"ignoredUsers" names database users as the log prints them (1-63 characters, no space, quote, : or @; a final * for every name that starts so), got ${JSON.stringify(badUser)}`,
    );
  }
  if (props.queryFolder !== undefined && !/^[A-Za-z0-9_./ -]{1,100}$/.test(props.queryFolder)) {
    fail(`"queryFolder" may contain only letters, digits, space, . / - and _ (1-100), got ${JSON.stringify(props.queryFolder)}`);
  }
  if (props.errorClasses === undefined) return ERROR_CATALOG;
  if (props.errorClasses.length === 0) fail('"errorClasses" is empty; leave it unset to alarm on every class, or name at least one');
  const seen = new Set<string>();
  return props.errorClasses.map((id) => {
    if (seen.has(id)) fail(`"errorClasses" names "${id}" twice; list each class once`);
    seen.add(id);
    const cls = ERROR_CATALOG.find((c) => c.id === id);
    return cls ?? fail(`"errorClasses" names unknown class "${id}"; known: ${ERROR_CATALOG.map((c) => c.id).join(', ')}`);
  });
}

function checkEmail(prop: string, email: string | undefined, fail: (msg: string) => never): void {
  if (email !== undefined && !Token.isUnresolved(email) && !EMAIL.test(email)) {
    fail(`"${prop}" must be an email address, got ${JSON.stringify(email)}; pass an address such as oncall@example.com, or leave it unset`);
  }
}

function checkHttpsUrl(prop: string, url: string | undefined, fail: (msg: string) => never): void {
  if (url === undefined || Token.isUnresolved(url) || DYNAMIC_REFERENCE.test(url)) return;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed?.protocol !== 'https:') {
    fail(
      `"${prop}" must be an https:// URL or a {{resolve:secretsmanager:...}} dynamic reference, got ${JSON.stringify(urlWithoutPath(url))}; pass such a URL, or leave it unset`,
    );
  } else if (parsed.username || parsed.password) {
    fail(
      `"${prop}" must not carry credentials in the URL (got ${JSON.stringify(urlWithoutPath(url))}); keep them in Secrets Manager and pass a {{resolve:secretsmanager:...}} dynamic reference`,
    );
  }
}

/** What a database stack passes to `alarmsForStack`. */
export interface StackAlarmsOptions
  extends Pick<
    DatabaseAlarmsProps,
    'logGroup' | 'alarmEmail' | 'alarmHttpsUrl' | 'ticketEmail' | 'ticketHttpsUrl' | 'topic' | 'ticketTopic' | 'metricNamespace' | 'topicKeyRemovalPolicy'
  > {
  /** The custom resource's handlers and their log group, a fleet's rollout, and its backfills' workflow. */
  readonly migrations: {
    onEventHandler: lambda.IFunction;
    isCompleteHandler: lambda.IFunction;
    logGroup: logs.ILogGroup;
    fleetRollout?: FleetRollout;
    backfillWorkflow?: BackfillWorkflow;
  };
  /** Instance or cluster identifier: names the metrics' namespace, prefixes the alarm names and names the dashboard. */
  readonly name: string;
}

/** The alarms of a database stack (RDS or Aurora): its log group, both migration handlers, the subscriptions. */
export function alarmsForStack(scope: Construct, options: StackAlarmsOptions): DatabaseAlarms {
  return new DatabaseAlarms(scope, 'Alarms', {
    logGroup: options.logGroup,
    migrationFunctions: [options.migrations.onEventHandler, options.migrations.isCompleteHandler],
    migrationLogGroupName: options.migrations.logGroup.logGroupName,
    fleetRollout: options.migrations.fleetRollout,
    backfillWorkflow: options.migrations.backfillWorkflow,
    alarmEmail: options.alarmEmail,
    alarmHttpsUrl: options.alarmHttpsUrl,
    ticketEmail: options.ticketEmail,
    ticketHttpsUrl: options.ticketHttpsUrl,
    topic: options.topic,
    ticketTopic: options.ticketTopic,
    databaseIdentifier: options.name,
    metricNamespace: options.metricNamespace,
    topicKeyRemovalPolicy: options.topicKeyRemovalPolicy,
    alarmNamePrefix: options.name,
    dashboardName: options.name,
  });
}
