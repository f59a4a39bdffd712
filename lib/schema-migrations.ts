/**
 * SchemaMigrations: applies the files in `migrations/` to a PostgreSQL
 * database during `cdk deploy`, through a custom resource (Provider framework,
 * asynchronous: onEvent + isComplete), and fails the deploy — so the stack
 * rolls back — when a migration or a check fails.
 *
 * Usable on its own with any RDS instance or cluster: it needs the database's
 * secret (username, password, host, port), something to connect to (the
 * instance or cluster, for the security-group rule) and a VPC — or an Aurora
 * cluster with the Data API. The handler is pre-built (lib/handler-asset.ts):
 * the app needs neither esbuild nor Docker. The migrations, contracts and
 * snapshot are the app's own, found from the working directory
 * (lib/user-files.ts).
 */
import { Annotations, Aspects, CfnOutput, CustomResource, Duration, RemovalPolicy, Resource, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct, type IDependable } from 'constructs';
import { ATTR, DEFAULTS, ENV, IS_COMPLETE_HANDLER_NAME, ON_EVENT_HANDLER_NAME, PROP } from '../lambda/handler/constants';
import { readFiles, summariseFiles, type FilesSummary } from '../lambda/handler/files-hash';
import { describeSubfolders, sqlSubfolders } from '../lambda/engine/subfolders';
import { DEFAULT_MEMORY_MB, heapOptions, maxFileBytesFor, memoryFix } from '../lambda/handler/memory';
import { InputError } from '../lambda/engine/errors';
import { loadMigrations } from '../lambda/engine/source';
import { refuseUnwrittenTemplates } from '../lambda/engine/template';
import { checkHandlerBundle, handlerCode } from './handler-asset';
import { authEnvironment, grantIamConnect, proxyEnvironment, resolveAuth, type DatabaseAuth, type IamAuthenticationProps } from './database-auth';
import { acknowledge, arnToken } from './nag';
import { refuseWrongKinds, type PropKind } from './prop-types';
import { claimStateTable, resolveStateSchema } from './state-schema';
import { refuseUnparsable } from './synth-parse';
import { resolveUserFiles, type UserFileProps, type UserFiles } from './user-files';

export interface SchemaMigrationsProps extends UserFileProps {
  /**
   * Secret with the database credentials (`username`, `password`, `host`, `port`), read by the handler at run time.
   * An rds.DatabaseInstance or DatabaseCluster has one (`.secret`) with `Credentials.fromGeneratedSecret(…)` or
   * `fromSecret(…)`; with `Credentials.fromPassword(…)` its `.secret` is undefined, and synth stops.
   * @default - none: `iamAuthentication` must be set instead
   */
  readonly secret?: secretsmanager.ISecret;
  /**
   * IAM database authentication instead of a secret: the handler connects as
   * this database user (granted `rds_iam`) with a token signed for each
   * connection, over verified TLS; its role gets `rds-db:connect` on that
   * user of `database` only (an rds.DatabaseInstance, DatabaseCluster or
   * DatabaseProxy, in this stack) and reads no secret. Not with `dataApiCluster`.
   * @default - none: the handler reads `secret`
   */
  readonly iamAuthentication?: IamAuthenticationProps;
  /**
   * The instance or cluster to migrate over a connection: the function is allowed to reach its port, and the resource waits for it.
   * @default - none: `dataApiCluster` must be set instead
   */
  readonly database?: ec2.IConnectable & IDependable;
  /**
   * VPC the function runs in (the database's). Required with `database`, refused with `dataApiCluster`.
   * @default - none: the function runs outside any VPC (only with `dataApiCluster`)
   */
  readonly vpc?: ec2.IVpc;
  /**
   * An Aurora cluster with the Data API enabled, migrated through the RDS Data
   * API instead of a connection: the function runs outside the VPC and may call
   * only rds-data:ExecuteStatement, BeginTransaction, CommitTransaction and
   * RollbackTransaction on this cluster (and read `secret`, which the Data API
   * needs from its caller). As with the cluster's `grantDataApiAccess`, a
   * cluster with `enableDataApi: false` (or imported without
   * `dataApiEnabled: true`) stops synth, and one that leaves `enableDataApi`
   * unset gets the Data API turned on. Excludes `database`, `vpc`,
   * `vpcSubnets`, `port` and `secretsManagerEndpoint`.
   * @default - none: migrate over a connection to `database`
   */
  readonly dataApiCluster?: rds.IDatabaseCluster;
  /**
   * Subnets for the function. A VPC without isolated subnets — `new ec2.Vpc(…)`
   * with its default subnets has public and private-with-egress ones — needs
   * this set, e.g. `{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }`; synth
   * stops, saying so, when the default selects nothing. Anything but an object
   * (a string such as `'isolated'` from JavaScript or context), a `subnetType`
   * that is no ec2.SubnetType value, or an object with none of a
   * SubnetSelection's fields stops synth too (CDK would take its default subnets).
   * @default - the VPC's isolated subnets ({ subnetType: PRIVATE_ISOLATED })
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Port of the database: a TCP port, `ec2.Port.tcp(5432)`. A number (`5432`
   * from JavaScript or context), another protocol, or a port outside 1 to 65535
   * or not whole stops synth, naming the value and the fix.
   * @default - the database's `connections.defaultPort` (set by rds.DatabaseInstance and DatabaseCluster)
   */
  readonly port?: ec2.Port;
  /**
   * Something the function must reach on 443 for Secrets Manager (an interface VPC endpoint).
   * @default - HTTPS to anywhere is allowed (a NAT gateway or an endpoint with private DNS must exist)
   */
  readonly secretsManagerEndpoint?: ec2.IConnectable;
  /**
   * Database to migrate: any name PostgreSQL takes (1 to 63 bytes, no NUL;
   * `my-db` too: it is sent as the connection's database, not written into
   * SQL), or a token (a CfnParameter), which the handler reads at deploy time.
   * @default - the secret's `dbname`, else `postgres`
   */
  readonly databaseName?: string;
  /**
   * Schema of the state table (`<stateSchema>.applied_migrations`), which also
   * keys the runner lock, as the CLI's `--state-schema`: 1 to 63 bytes, no NUL,
   * not starting with `pg_`. Two SchemaMigrations on one database (two
   * services, each with its own migrations) need one each: synth refuses two
   * in one app with the same database, database name and state schema. The
   * CLI must be given the same value (`--state-schema`) for that database.
   * @default 'schemaguard'
   */
  readonly stateSchema?: string;
  /**
   * Directory of the migration files, shipped with the handler; it must exist (it may be empty).
   * Only its own `.sql` files are shipped and hashed (a README there changes nothing).
   * A relative path resolves against the working directory (where `cdk synth` runs the app), as
   * with `Code.fromAsset`.
   * @default - `./migrations` in the working directory; synth stops, naming the path, when it is not there
   */
  readonly migrationsDir?: string;
  /**
   * Directory of the contract files, shipped with the handler and hashed with the migrations; it
   * must exist when given. Only its own `.sql` files are contracts (shipped and hashed): other
   * files there (another tool's JSON contracts, a README) are left out. A relative path resolves
   * against the working directory.
   * @default - `./contracts` in the working directory when it exists (synth says so in an info annotation); otherwise no contracts
   */
  readonly contractsDir?: string;
  /**
   * Schema snapshot the live schema is compared with after migrating; drift is reported in the
   * response (`Drift`) and the log. It must exist when given. A relative path resolves against the
   * working directory.
   * @default - `./lambda/schema/snapshot.json` (the CLI's `--snapshot` default) when it exists; otherwise no drift check
   */
  readonly snapshotFile?: string;
  /**
   * Fail the deploy (and so roll it back) when the live schema differs from the snapshot.
   * Comment changes (`COMMENT ON TABLE / COLUMN / INDEX / CONSTRAINT` made by hand) are reported
   * in `Drift` but never fail it: a comment changes no behaviour (the guard makes them a ticket).
   * @default false - drift is reported, not fatal
   */
  readonly failOnDrift?: boolean;
  /**
   * Why changing tables that logical replication carries is planned for, for
   * every migration of the deploy (an RDS Blue/Green switchover done, the
   * subscriber changed first). Without it, a migration that adds, drops,
   * retypes or renames a column of a table a publication or an active
   * logical slot carries fails the deploy before anything runs, unless its
   * file says `-- schemaguard:replication-planned <reason>`.
   * @default - such a migration needs its directive
   */
  readonly replicationPlanned?: string;
  /**
   * After a deploy applied migrations, how long to wait for the streaming
   * standbys (RDS read replicas) or Aurora readers to replay them, so the
   * application deployed next never reads the old schema there; and whether
   * one still behind after the wait fails the deploy.
   * @default - wait up to 60 s (within the invocation's time), then a warning in the log and `Standbys`
   */
  readonly standbys?: StandbyWaitProps;
  /**
   * Timeout of one handler invocation (onEvent or one isComplete). Work that does
   * not fit continues in the next isComplete.
   * @default Duration.minutes(5)
   */
  readonly handlerTimeout?: Duration;
  /**
   * Time kept back at the end of each invocation: no migration starts inside it.
   * @default Duration.seconds(15)
   */
  readonly reserve?: Duration;
  /**
   * How often the framework calls isComplete.
   * @default Duration.seconds(10)
   */
  readonly queryInterval?: Duration;
  /**
   * Total time for one Create or Update, across invocations: at most 59
   * minutes (3540 s), because `serviceTimeout` must exceed it by a minute and
   * CloudFormation waits at most 1 hour. It also bounds waiting for the
   * runner lock another runner holds (another deploy of the database, a
   * `schemaguard migrate`): each invocation waits at most a minute, answers
   * not complete, and the request fails naming the holder once the next wait
   * would end past this time.
   * @default Duration.minutes(45)
   */
  readonly totalTimeout?: Duration;
  /**
   * How long CloudFormation waits for the response. Must exceed `totalTimeout`
   * by at least 60 s, so the framework's own timeout response arrives first;
   * at most 1 hour (CloudFormation's limit).
   * @default - Duration.minutes(50), or `totalTimeout` plus 5 minutes when that is longer, at most Duration.hours(1)
   */
  readonly serviceTimeout?: Duration;
  /**
   * Retention of the handler's and the framework's log groups.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Removal policy of those log groups.
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * The database's PostgreSQL log group, named in failure messages.
   * @default - not named
   */
  readonly databaseLogGroupName?: string;
  /**
   * Memory of the handler, MB. The largest migration file it applies follows
   * it — 128 MB plus 8 MB per MiB of the file, so the default applies files up
   * to the engine's 16 MiB limit — and synth stops on a file over that.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Parse every migration and contract file at synth with PostgreSQL's parser
   * (the one `schemaguard lint` and `plan` use: PostgreSQL 18's grammar), in
   * one child process: a statement it refuses stops synth, naming the file,
   * line, column and the token it stopped at, instead of failing the deploy
   * after the database was made. Synth also stops when the parse cannot run
   * (the parser missing from the install). Turn it off only for a migration an
   * older PostgreSQL accepts and 18's grammar does not (a postfix operator,
   * which PostgreSQL 14 removed); `lint` refuses such a file too.
   * @default true
   */
  readonly parseAtSynth?: boolean;
  /**
   * Add CfnOutputs for the applied version and count.
   * @default true
   */
  readonly outputs?: boolean;
}

/** How SchemaMigrations waits for standbys after applying. */
export interface StandbyWaitProps {
  /**
   * How long to wait. `Duration.seconds(0)` reports their lag without waiting.
   * @default Duration.seconds(60)
   */
  readonly wait?: Duration;
  /**
   * Fail the deploy (and roll the stack back) when a standby has not caught up.
   * @default false - a warning
   */
  readonly strict?: boolean;
}

/** `standbys.wait`: a concrete duration within one invocation's limit (the handler waits inside its invocation). */
function refuseBadStandbyWait(standbys: StandbyWaitProps | undefined): void {
  const wait = standbys?.wait;
  if (wait === undefined) return;
  if (!(wait instanceof Duration) || Token.isUnresolved(wait.toMilliseconds()) || wait.toMilliseconds() > 900_000) {
    throw new Error(`SchemaMigrations: "standbys.wait" is ${wait instanceof Duration && !Token.isUnresolved(wait.toMilliseconds()) ? `${wait.toSeconds()} s` : String(wait)}; use a Duration from 0 to 15 minutes (the wait runs inside one handler invocation, within its time)`);
  }
}

/** The props of a plain kind, checked at run time (a JavaScript app, a value from context). */
const PROP_KINDS: Readonly<Record<string, PropKind>> = {
  databaseName: 'string', stateSchema: 'string', migrationsDir: 'string', contractsDir: 'string', snapshotFile: 'string', databaseLogGroupName: 'string', replicationPlanned: 'string',
  failOnDrift: 'boolean', parseAtSynth: 'boolean', outputs: 'boolean', memorySize: 'number',
  handlerTimeout: 'duration', reserve: 'duration', queryInterval: 'duration', totalTimeout: 'duration', serviceTimeout: 'duration',
  port: 'port', vpcSubnets: 'subnets',
};

const MAX_LAMBDA_TIMEOUT = Duration.minutes(15);
/** CloudFormation waits at most this long for a custom resource (ServiceTimeout). */
const MAX_SERVICE_TIMEOUT_S = 3600;
/** serviceTimeout exceeds totalTimeout by at least this, so the framework's timeout response reaches CloudFormation first. */
const SERVICE_TIMEOUT_MARGIN_S = 60;
/** So totalTimeout is at most 3540 s, not the hour the Provider framework itself would take. */
const MAX_TOTAL_S = MAX_SERVICE_TIMEOUT_S - SERVICE_TIMEOUT_MARGIN_S;
const DEFAULT_TOTAL_TIMEOUT = Duration.minutes(45);
const DEFAULT_SERVICE_TIMEOUT = Duration.minutes(50);

/**
 * Applies the app's migrations to a PostgreSQL database during `cdk deploy`
 * (a custom resource), proves them with their checks and the contracts, and
 * fails the deploy — so CloudFormation rolls the stack back — when one fails.
 * Over a connection from the VPC (`database` + `vpc`), or through the RDS Data
 * API (`dataApiCluster`).
 *
 * @example
 * // ./migrations/0001_widgets.sql beside cdk.json
 * const migrations = new SchemaMigrations(this, 'Migrations', {
 *   database: instance,          // an rds.DatabaseInstance (or DatabaseCluster)
 *   secret: instance.secret!,
 *   vpc,
 * });
 */
export class SchemaMigrations extends Construct {
  /** The handler (onEvent). */
  readonly onEventHandler: lambda.Function;
  /** The handler (isComplete); same code, other export. */
  readonly isCompleteHandler: lambda.Function;
  /** The handlers' log group. */
  readonly logGroup: logs.LogGroup;
  /** Security group of the handler functions (none with `dataApiCluster`: they run outside the VPC). */
  readonly securityGroup?: ec2.SecurityGroup;
  /** The Provider framework (onEvent and isComplete behind its waiter) that answers CloudFormation for the custom resource. */
  readonly provider: Provider;
  /** The custom resource that runs the migrations on each deploy whose files changed; depend on it to run after them. */
  readonly resource: CustomResource;
  /** Hash, count and newest version of the files, as put in the resource properties. */
  readonly files: FilesSummary;
  /** Highest applied version after the deploy (`none` for an empty database), via GetAtt. */
  readonly currentVersion: string;
  /** Number of applied migrations after the deploy, via GetAtt. */
  readonly appliedCount: string;
  /** Versions this deploy applied (comma-separated, may be empty), via GetAtt. */
  readonly appliedVersions: string;
  /** `applied`, `up-to-date` or `database-ahead`, via GetAtt. */
  readonly outcome: string;
  /** How the handler reaches the database (SchemaGuard reaches it the same way). */
  readonly target: MigrationsTarget;
  /** The app's migrations, contracts and snapshot, as absolute paths. */
  readonly userFiles: UserFiles;
  /** The database secret the handler reads (or the Data API reads for it); undefined with IAM authentication. */
  readonly secret?: secretsmanager.ISecret;
  /** How the handler authenticates (SchemaGuard's functions reach the database the same way). */
  readonly auth: DatabaseAuth;
  /** `databaseName` as given. */
  readonly databaseName?: string;
  /** Schema of the state table (`stateSchema`, or its default `schemaguard`). */
  readonly stateSchema: string;

  constructor(scope: Construct, id: string, props: SchemaMigrationsProps) {
    super(scope, id);
    const auth = resolveAuth('SchemaMigrations', props);
    refuseWrongKinds('SchemaMigrations', props, PROP_KINDS);
    refuseBadStandbyWait(props.standbys);
    const settings = resolveSettings(props);
    const network = connectionMode(props);
    this.stateSchema = resolveStateSchema(props.stateSchema);
    claimStateTable(this, { database: network ? network.database : props.dataApiCluster, secret: auth.kind === 'secret' ? auth.secret : undefined, databaseName: props.databaseName }, this.stateSchema);
    this.files = summariseFiles(settings.migrationsDir, settings.contractsDir);
    refuseTooLarge(this.files, props.memorySize ?? DEFAULT_MEMORY_MB);
    refuseUnloadable(settings.migrationsDir, props.memorySize ?? DEFAULT_MEMORY_MB);
    if (props.parseAtSynth ?? true) refuseUnparsable('SchemaMigrations', settings, { filesHash: this.files.hash });
    warnOfSubfolders(this, settings.migrationsDir);
    noteImplicitFiles(this, props, settings);
    if (network && auth.kind === 'secret' && !props.secretsManagerEndpoint) warnOfUnreachableSecretsManager(this, network);
    if (network && auth.kind === 'iam') refuseIamAcrossStacks(this, network.database);
    this.target = network
      ? { kind: 'connection', ...network, secretsManagerEndpoint: props.secretsManagerEndpoint }
      : { kind: 'data-api', cluster: props.dataApiCluster! };
    this.userFiles = { migrationsDir: settings.migrationsDir, contractsDir: settings.contractsDir, snapshotFile: settings.snapshotFile };
    this.secret = props.secret;
    this.auth = auth;
    this.databaseName = props.databaseName;

    this.logGroup = new logs.LogGroup(this, 'HandlerLogs', { retention: settings.retention, removalPolicy: settings.removalPolicy });
    this.securityGroup = network && handlerSecurityGroup(this, network, auth, props.secretsManagerEndpoint);
    const role = handlerRole(this, props, auth, network);
    const functionProps = this.handlerFunctionProps(props, settings, role, network);
    this.onEventHandler = new lambda.Function(this, 'OnEvent', { ...functionProps, handler: `index.${ON_EVENT_HANDLER_NAME}` });
    this.isCompleteHandler = new lambda.Function(this, 'IsComplete', { ...functionProps, handler: `index.${IS_COMPLETE_HANDLER_NAME}` });
    this.provider = this.waiterProvider(settings);
    this.resource = this.migrationsResource(settings);
    // The database (and its security group rules, children of it) must exist before the first run.
    this.resource.node.addDependency(network ? network.database : props.dataApiCluster!);
    // And the handler's own rules (egress to the database and to Secrets Manager), and the endpoint it reads the secret through.
    if (this.securityGroup) this.resource.node.addDependency(this.securityGroup);
    // Only a construct can be waited for (an endpoint, not a Peer or a bare Connections).
    if (props.secretsManagerEndpoint && Construct.isConstruct(props.secretsManagerEndpoint)) this.resource.node.addDependency(props.secretsManagerEndpoint);
    acknowledgeNagFindings(this);

    this.currentVersion = this.resource.getAttString(ATTR.currentVersion);
    this.appliedCount = this.resource.getAttString(ATTR.appliedCount);
    this.appliedVersions = this.resource.getAttString(ATTR.appliedVersions);
    this.outcome = this.resource.getAttString(ATTR.outcome);
    if (props.outputs ?? true) {
      new CfnOutput(this, 'CurrentVersion', { value: this.currentVersion, description: 'Highest applied schema migration version' });
      new CfnOutput(this, 'AppliedCount', { value: this.appliedCount, description: 'Number of applied schema migrations' });
    }
  }

  /** What onEvent and isComplete share: one code asset, the role, the network, the log group, the environment. */
  private handlerFunctionProps(props: SchemaMigrationsProps, settings: Settings, role: iam.IRole, network: Connection | undefined): Omit<lambda.FunctionProps, 'handler'> {
    return {
      code: handlerCode(settings),
      // The bundle targets node22 (scripts/build-handler.mjs).
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? DEFAULT_MEMORY_MB,
      timeout: settings.handlerTimeout,
      role,
      ...(network && this.securityGroup ? {
        vpc: network.vpc,
        vpcSubnets: network.vpcSubnets,
        securityGroups: [this.securityGroup],
      } : {}),
      logGroup: this.logGroup,
      environment: { ...handlerEnvironment(this, props, this.auth, settings), ...(props.stateSchema === undefined ? {} : { [ENV.stateSchema]: this.stateSchema }) },
      description: 'schemaguard: applies the migrations during cdk deploy',
    };
  }

  /** The Provider framework: isComplete every `queryInterval` until `totalTimeout`, its functions and waiter logged. */
  private waiterProvider(settings: Settings): Provider {
    const frameworkLogs = new logs.LogGroup(this, 'ProviderLogs', { retention: settings.retention, removalPolicy: settings.removalPolicy });
    return new Provider(this, 'Provider', {
      onEventHandler: this.onEventHandler,
      isCompleteHandler: this.isCompleteHandler,
      queryInterval: settings.queryInterval,
      totalTimeout: settings.totalTimeout,
      logGroup: frameworkLogs,
      disableWaiterStateMachineLogging: false,
      waiterStateMachineLogOptions: { destination: frameworkLogs, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
  }

  /** The custom resource; only the files' hash, count and newest version are its properties. */
  private migrationsResource(settings: Settings): CustomResource {
    return new CustomResource(this, 'Resource', {
      serviceToken: this.provider.serviceToken,
      resourceType: 'Custom::SchemaMigrations',
      serviceTimeout: settings.serviceTimeout,
      properties: {
        // Only these change the resource: an unchanged set of files sends no Update at all.
        [PROP.filesHash]: this.files.hash,
        [PROP.latestVersion]: String(this.files.latestVersion),
        [PROP.migrationCount]: String(this.files.migrationCount),
      },
    });
  }
}

/** The handler's group: egress to the database port and to Secrets Manager only; the database's group admits it. */
function handlerSecurityGroup(scope: Construct, network: Connection, auth: DatabaseAuth, secretsManagerEndpoint: ec2.IConnectable | undefined): ec2.SecurityGroup {
  const securityGroup = new ec2.SecurityGroup(scope, 'SecurityGroup', {
    vpc: network.vpc,
    description: 'schemaguard migrations handler: reaches the database port and Secrets Manager only',
    allowAllOutbound: false,
  });
  // One rule each way, for the database port only (egress here, ingress on the database's group).
  securityGroup.connections.allowTo(network.database, network.port, 'schemaguard migrations handler to the database');
  if (network.database.connections.securityGroups.length === 0) {
    // An imported database without its groups: allowTo wrote no rule (yet: a group added to it later gets one). Egress to the port in the VPC; the ingress is the user's.
    const cidr = vpcCidr(network.vpc);
    if (cidr) securityGroup.addEgressRule(ec2.Peer.ipv4(cidr), network.port, 'schemaguard migrations handler to the database port in the VPC');
    Annotations.of(scope).addWarningV2('schemaguard:databaseWithoutSecurityGroups',
      `the database had no security group when SchemaMigrations was made (imported without "securityGroups"), so its ingress from the handler is not written: allow the handler's group (SchemaMigrations.securityGroup) on ${network.port.toString()} in the database's group, or import the database with its securityGroups`
      + (cidr ? '' : `; the VPC's CIDR is not known either (imported without vpcCidrBlock), so the handler has no egress to ${network.port.toString()}: add it (securityGroup.addEgressRule)`));
  }
  // A token is signed locally, from the function's credentials: with IAM authentication nothing else is reached.
  if (auth.kind === 'iam') return securityGroup;
  if (secretsManagerEndpoint) {
    securityGroup.connections.allowTo(secretsManagerEndpoint, ec2.Port.tcp(443), 'schemaguard migrations handler to Secrets Manager');
  } else {
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'schemaguard migrations handler to Secrets Manager (HTTPS)');
  }
  return securityGroup;
}

/** The VPC's CIDR block, or undefined for a VPC imported without one (its getter throws). */
function vpcCidr(vpc: ec2.IVpc): string | undefined {
  try {
    return vpc.vpcCidrBlock;
  } catch {
    return undefined;
  }
}

/** The handlers' role: their own logs, the network interfaces (in a VPC) or the Data API on the one cluster, the one secret. */
function handlerRole(self: SchemaMigrations, props: SchemaMigrationsProps, auth: DatabaseAuth, network: Connection | undefined): iam.Role {
  const inVpc = network !== undefined;
  const role = new iam.Role(self, 'HandlerRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: inVpc
      ? 'schemaguard migrations handler: its own logs, its VPC network interfaces, and the one database secret'
      : 'schemaguard migrations handler: its own logs, the RDS Data API on the one cluster, and its secret',
  });
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'OwnLogs',
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: [self.logGroup.logGroupArn],
  }));
  role.addToPrincipalPolicy(inVpc ? vpcNetworkInterfacesStatement() : dataApiStatement(props.dataApiCluster!));
  if (auth.kind === 'iam') grantIamConnect('SchemaMigrations', network!.database, role, auth.username);
  else for (const statement of secretStatements(auth.secret, Stack.of(self).region)) role.addToPrincipalPolicy(statement);
  return role;
}

export function vpcNetworkInterfacesStatement(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'VpcNetworkInterfaces',
    actions: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
    resources: ['*'],
  });
}

/** The four calls the driver makes, on this cluster only (not rds-data:*, not BatchExecuteStatement). */
export function dataApiStatement(cluster: rds.IDatabaseCluster): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'DataApiOnTheCluster',
    actions: ['rds-data:ExecuteStatement', 'rds-data:BeginTransaction', 'rds-data:CommitTransaction', 'rds-data:RollbackTransaction'],
    resources: [cluster.clusterArn],
  });
}

/**
 * Read the one secret; decrypt it only when a customer-managed key encrypts it, and only through Secrets Manager.
 * `name` makes the statement ids (`ReadThe<name>Secret`), unique within one role's policy.
 */
export function secretStatements(secret: secretsmanager.ISecret, region: string, name = 'Database'): iam.PolicyStatement[] {
  const read = new iam.PolicyStatement({
    sid: `ReadThe${name}Secret`,
    actions: ['secretsmanager:GetSecretValue'],
    resources: [secret.secretFullArn ?? `${secret.secretArn}-??????`],
  });
  if (!secret.encryptionKey) return [read];
  return [read, new iam.PolicyStatement({
    sid: `DecryptThe${name}Secret`,
    actions: ['kms:Decrypt'],
    resources: [secret.encryptionKey.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
  })];
}

/** The handler's environment: where its files are, which secret, and the optional settings. No secret value. */
function handlerEnvironment(scope: Construct, props: SchemaMigrationsProps, auth: DatabaseAuth, settings: Settings): Record<string, string> {
  const environment: Record<string, string> = {
    ...authEnvironment(auth),
    ...proxyEnvironment(props.database),
    [ENV.migrationsDir]: DEFAULTS.migrationsDir,
    [ENV.contractsDir]: DEFAULTS.contractsDir,
    [ENV.reserveMs]: String(settings.reserve.toMilliseconds()),
    // A busy runner lock is tried for again in each isComplete, until the next try would end past this.
    [ENV.totalTimeoutMs]: String(settings.totalTimeout.toMilliseconds()),
    [ENV.snapshotFile]: settings.snapshotFile ? DEFAULTS.snapshotFile : '',
    // V8's heap sized by the function's memory, not by what V8 takes the machine to have.
    NODE_OPTIONS: heapOptions(props.memorySize ?? DEFAULT_MEMORY_MB),
  };
  if (props.failOnDrift) environment[ENV.failOnDrift] = 'true';
  if (props.replicationPlanned) environment[ENV.replicationPlanned] = props.replicationPlanned;
  if (props.standbys?.wait) environment[ENV.standbyWaitMs] = String(props.standbys.wait.toMilliseconds());
  if (props.standbys?.strict) environment[ENV.standbyStrict] = 'true';
  if (props.databaseName) environment[ENV.databaseName] = props.databaseName;
  if (props.databaseLogGroupName) environment[ENV.databaseLogGroup] = props.databaseLogGroupName;
  if (props.dataApiCluster) environment[ENV.clusterArn] = props.dataApiCluster.clusterArn;
  // The endpoint, for a secret without a host (an RDS-managed master secret, manageMasterUserPassword): the secret's host comes first.
  // Only from the construct's own stack: from another, it would be an export that blocks replacing the database.
  const sameStack = props.database !== undefined && Construct.isConstruct(props.database) && Stack.of(props.database) === Stack.of(scope);
  const endpoint = sameStack ? databaseEndpoint(props.database) : undefined;
  if (endpoint) Object.assign(environment, { [ENV.endpointHost]: endpoint.host, [ENV.endpointPort]: endpoint.port });
  return environment;
}

/**
 * With IAM authentication the handler has no secret to read the host from: the database's endpoint must be
 * in its environment, and from another stack it would be an export, which blocks replacing the database.
 */
function refuseIamAcrossStacks(scope: Construct, database: unknown): void {
  if (Construct.isConstruct(database) && Stack.of(database) === Stack.of(scope)) return;
  throw new Error(`SchemaMigrations: with "iamAuthentication" the handler takes the host from the database construct, and ${Construct.isConstruct(database) ? `${database.node.path} is in another stack` : 'the database is not a construct'}; `
    + 'create SchemaMigrations in the database\'s stack (a cross-stack export of its endpoint would block replacing it), or use a secret that holds the host');
}

/** Host and port of an rds.DatabaseInstance's or DatabaseCluster's endpoint; undefined for another connectable (a proxy). */
export function databaseEndpoint(database: unknown): { host: string; port: string } | undefined {
  const db = database as Partial<rds.IDatabaseInstance & rds.IDatabaseCluster>;
  if (db.dbInstanceEndpointAddress) return { host: db.dbInstanceEndpointAddress, port: db.dbInstanceEndpointPort! };
  if (db.clusterEndpoint) return { host: db.clusterEndpoint.hostname, port: Token.asString(db.clusterEndpoint.port) };
  return undefined;
}

/** cdk-nag findings of this construct that are accepted, with their reasons. */
function acknowledgeNagFindings(self: SchemaMigrations): void {
  if (self.securityGroup) acknowledge(self.node.findChild('HandlerRole'), 'AwsSolutions-IAM5[Resource::*]',
    'Only the VPC network-interface actions (ec2:CreateNetworkInterface, DescribeNetworkInterfaces, DeleteNetworkInterface, Assign/UnassignPrivateIpAddresses) use "*": EC2 does not support resource-level permissions for them, and a function in a VPC needs them. Logs and the secret are scoped to their ARNs.');
  for (const fn of [self.onEventHandler, self.isCompleteHandler]) {
    acknowledge(fn, 'AwsSolutions-L1',
      'Pinned to Node.js 22 on purpose: the handler bundle targets node22 and is tested on it; moving to a newer runtime is a deliberate change, not a silent one.');
  }
  acknowledge(self.provider, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'The framework functions of aws-cdk-lib\'s Provider use the AWS managed basic execution role (log writing only); the Provider does not let it be replaced per statement.');
  for (const fn of [self.onEventHandler, self.isCompleteHandler]) {
    acknowledge(self.provider, `AwsSolutions-IAM5[Resource::${arnToken(fn)}:*]`,
      'The Provider framework may invoke the handler function and its versions (ARN:*); the wildcard is the version qualifier of this one function only.');
  }
  const frameworkFns = ['framework-isComplete', 'framework-onTimeout'].map((id) => self.provider.node.findChild(id));
  for (const fn of frameworkFns) {
    acknowledge(self.provider, `AwsSolutions-IAM5[Resource::${arnToken(fn)}:*]`,
      'The waiter state machine may invoke the framework\'s own isComplete/onTimeout functions and their versions (ARN:*) only.');
  }
  acknowledge(self.provider, 'AwsSolutions-IAM5[Resource::*]',
    'The waiter state machine role needs the CloudWatch Logs delivery actions (logs:CreateLogDelivery, GetLogDelivery, …) for its execution log; they do not support resource-level permissions.');
  acknowledge(self.provider, 'AwsSolutions-SF2',
    'The Provider framework\'s waiter state machine has no X-Ray option; it only polls isComplete, and its executions are logged to the provider log group.');
}

/** The props with their defaults, checked against each other; the user's files as absolute paths. */
interface Settings extends UserFiles {
  handlerTimeout: Duration;
  reserve: Duration;
  queryInterval: Duration;
  totalTimeout: Duration;
  serviceTimeout: Duration;
  retention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
}

interface Checked extends Settings {
  memorySize?: number;
  databaseName?: string;
}

function resolveSettings(props: SchemaMigrationsProps): Settings {
  const settings: Settings = {
    ...resolveUserFiles('SchemaMigrations', props),
    handlerTimeout: props.handlerTimeout ?? Duration.minutes(5),
    reserve: props.reserve ?? Duration.millis(DEFAULTS.reserveMs),
    queryInterval: props.queryInterval ?? Duration.seconds(10),
    totalTimeout: props.totalTimeout ?? DEFAULT_TOTAL_TIMEOUT,
    serviceTimeout: props.serviceTimeout ?? defaultServiceTimeout(props.totalTimeout),
    retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
  };
  validate({ ...settings, memorySize: props.memorySize, databaseName: props.databaseName });
  checkHandlerBundle('SchemaMigrations');
  return settings;
}

/**
 * 50 minutes, or `totalTimeout` plus 5 minutes when that is longer, capped at CloudFormation's hour: every
 * `totalTimeout` that `validate` accepts (up to 3540 s) works without `serviceTimeout` set too.
 */
function defaultServiceTimeout(totalTimeout: Duration | undefined): Duration {
  const total = totalTimeout?.toSeconds({ integral: false });
  // A token is refused by validate, naming totalTimeout.
  if (total === undefined || Token.isUnresolved(total)) return DEFAULT_SERVICE_TIMEOUT;
  const seconds = Math.min(MAX_SERVICE_TIMEOUT_S, Math.max(DEFAULT_SERVICE_TIMEOUT.toSeconds(), total + 300));
  return Duration.seconds(seconds);
}

/** A migration file the handler could not hold in `memoryMb` stops synth, before a deploy would fail on it. */
function refuseTooLarge(files: FilesSummary, memoryMb: number): void {
  const largest = files.largestMigration;
  const limit = maxFileBytesFor(memoryMb);
  if (!largest || largest.bytes <= limit) return;
  throw new Error(`SchemaMigrations: migration ${largest.file} is ${largest.bytes} bytes, over the ${limit} bytes a handler with "memorySize" ${memoryMb} MB applies; ${memoryFix(memoryMb, largest.bytes)}`);
}

/**
 * The files as the handler reads them at deploy time (its memory's size
 * limit, every file parsed): a file it would refuse (a name without a
 * version, two files of one version, BEGIN in a transactional file, a
 * misspelt directive) stops synth, not the deploy after the database was made.
 */
function refuseUnloadable(migrationsDir: string, memoryMb: number): void {
  try {
    // A new database runs every file: one still as `schemaguard new` wrote it is refused there.
    refuseUnwrittenTemplates(loadMigrations(migrationsDir, { maxFileBytes: maxFileBytesFor(memoryMb), tooLargeFix: (bytes) => memoryFix(memoryMb, bytes) }), migrationsDir);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    throw new Error(`SchemaMigrations: the handler would refuse the migrations in ${migrationsDir}: ${e.message}${e.fix ? `; fix: ${e.fix}` : ''} (npx schemaguard lint --dir ${migrationsDir} says the same)`, { cause: e });
  }
}

/**
 * .sql files in subfolders of migrationsDir are bundled with the rest (the
 * folder is copied whole) but never applied: the handler reads only the
 * files of the folder itself. A warning, not an error: an archive of old
 * scripts there is the user's to keep.
 */
function warnOfSubfolders(scope: Construct, migrationsDir: string): void {
  const nested = sqlSubfolders(migrationsDir);
  if (nested.length === 0) return;
  const files = nested.reduce((n, f) => n + f.files, 0);
  Annotations.of(scope).addWarningV2('schemaguard:migrationsInSubfolders',
    `${files} .sql file${files === 1 ? '' : 's'} in subfolders of "migrationsDir" ${migrationsDir} ${files === 1 ? 'is' : 'are'} never applied (nor shipped with the handler): ${describeSubfolders(nested)}; `
    + `the handler reads only the files directly in ${migrationsDir} (subfolders are not searched): move them up as <version>_<name>.sql, or pass the folder that holds them as "migrationsDir"`);
}

/**
 * `./contracts` and `./lambda/schema/snapshot.json` are used when they exist,
 * without a prop: said once, so a folder of another tool's files (Pact JSON
 * contracts) is not taken for schemaguard's by surprise.
 */
function noteImplicitFiles(scope: Construct, props: SchemaMigrationsProps, files: UserFiles): void {
  const used: string[] = [];
  if (props.contractsDir === undefined && files.contractsDir) {
    const n = readFiles(files.contractsDir).length;
    used.push(`"contractsDir" ${files.contractsDir} (its ${n} .sql file${n === 1 ? '' : 's'} shipped and checked after each deploy; other files there are ignored)`);
  }
  if (props.snapshotFile === undefined && files.snapshotFile) used.push(`"snapshotFile" ${files.snapshotFile} (drift is checked against it after each deploy)`);
  if (used.length === 0) return;
  Annotations.of(scope).addInfo(`not given, so taken from the working directory by default: ${used.join('; ')}; pass the prop to choose another`);
}

/**
 * A handler in subnets without a route out (PRIVATE_ISOLATED: no NAT) reads
 * the secret only through an interface endpoint for Secrets Manager; without
 * one the SDK's call never gets an answer and the deploy waits for the
 * handler's timeout. Said at synth unless such an endpoint is in the VPC.
 */
function warnOfUnreachableSecretsManager(scope: Construct, network: Connection): void {
  // Checked once the app is complete: an endpoint added to the VPC after the construct counts too.
  Aspects.of(scope).add({ visit: (node) => { if (node === scope) warnIfNoEndpoint(scope, network); } });
}

function warnIfNoEndpoint(scope: Construct, network: Connection): void {
  const isolated = new Set(network.vpc.isolatedSubnets.map((subnet) => subnet.subnetId));
  const selected = network.vpc.selectSubnets(network.vpcSubnets).subnets;
  if (selected.length === 0 || !selected.every((subnet) => isolated.has(subnet.subnetId))) return;
  if (hasSecretsManagerEndpoint(scope, network.vpc)) return;
  Annotations.of(scope).addWarningV2('schemaguard:secretsManagerUnreachable',
    `the handler runs in isolated subnets of the VPC ${network.vpc.node.path} (no NAT: no route to Secrets Manager) and no "secretsManagerEndpoint" is given, so it cannot read the database secret and the deploy fails after its connect timeout; `
    + 'add an interface endpoint and pass it: secretsManagerEndpoint: vpc.addInterfaceEndpoint(\'SecretsManager\', { service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER }), '
    + 'or run the handler in subnets with a NAT route (vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS })');
}

/** An interface endpoint for Secrets Manager in this VPC, made in the app (vpc.addInterfaceEndpoint or new InterfaceVpcEndpoint). */
function hasSecretsManagerEndpoint(scope: Construct, vpc: ec2.IVpc): boolean {
  return scope.node.root.node.findAll().some((c) => c instanceof ec2.CfnVPCEndpoint
    && c.vpcId === vpc.vpcId && typeof c.serviceName === 'string' && c.serviceName.includes('.secretsmanager'));
}

function validate(p: Checked): void {
  const durations: [string, Duration][] = [['handlerTimeout', p.handlerTimeout], ['reserve', p.reserve], ['queryInterval', p.queryInterval], ['totalTimeout', p.totalTimeout], ['serviceTimeout', p.serviceTimeout]];
  for (const [name, d] of durations) {
    if (Token.isUnresolved(d.toSeconds({ integral: false }))) {
      throw new Error(`SchemaMigrations: "${name}" must be a concrete duration, not a token; the props are checked against each other at synth time`);
    }
  }
  const s = (d: Duration) => d.toMilliseconds() / 1000;
  if (s(p.handlerTimeout) < 60 || s(p.handlerTimeout) > s(MAX_LAMBDA_TIMEOUT)) {
    throw new Error(`SchemaMigrations: "handlerTimeout" is ${s(p.handlerTimeout)} s; use 60 s to 900 s (the Lambda limit)`);
  }
  if (s(p.reserve) < 5 || s(p.reserve) > s(p.handlerTimeout) - 30) {
    throw new Error(`SchemaMigrations: "reserve" is ${s(p.reserve)} s with "handlerTimeout" ${s(p.handlerTimeout)} s; use at least 5 s and leave at least 30 s of the timeout for work`);
  }
  if (s(p.queryInterval) < 1 || s(p.queryInterval) > s(p.totalTimeout)) {
    throw new Error(`SchemaMigrations: "queryInterval" is ${s(p.queryInterval)} s; use 1 s up to "totalTimeout" (${s(p.totalTimeout)} s)`);
  }
  if (s(p.totalTimeout) > MAX_TOTAL_S || s(p.totalTimeout) < s(p.handlerTimeout)) {
    throw new Error(`SchemaMigrations: "totalTimeout" is ${s(p.totalTimeout)} s; use at least "handlerTimeout" (${s(p.handlerTimeout)} s) and at most ${MAX_TOTAL_S} s ("serviceTimeout" must exceed it by ${SERVICE_TIMEOUT_MARGIN_S} s and CloudFormation allows at most ${MAX_SERVICE_TIMEOUT_S} s)`);
  }
  if (s(p.serviceTimeout) > MAX_SERVICE_TIMEOUT_S || s(p.serviceTimeout) < s(p.totalTimeout) + SERVICE_TIMEOUT_MARGIN_S) {
    throw new Error(`SchemaMigrations: "serviceTimeout" is ${s(p.serviceTimeout)} s with "totalTimeout" ${s(p.totalTimeout)} s; it must exceed totalTimeout by at least ${SERVICE_TIMEOUT_MARGIN_S} s (so the framework's timeout response reaches CloudFormation first) and be at most ${MAX_SERVICE_TIMEOUT_S} s`);
  }
  if (p.memorySize !== undefined && (!Number.isInteger(p.memorySize) || p.memorySize < 128 || p.memorySize > 10240)) {
    throw new Error(`SchemaMigrations: "memorySize" is ${p.memorySize}; use an integer from 128 to 10240 (MB)`);
  }
  refuseUnusableDatabaseName(p.databaseName);
}

/**
 * The name goes to the server as the connection's database (the pg startup
 * message, or the Data API's `database`), never into SQL: any name PostgreSQL
 * has works, "my-db" too. Refused only what cannot: empty (the handler would
 * fall back to the secret's dbname), a NUL, or over 63 bytes (the server cuts
 * the name to 63 bytes, so another database would be migrated). A token is
 * taken: the handler reads the name at deploy time.
 */
function refuseUnusableDatabaseName(name: string | undefined): void {
  if (name === undefined || Token.isUnresolved(name)) return;
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes >= 1 && bytes <= 63 && !name.includes('\u0000')) return;
  throw new Error(`SchemaMigrations: "databaseName" ${JSON.stringify(name)} is ${bytes === 0 ? 'empty' : name.includes('\u0000') ? 'a name with a NUL' : `${bytes} bytes`}: PostgreSQL database names are 1 to 63 bytes without NUL `
    + '(a longer name is cut to 63 bytes by the server, and another database would be migrated); pass the name of the database as it exists, or leave databaseName unset to use the secret\'s dbname');
}

/** How the function reaches the database over a connection. */
interface Connection {
  vpc: ec2.IVpc;
  vpcSubnets: ec2.SubnetSelection;
  database: ec2.IConnectable & IDependable;
  port: ec2.Port;
}

/** Where the migrations run: over a connection from the VPC, or through the Data API. */
export type MigrationsTarget =
  | { readonly kind: 'connection'; readonly vpc: ec2.IVpc; readonly vpcSubnets: ec2.SubnetSelection; readonly database: ec2.IConnectable & IDependable; readonly port: ec2.Port; readonly secretsManagerEndpoint?: ec2.IConnectable }
  | { readonly kind: 'data-api'; readonly cluster: rds.IDatabaseCluster };

/** The connection the function needs, or undefined for the Data API; refuses mixed or missing props. */
function connectionMode(props: SchemaMigrationsProps): Connection | undefined {
  if (props.dataApiCluster) {
    const mixed = (['database', 'vpc', 'vpcSubnets', 'port', 'secretsManagerEndpoint'] as const).filter((k) => props[k] !== undefined);
    if (mixed.length) {
      throw new Error(`SchemaMigrations: "dataApiCluster" runs the function outside the VPC over the RDS Data API; remove ${mixed.map((k) => `"${k}"`).join(', ')} (they are for a connection)`);
    }
    requireDataApi(props.dataApiCluster);
    return undefined;
  }
  if (!props.database || !props.vpc) {
    throw new Error('SchemaMigrations: pass "database" and "vpc" (migrate over a connection), or "dataApiCluster" (an Aurora cluster with the Data API enabled)');
  }
  // RDS Proxy listens on 5432 for PostgreSQL, and its connections carry no default port.
  const port = props.port ?? props.database.connections.defaultPort ?? (Object.keys(proxyEnvironment(props.database)).length ? ec2.Port.tcp(5432) : undefined);
  if (!port) {
    throw new Error('SchemaMigrations: "port" is not set and the database has no connections.defaultPort; pass port: ec2.Port.tcp(5432) (or the database\'s port)');
  }
  return { vpc: props.vpc, vpcSubnets: props.vpcSubnets ?? defaultSubnets(props.vpc), database: props.database, port };
}

/**
 * The default subnets, when the VPC has them. `new ec2.Vpc(…)` has no isolated subnets, and CDK's own
 * "There are no 'Isolated' subnet groups in this VPC" names neither this construct nor the prop that fixes it.
 */
function defaultSubnets(vpc: ec2.IVpc): ec2.SubnetSelection {
  const isolated = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  try {
    vpc.selectSubnets(isolated);
  } catch (cause) {
    const types = ([['PRIVATE_WITH_EGRESS', vpc.privateSubnets], ['PUBLIC', vpc.publicSubnets]] as const).filter(([, subnets]) => subnets.length > 0).map(([type]) => type);
    throw new Error(`SchemaMigrations: "vpcSubnets" is not set, and its default, { subnetType: PRIVATE_ISOLATED }, selects nothing: the VPC ${vpc.node.path} has no isolated subnets (it has ${types.join(' and ') || 'none'}); `
      + 'pass the subnets the function runs in, e.g. vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } (the private subnets of new ec2.Vpc(…), which reach Secrets Manager through their NAT gateway)', { cause });
  }
  return isolated;
}

/**
 * The Data API on the cluster, as the cluster's own grantDataApiAccess has it: a cluster that turns it off is
 * refused, one that leaves it unset gets it turned on. grantDataApiAccess itself is not called: it would also
 * grant rds-data:BatchExecuteStatement, which the driver never calls, and read access to the cluster's own
 * secret rather than `secret` (dataApiStatement and secretStatements grant exactly what the handler uses).
 */
function requireDataApi(cluster: rds.IDatabaseCluster): void {
  // rds.DatabaseCluster and the imported clusters keep the setting in this field, which grantDataApiAccess reads and
  // sets and the CfnDBCluster's EnableHttpEndpoint renders lazily; an IDatabaseCluster of another kind has none.
  if (!('enableDataApi' in cluster)) return;
  const setting = cluster as { enableDataApi?: boolean };
  if (setting.enableDataApi === false) {
    const fix = Resource.isOwnedResource(cluster)
      ? 'set enableDataApi: true on the cluster (or leave it unset: SchemaMigrations then turns it on, as grantDataApiAccess does)'
      : 'enable the Data API on the cluster and import it with dataApiEnabled: true (DatabaseCluster.fromDatabaseClusterAttributes; fromLookup reads the setting from the cluster)';
    throw new Error(`SchemaMigrations: "dataApiCluster" ${cluster.node.path} has the Data API disabled (enableDataApi: false), and the handler migrates through it; ${fix}, `
      + 'or migrate over a connection: "database" and "vpc" instead of "dataApiCluster"');
  }
  setting.enableDataApi = true;
}
