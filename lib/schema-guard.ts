/**
 * SchemaGuard: between deploys, a scheduled, read-only pass over the live
 * database — drift against the snapshot, the contracts, doctor's errors,
 * INVALID indexes, pending or unknown migrations — that publishes its counts
 * as CloudWatch metrics (embedded metric format, namespace
 * `Schemaguard/Schema`) and alarms on them.
 *
 * - The function is the migration handler's pre-built bundle (another export,
 *   `guard`) with the same files, so it checks exactly what was deployed.
 * - It reaches the database as the migrations do: from the VPC over TLS, or
 *   through the Data API on Aurora; it runs as a read-only role
 *   (`default_transaction_read_only = on`) whose generated secret only it and
 *   the migration handler may read. The migration handler creates or updates
 *   that role at deploy time (lib/guard-role.ts), or you give a role of your
 *   own (`roleSecret`).
 * - EventBridge invokes it every `schedule` (15 minutes by default).
 * - With `topic`, one alarm per metric (lib/alarms/guard-catalog.ts); with
 *   `dashboard`, its graphs and alarm states (beside and under the error
 *   classes' on DatabaseAlarms' dashboard).
 */
import { fleetEnvironment } from './fleet/fleet-rollout';
import { isAbsolute, relative, resolve } from 'node:path';
import { Annotations, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, type IConstruct } from 'constructs';
import {
  DEFAULTS,
  GUARD_DIMENSION,
  GUARD_HANDLER_NAME,
  GUARD_NAMESPACE,
  GUARD_ROLE_NAME_PATTERN,
  GUARD_ROLE_PREFIX,
  type GuardMetricName,
} from '../lambda/handler/constants';
import { contractEnvironment, type ContractInput } from '../lambda/handler/contract';
import { heapOptions } from '../lambda/handler/memory';
import { DEFAULT_STATE_SCHEMA } from '../lambda/engine/state/state';
import { addGuardWidgets, guardAlarms, guardDashboardWidgets } from './alarms/guard-alarms';
import { stringTokens } from './alarms/deployed-length';
import { GUARD_ALARMS, type GuardCommandOptions } from './alarms/guard-catalog';
import { defaultSnapshot } from './config/load';
import { projectConfigFor, USER_FILE_DEFAULTS } from './user-files';
import { defaultGuardRoleName, GuardRole } from './guard-role';
import { handlerCode } from './handler-asset';
import { acknowledge } from './nag';
import { refuseWrongKinds, type PropKind } from './prop-types';
import { claimOnce } from './synth-claims';
import { authEnvironment, grantIamConnect, proxyEnvironment, resolveAuth, type DatabaseAuth, type IamAuthenticationProps } from './database-auth';
import { databaseEndpoint, reachStatement, secretStatements, type MigrationsTarget, type SchemaMigrations } from './schema-migrations';
import { plural } from '../lambda/engine/errors/words';

export interface SchemaGuardProps {
  /**
   * The migrations of the database to guard: the guard checks their files
   * (migrations, contracts, snapshot), reaches the database the way they do
   * (`database` + `vpc`, or `dataApiCluster`), and their handler creates the
   * guard's role.
   */
  readonly migrations: SchemaMigrations;
  /**
   * How often the guard runs: whole minutes, from 1 minute to 24 hours.
   * @default Duration.minutes(15)
   */
  readonly schedule?: Duration;
  /**
   * The read-only role the guard runs as (a lowercase PostgreSQL identifier).
   * A role belongs to the whole instance: two guards on one instance need two
   * roles, or each deploy would set the other's password from its own secret
   * (synth refuses two guards of one app that would create the same role on
   * the same database construct).
   * @default - `schemaguard_guard_<databaseName>`, one role per database (see defaultGuardRoleName)
   */
  readonly roleName?: string;
  /**
   * Raise it (any integer, e.g. 1, then 2) to make the next deploy set the
   * role again from its secret: its password, its read-only default and its
   * grants. The role resource runs only when its properties change — when it
   * is created, and when the migrations, the role name or the privileges
   * change — so a plain redeploy resets nothing; this is the fix when the
   * guard's password is refused (28P01: the role's password was changed by
   * hand, or the secret was given a new value).
   * @default - no revision
   */
  readonly roleRevision?: number;
  /**
   * The secret of a role you created yourself (`username`, `password`; see
   * the guide "The guard", section "The role to grant", for its GRANTs): the guard runs as it and no role is created.
   * @default - a generated secret for `roleName`; the migration handler creates or updates the role at every deploy that changes the migrations
   */
  readonly roleSecret?: secretsmanager.ISecret;
  /**
   * IAM database authentication: the guard runs as this database user of
   * your own (read-only, granted `rds_iam`; see the guide "IAM database
   * authentication") with a token signed per connection; no role is created
   * and no secret read: the function's role gets `rds-db:connect` on that
   * user of the migrations' database only. Not with `roleSecret`, nor over the Data API.
   * @default - a secret: `roleSecret`, or the generated role's
   */
  readonly iamAuthentication?: IamAuthenticationProps;
  /**
   * The instance or cluster identifier: the `DatabaseIdentifier` dimension of
   * the metrics, and named in the runbooks.
   * @default - the identifier of the migrations' `database` or `dataApiCluster` (an rds instance or cluster)
   */
  readonly databaseIdentifier?: string;
  /**
   * The database guarded: the `DatabaseName` dimension.
   * @default - the migrations' `databaseName`
   */
  readonly databaseName?: string;
  /**
   * The paging topic: the page alarms' alarm and OK actions (DatabaseAlarms' `topic`).
   * @default - no alarms
   */
  readonly topic?: sns.ITopic;
  /**
   * The ticket topic: the ticket alarms' alarm and OK actions
   * (DatabaseAlarms' `ticketTopic`). Pass `topic` itself to have tickets
   * arrive there, told apart by `[TICKET]` in their description and
   * `-ticket-` in their name.
   * @default - the ticket alarms have no actions (their state shows on the dashboard), and synth warns (`schemaguard:ticketsWithoutDestination`)
   */
  readonly ticketTopic?: sns.ITopic;
  /**
   * A dashboard for the guard's graphs (findings that page, findings that
   * open a ticket, failed runs) and its alarms' states. On DatabaseAlarms'
   * dashboard (a `DatabaseDashboard`) the graphs sit beside the error-class
   * graphs and the states under theirs, above the log widgets; on any other,
   * they are two rows at its foot.
   * @default - no widgets
   */
  readonly dashboard?: cloudwatch.Dashboard;
  /**
   * Prefix of the alarm names: `<prefix>-<severity>-<alarm id>`.
   * @default - names generated by CloudFormation
   */
  readonly alarmNamePrefix?: string;
  /**
   * CloudWatch namespace of the metrics.
   * @default 'Schemaguard/Schema'
   */
  readonly metricNamespace?: string;
  /**
   * Timeout of one guard run.
   * @default Duration.minutes(1)
   */
  readonly timeout?: Duration;
  /**
   * Memory of the function (MB).
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Removal policy of that log group.
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

export { GUARD_ROLE_PREFIX };

/** The props of a plain kind, checked at run time (a JavaScript app, a value from context). */
const GUARD_PROP_KINDS: Readonly<Record<string, PropKind>> = {
  schedule: 'duration',
  timeout: 'duration',
  roleName: 'string',
  roleRevision: 'number',
  databaseIdentifier: 'string',
  databaseName: 'string',
  alarmNamePrefix: 'string',
  metricNamespace: 'string',
  memorySize: 'number',
};

/**
 * A scheduled, read-only guard of the live schema, with metrics and alarms.
 *
 * @example
 * const guard = new SchemaGuard(this, 'Guard', {
 *   migrations,                      // the SchemaMigrations of the database
 *   topic: alarms.topic,             // page alarms
 *   ticketTopic: alarms.ticketTopic, // ticket alarms
 *   dashboard: alarms.dashboard,
 * });
 */
export class SchemaGuard extends Construct {
  /** The scheduled function (the handler bundle's `guard` export). */
  readonly function: lambda.Function;
  readonly logGroup: logs.LogGroup;
  /** The EventBridge rule that invokes it. */
  readonly rule: events.Rule;
  /** How often it runs. */
  readonly schedule: Duration;
  /** The secret the guard runs with (`roleSecret`, or the generated one). */
  readonly roleSecret?: secretsmanager.ISecret;
  /** How the guard authenticates: the role's secret, or IAM. */
  readonly auth: DatabaseAuth;
  /** The role resource, when the role is created here (no `roleSecret`, no `iamAuthentication`). */
  readonly role?: GuardRole;
  /** The function's security group (none through the Data API). */
  readonly securityGroup?: ec2.SecurityGroup;
  /** Alarm per GUARD_ALARMS id (empty without `topic`). */
  readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;
  readonly metricNamespace: string;
  /** The values of the DatabaseIdentifier and DatabaseName dimensions. */
  readonly dimensions: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: SchemaGuardProps) {
    super(scope, id);
    refuseWrongKinds('SchemaGuard', props, GUARD_PROP_KINDS);
    const settings = resolveGuardSettings(props);
    this.schedule = settings.schedule;
    this.metricNamespace = settings.namespace;
    this.dimensions = { [GUARD_DIMENSION.databaseIdentifier]: settings.databaseIdentifier, [GUARD_DIMENSION.databaseName]: settings.databaseName };
    const target = props.migrations.target;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    const ownRole = props.roleSecret !== undefined || props.iamAuthentication !== undefined;
    this.role = ownRole ? undefined : new GuardRole(this, 'Role', { migrations: props.migrations, roleName: settings.roleName, revision: props.roleRevision });
    this.roleSecret = props.roleSecret ?? this.role?.secret;
    this.auth = resolveAuth('SchemaGuard', {
      secret: this.roleSecret,
      secretProp: 'roleSecret',
      iamAuthentication: props.iamAuthentication,
      dataApi: target.kind === 'data-api',
    });
    this.securityGroup = target.kind === 'connection' ? guardSecurityGroup(this, target, this.auth) : undefined;
    const functionRole = guardFunctionRole(this, target, this.auth);
    props.migrations.allowFleetRegistry(functionRole, this.securityGroup, 'guard', this.auth);
    this.function = this.guardFunction(props, settings, target, functionRole);
    // Its secret is read by this function and the one that sets the role, no other principal.
    this.role?.limitReaders(functionRole);
    // The role exists before the first run (and the function's first run waits for nothing else).
    if (this.role) this.function.node.addDependency(this.role.resource);
    this.rule = new events.Rule(this, 'Schedule', {
      description: `schemaguard: runs the schema guard every ${describeInterval(this.schedule)}`,
      schedule: events.Schedule.rate(this.schedule),
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 2, maxEventAge: this.schedule })],
    });
    this.alarms = props.topic
      ? guardAlarms(this, {
          metric: (name) => this.metric(name),
          topic: props.topic,
          ticketTopic: props.ticketTopic,
          alarmNamePrefix: props.alarmNamePrefix,
          runbook: {
            database: `${settings.databaseIdentifier}/${settings.databaseName}`,
            ...shownLogGroup(this.logGroup),
            interval: describeInterval(this.schedule),
            command: guardCommandOptions(props.migrations),
            tokenMaxLengths: runbookTokenMaxima(settings, props.migrations.target),
          },
        })
      : {};
    if (props.topic && !props.ticketTopic) warnTicketsWithoutTopic(this);
    if (props.dashboard)
      addGuardWidgets(
        props.dashboard,
        guardDashboardWidgets((name) => this.metric(name), Object.values(this.alarms)),
      );
    acknowledgeGuardFindings(this);
    if (this.role) claimRole(this, settings, props.migrations);
  }

  /** A guard metric: its Maximum per schedule interval, with this database's dimensions. */
  public metric(name: GuardMetricName): cloudwatch.Metric {
    // No label: a labelled metric renders as a metric-math `Metrics` array in an alarm instead of the plain form.
    return new cloudwatch.Metric({
      namespace: this.metricNamespace,
      metricName: name,
      dimensionsMap: { ...this.dimensions },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: this.schedule,
    });
  }

  private guardFunction(props: SchemaGuardProps, settings: GuardSettings, target: MigrationsTarget, role: iam.IRole): lambda.Function {
    return new lambda.Function(this, 'Function', {
      code: handlerCode(props.migrations.userFiles),
      handler: `index.${GUARD_HANDLER_NAME}`,
      // The bundle targets node22 (scripts/build-handler.mjs).
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: settings.memorySize,
      timeout: settings.timeout,
      role,
      ...(this.securityGroup && target.kind === 'connection' ? { vpc: target.vpc, vpcSubnets: target.vpcSubnets, securityGroups: [this.securityGroup] } : {}),
      logGroup: this.logGroup,
      // A failed run is reported as a metric, never retried: the next scheduled run comes soon enough.
      retryAttempts: 0,
      environment: guardEnvironment(props, settings, target, this.auth),
      description: 'schemaguard: the scheduled read-only schema guard',
    });
  }
}

/** The props with their defaults, checked. */
interface GuardSettings {
  schedule: Duration;
  roleName: string;
  databaseIdentifier: string;
  databaseName: string;
  namespace: string;
  timeout: Duration;
  memorySize: number;
}

function resolveGuardSettings(props: SchemaGuardProps): GuardSettings {
  const fail = (msg: string): never => {
    throw new Error(`SchemaGuard: ${msg}`);
  };
  const schedule = props.schedule ?? Duration.minutes(15);
  const minutes = concreteSeconds(schedule, 'schedule') / 60;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 24 * 60) {
    fail(`"schedule" is ${schedule.toHumanString()}; use whole minutes from 1 minute to 24 hours (an EventBridge rate; the health alarm spans two intervals)`);
  }
  if (props.roleName !== undefined && props.roleSecret)
    fail('"roleName" names the role created here, and "roleSecret" was given (your own role); remove roleName');
  if (props.roleRevision !== undefined && props.roleSecret)
    fail('"roleRevision" sets the role created here again, and "roleSecret" was given (your own role, which is never set); remove roleRevision');
  if (props.roleRevision !== undefined && (!Number.isInteger(props.roleRevision) || props.roleRevision < 0))
    fail(`"roleRevision" is ${props.roleRevision}; use a whole number from 0, and raise it to set the role again from its secret`);
  const databaseName =
    props.databaseName ??
    props.migrations.databaseName ??
    fail(
      'the database name is not known: the migrations take it from their secret at run time, but the metrics\' DatabaseName dimension is fixed at synth time; pass "databaseName" (here or to SchemaMigrations)',
    );
  if (props.roleName === undefined && !props.roleSecret && Token.isUnresolved(databaseName))
    fail('"databaseName" is known only at deploy time, and it names the guard\'s default role; pass "roleName"');
  const roleName = props.roleName ?? defaultGuardRoleName(databaseName);
  if (!GUARD_ROLE_NAME_PATTERN.test(roleName))
    fail(
      `"roleName" ${JSON.stringify(roleName)} is not a lowercase PostgreSQL identifier; use 1 to 63 lowercase letters, digits or _, starting with a letter or _`,
    );
  const timeout = props.timeout ?? Duration.minutes(1);
  const timeoutS = concreteSeconds(timeout, 'timeout');
  if (timeoutS < 10 || timeoutS > Math.min(900, minutes * 60))
    fail(`"timeout" is ${timeoutS} s; use 10 s up to the schedule (${minutes * 60} s) and at most 900 s`);
  const memorySize = props.memorySize ?? 256;
  if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10240) fail(`"memorySize" is ${memorySize}; use an integer from 128 to 10240 (MB)`);
  const namespace = props.metricNamespace ?? GUARD_NAMESPACE;
  if (!/^[A-Za-z0-9.\-_/#:]{1,255}$/.test(namespace) || namespace.startsWith('AWS/'))
    fail(
      `"metricNamespace" ${JSON.stringify(namespace)} is not a CloudWatch namespace; use 1-255 letters, digits or . - _ / # :, not starting with "AWS/" (e.g. "${GUARD_NAMESPACE}")`,
    );
  const databaseIdentifier =
    props.databaseIdentifier ??
    identifierOf(props.migrations.target) ??
    fail(
      '"databaseIdentifier" is not set and the migrations\' database is not an rds.DatabaseInstance or DatabaseCluster; pass the instance or cluster identifier',
    );
  if (props.databaseIdentifier !== undefined && !Token.isUnresolved(props.databaseIdentifier)) checkIdentifier(props.databaseIdentifier, fail);
  return { schedule, roleName, databaseIdentifier, databaseName, namespace, timeout, memorySize };
}

/**
 * An RDS instance or cluster identifier as RDS takes it: 1 to 63 letters,
 * digits or hyphens, a letter first, no hyphen last or twice in a row; RDS
 * stores it in lower case, and so names its log group and metrics.
 */
function checkIdentifier(id: string, fail: (message: string) => never): void {
  if (id.length >= 1 && id.length <= 63 && /^[A-Za-z](?:-?[A-Za-z0-9])*$/.test(id)) {
    if (id !== id.toLowerCase()) fail(`"databaseIdentifier" ${JSON.stringify(id)} is not as RDS stores it; write it in lower case: "${id.toLowerCase()}"`);
    return;
  }
  fail(
    `"databaseIdentifier" ${JSON.stringify(id)} is not an RDS instance or cluster identifier; use 1 to 63 letters, digits or hyphens, a letter first, no hyphen last or two in a row (the identifier the console shows)`,
  );
}

/**
 * Refuses a second guard of the app that would create the same role on the
 * same database construct (in the same account and region): both secrets
 * would set one role's password, the last deploy would win, and the other
 * guard would fail with 28P01 on every run.
 */
function claimRole(self: SchemaGuard, settings: GuardSettings, migrations: SchemaMigrations): void {
  // The identifier: literal for an instance or cluster with a name (also one imported twice), else the one token of that construct.
  const target = migrations.target;
  const construct = (target.kind === 'data-api' ? target.cluster : target.database) as Partial<IConstruct>;
  // Compared where the database is: two guards of one instance clash whatever stacks they are in.
  const first = claimOnce(
    self,
    'SchemaGuard.roleName',
    `${settings.databaseIdentifier}\u0000${settings.roleName}`,
    construct.node ? (construct as IConstruct) : self,
  );
  if (first === undefined) return;
  const database = !Token.isUnresolved(settings.databaseIdentifier)
    ? settings.databaseIdentifier
    : (construct.node?.path ?? `the database of ${migrations.node.path}`);
  throw new Error(
    `SchemaGuard: ${self.node.path} and ${first} would both create the role "${settings.roleName}" on ${database}, each with a secret of its own; PostgreSQL roles belong to the whole instance, so each deploy would set the other's password and that guard would fail (28P01) on every run. Give one of them another "roleName", or leave roleName unset on both: the default, schemaguard_guard_<databaseName>, is one role per database`,
  );
}

function concreteSeconds(d: Duration, prop: string): number {
  const seconds = d.toSeconds({ integral: false });
  if (Token.isUnresolved(seconds)) throw new Error(`SchemaGuard: "${prop}" must be a concrete duration, not a token`);
  return seconds;
}

/**
 * The options the runbooks' first command needs to check what the guard
 * checks: the migrations' state schema, and the files where the checkout
 * has them (relative to the directory the app was synthesized from), when
 * they are not the CLI's defaults and are inside that directory.
 */
function guardCommandOptions(migrations: SchemaMigrations): GuardCommandOptions {
  const { migrationsDir, contractsDir, snapshotFile } = migrations.userFiles;
  const cwd = process.cwd();
  // The CLI in the checkout reads the same project file: what it sets, or defaults to, needs no flag.
  const { settings, root } = projectConfigFor('SchemaGuard', cwd);
  const fromHere = (path: string) => relative(cwd, path) || '.';
  const byDefault = {
    migrations: fromHere(settings.migrations ?? resolve(root, USER_FILE_DEFAULTS.migrationsDir)),
    contracts: fromHere(settings.contracts ?? resolve(root, USER_FILE_DEFAULTS.contractsDir)),
  };
  // A path outside the app's directory is the synth machine's own, not the checkout's: left out.
  const unlessDefault = (path: string | undefined, otherwise: string) => {
    const shown = path === undefined ? undefined : fromHere(path);
    return shown === otherwise || shown === undefined || shown.startsWith('..') || isAbsolute(shown) ? undefined : shown;
  };
  const shownMigrations = unlessDefault(migrationsDir, byDefault.migrations);
  const stateSchemaByDefault = settings.stateSchema ?? DEFAULT_STATE_SCHEMA;
  return {
    stateSchema: migrations.stateSchema === stateSchemaByDefault ? undefined : migrations.stateSchema,
    migrationsDir: shownMigrations,
    contractsDir: unlessDefault(contractsDir, byDefault.contracts),
    // The CLI's default follows --dir: the snapshot beside the migrations.
    snapshotFile: unlessDefault(
      snapshotFile,
      settings.snapshot && !shownMigrations ? fromHere(settings.snapshot) : defaultSnapshot(shownMigrations ?? byDefault.migrations),
    ),
  };
}

/**
 * The longest values of what the runbooks may name only as a token: an RDS
 * instance or Aurora cluster identifier has 1 to 63 characters, a PostgreSQL
 * database name at most 63 (RDS: 1 to 63 letters, digits or _; PostgreSQL:
 * NAMEDATALEN - 1 bytes).
 */
const RUNBOOK_TOKEN_MAXIMA = { databaseIdentifier: 63, databaseName: 63 } as const;

/** Each token of the identifier and the database name, at its longest value. */
function runbookTokenMaxima(settings: GuardSettings, target: MigrationsTarget): Record<string, number> {
  const identifier = settings.databaseIdentifier === identifierOf(target) ? setIdentifier(target)?.length : undefined;
  return Object.fromEntries([
    ...stringTokens(settings.databaseIdentifier).map((token) => [token, identifier ?? RUNBOOK_TOKEN_MAXIMA.databaseIdentifier] as const),
    ...stringTokens(settings.databaseName).map((token) => [token, RUNBOOK_TOKEN_MAXIMA.databaseName] as const),
  ]);
}

/** The identifier the instance or cluster of this app sets at synth (its Ref resolves to it, lowercased); undefined when CloudFormation makes one. */
function setIdentifier(target: MigrationsTarget): string | undefined {
  const construct = (target.kind === 'data-api' ? target.cluster : target.database) as Partial<IConstruct>;
  const cfn = construct.node?.defaultChild as { dbInstanceIdentifier?: unknown; dbClusterIdentifier?: unknown } | undefined;
  const set = cfn?.dbInstanceIdentifier ?? cfn?.dbClusterIdentifier;
  return typeof set === 'string' && !Token.isUnresolved(set) ? set : undefined;
}

/** `15 minutes`, `1 hour`: the schedule in the words of the runbooks. */
function describeInterval(d: Duration): string {
  const minutes = d.toMinutes();
  return minutes % 60 === 0 ? plural(minutes / 60, 'hour') : plural(minutes, 'minute');
}

/** The instance or cluster identifier, when the migrations' database is an rds instance or cluster. */
function identifierOf(target: MigrationsTarget): string | undefined {
  if (target.kind === 'data-api') return target.cluster.clusterIdentifier;
  const db = target.database as Partial<rds.IDatabaseInstance & rds.IDatabaseCluster>;
  return db.instanceIdentifier ?? db.clusterIdentifier;
}

/** The guard's environment: its secret, the database, where its files are, the metrics' namespace and dimensions. No secret value. */
function guardEnvironment(props: SchemaGuardProps, settings: GuardSettings, target: MigrationsTarget, auth: DatabaseAuth): Record<string, string> {
  return {
    ...contractEnvironment({
      ...authEnvironment(auth),
      databaseName: settings.databaseName,
      migrationsDir: DEFAULTS.migrationsDir,
      migrationsLayout: props.migrations.userFiles.migrationsLayout,
      contractsDir: DEFAULTS.contractsDir,
      snapshotFile: props.migrations.userFiles.snapshotFile ? DEFAULTS.snapshotFile : '',
      // One retry: a run that cannot connect is reported, and the next run comes soon.
      connectAttempts: 2,
      guardNamespace: settings.namespace,
      guardDatabaseIdentifier: settings.databaseIdentifier,
      // The migrations' own state table (their stateSchema), which the guard reads for pending migrations.
      ...(props.migrations.stateSchema === DEFAULT_STATE_SCHEMA ? {} : { stateSchema: props.migrations.stateSchema }),
      ...guardTarget(props, target),
    }),
    // A fleet: every tenant is checked (lambda/checks/guard/fleet.ts).
    ...fleetEnvironment(props.migrations.fleet),
    // V8's heap sized by the function's memory, as the migrations' handler's: the guard peaked at 185 MB in 256 MB on a 3,000-table catalog.
    NODE_OPTIONS: heapOptions(settings.memorySize),
  };
}

/** The cluster for the Data API; else the database's endpoint, or the proxy's. */
function guardTarget(props: SchemaGuardProps, target: MigrationsTarget): ContractInput {
  if (target.kind === 'data-api') return { clusterArn: target.cluster.clusterArn };
  const endpoint = databaseEndpoint(target.database);
  const proxy = proxyEnvironment(target.database);
  if (!endpoint && !proxy && !props.roleSecret) {
    throw new Error(
      'SchemaGuard: the migrations\' database is not an rds.DatabaseInstance, DatabaseCluster or DatabaseProxy, so its host is unknown; pass "roleSecret" with host and port',
    );
  }
  return { ...(endpoint ? { host: endpoint.host, port: endpoint.port } : {}), ...proxy };
}

/** The guard's group: egress to the database port and to Secrets Manager only; the database's group admits it. */
function guardSecurityGroup(scope: Construct, target: Extract<MigrationsTarget, { kind: 'connection' }>, auth: DatabaseAuth): ec2.SecurityGroup {
  const securityGroup = new ec2.SecurityGroup(scope, 'SecurityGroup', {
    vpc: target.vpc,
    description: 'schemaguard guard: reaches the database port and Secrets Manager only',
    allowAllOutbound: false,
  });
  securityGroup.connections.allowTo(target.database, target.port, 'schemaguard guard to the database');
  // A token is signed locally: with IAM authentication nothing else is reached.
  if (auth.kind === 'iam') return securityGroup;
  if (target.secretsManagerEndpoint) {
    securityGroup.connections.allowTo(target.secretsManagerEndpoint, ec2.Port.tcp(443), 'schemaguard guard to Secrets Manager');
  } else {
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'schemaguard guard to Secrets Manager (HTTPS)');
  }
  return securityGroup;
}

/** The function's role: its own logs, the network interfaces (in a VPC) or the Data API on the one cluster, the guard's secret. */
function guardFunctionRole(self: SchemaGuard, target: MigrationsTarget, auth: DatabaseAuth): iam.Role {
  const role = new iam.Role(self, 'FunctionRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: "schemaguard guard: its own logs, its database path, and the guard role's secret only",
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ sid: 'OwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [self.logGroup.logGroupArn] }),
  );
  role.addToPrincipalPolicy(reachStatement(target));
  if (auth.kind === 'iam') grantIamConnect('SchemaGuard', target.kind === 'connection' ? target.database : undefined, role, auth.username);
  else for (const statement of secretStatements(auth.secret, Stack.of(self).region, 'GuardRole')) role.addToPrincipalPolicy(statement);
  return role;
}

/** cdk-nag findings of the guard that are accepted, with their reasons. */
function acknowledgeGuardFindings(self: SchemaGuard): void {
  acknowledge(
    self.function,
    'AwsSolutions-L1',
    'Pinned to Node.js 22 on purpose: the guard is the handler bundle, which targets node22 and is tested on it; moving to a newer runtime is a deliberate change.',
  );
  if (self.securityGroup)
    acknowledge(
      self.node.findChild('FunctionRole'),
      'AwsSolutions-IAM5[Resource::*]',
      'Only the VPC network-interface actions (ec2:CreateNetworkInterface, DescribeNetworkInterfaces, DeleteNetworkInterface, Assign/UnassignPrivateIpAddresses) use "*": EC2 has no resource-level permissions for them. Logs and the secret are scoped to their ARNs.',
    );
}

/**
 * The guard's log group as its runbook names it. Its name is made by
 * CloudFormation at deploy time (the stack's name, the logical ID and a
 * suffix: a length synth cannot know), and an alarm description over 1,024
 * characters fails the deploy; so a name made at deploy time is shown as the
 * stack and the logical ID the console's Resources tab links to it from,
 * both known now and counted against the limit.
 */
function shownLogGroup(logGroup: logs.LogGroup): { logGroupName: string; logGroupShortName?: string } {
  if (!Token.isUnresolved(logGroup.logGroupName)) return { logGroupName: logGroup.logGroupName };
  const stack = Stack.of(logGroup);
  const logicalId = stack.resolve((logGroup.node.defaultChild as logs.CfnLogGroup).logicalId) as unknown;
  if (Token.isUnresolved(stack.stackName) || typeof logicalId !== 'string') return { logGroupName: 'of this construct' };
  return { logGroupName: `(stack ${stack.stackName}, resource ${logicalId})`, logGroupShortName: `(resource ${logicalId})` };
}

/** The ticket alarms have no actions without `ticketTopic`: say so at synth, and how to give them one. */
function warnTicketsWithoutTopic(scope: SchemaGuard): void {
  const tickets = GUARD_ALARMS.filter((a) => a.severity === 'ticket').map((a) => a.id);
  Annotations.of(scope).addWarningV2(
    'schemaguard:ticketsWithoutDestination',
    `the ${tickets.length} ticket alarms (${tickets.join(', ')}) have no actions: "topic" takes the pages only, and no "ticketTopic" was given, so they open no ticket and never page (their state shows on the dashboard). ` +
      'Pass "ticketTopic" (DatabaseAlarms\' ticketTopic; "topic" itself to receive them there, marked [TICKET]), or acknowledge this warning.',
  );
}
