/**
 * DatabaseStackBase: the outline both database stacks follow, written once.
 * DatabaseStack (RDS for PostgreSQL, lib/database-stack.ts) and
 * AuroraDatabaseStack (Aurora Serverless v2 with the Data API,
 * lib/aurora-database-stack.ts) only answer what differs: their own props,
 * the engine, the database itself, how the migrations reach it, and the cdk-nag
 * findings they accept.
 *
 *   stage settings → identifier and the subclass's props checked →
 *   DatabaseNetwork → parameter group → PostgreSQL log group → the database →
 *   secret rotation → accepted findings → SchemaMigrations → alarms → guard
 *
 * Every resource is added to the stack itself with the id it has always had
 * (`Vpc`, `Parameters`, `PostgresLogs`, `Database` or `Cluster`,
 * `RotationSecurityGroup`, `SchemaMigrations`, `Alarms`, then the newer `SchemaGuard`), in the same order,
 * so a deployed stack keeps every logical ID.
 *
 * Its whole life is part of the outline (docs/guide/lifecycle.md): the
 * identifier names the database, so a new database name is a new instance
 * CloudFormation can create (and migrate) before it deletes the old; dev
 * leaves nothing behind on delete (logs, key); prod keeps its logs and can
 * be deleted and deployed again with the same settings (the PostgreSQL log
 * group is made by a create-or-update resource, not a named, retained one).
 *
 * The hooks are called from this constructor, before the subclass's own
 * constructor body runs: they may use the props they are given and this
 * class's fields that are already set (settings, identifier, network,
 * parameterGroup, postgresLogGroup), never a field the subclass declares.
 */
import { Stack, type Duration, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct, IConstruct, IDependable } from 'constructs';
import { alarmsForStack, type DatabaseAlarms } from './alarms/database-alarms';
import type { Stage } from './app-config';
import { DatabaseNetwork, limitSecretsManagerEndpoint, type RotatableDatabase } from './database-network';
import { databaseParameterGroup } from './database-parameters';
import { postgresLogGroup, type DatabaseKind } from './postgres-log-group';
import { REVISION_RANGE } from './guard-role';
import { refuseUnlessWhole, refuseWrongKinds, type PropKind } from './prop-types';
import { SchemaGuard } from './schema-guard';
import { SchemaMigrations } from './schema-migrations';
import { databaseIdentifier, stageSettings, type StageSettings } from './stage-settings';

/** The database created and migrated when the props name none. */
export const DEFAULT_DATABASE_NAME = 'app';

export interface DatabaseStackCommonProps extends StackProps {
  /**
   * `prod`: deletion protection, a final snapshot on delete, a second AZ
   * (Multi-AZ instance, or an Aurora reader), 14 days of backups, log groups
   * retained; `dev`: none of these.
   */
  readonly stage: Stage;
  /**
   * Database created on the instance or in the cluster, and migrated. It
   * replaces the instance or cluster when it changes (a new, empty database,
   * migrated in that deploy), so the identifier names it.
   * @default 'app'
   */
  readonly databaseName?: string;
  /**
   * Retention of the PostgreSQL, flow-log and handler log groups.
   * @default - logs.RetentionDays.ONE_MONTH for dev, ONE_YEAR for prod
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Directory of the migration files (see SchemaMigrationsProps.migrationsDir); a relative path
   * resolves against the working directory.
   * @default - `./migrations` in the working directory
   */
  readonly migrationsDir?: string;
  /**
   * Directory of the contract files (see SchemaMigrationsProps.contractsDir); a relative path
   * resolves against the working directory.
   * @default - `./contracts` in the working directory, when it exists
   */
  readonly contractsDir?: string;
  /**
   * Schema snapshot compared with the live schema after migrating (see
   * SchemaMigrationsProps.snapshotFile); a relative path resolves against the working directory.
   * @default - the project file's "snapshot", else `schema.snapshot.json` in the migrations directory, when it exists
   */
  readonly snapshotFile?: string;
  /**
   * Parse every migration and contract file at synth with PostgreSQL 18's
   * parser, so that a statement it refuses stops synth instead of the deploy
   * (see SchemaMigrationsProps.parseAtSynth). Turn it off only for a
   * migration an older PostgreSQL accepts and 18's grammar does not.
   * @default true
   */
  readonly parseAtSynth?: boolean;
  /**
   * Email subscribed to the paging topic: the paging error classes, the
   * migration alarm and the guard's pages (context `schemaguard:alarmEmail`).
   * @default - no email subscription
   */
  readonly alarmEmail?: string;
  /**
   * HTTPS endpoint subscribed to the paging topic, e.g. a PagerDuty service's
   * CloudWatch integration URL (context `schemaguard:alarmHttpsUrl`).
   * @default - no HTTPS subscription
   */
  readonly alarmHttpsUrl?: string;
  /**
   * Email subscribed to the ticket topic: the error classes and guard
   * findings that open a ticket (context `schemaguard:alarmTicketEmail`).
   * @default - no email subscription
   */
  readonly alarmTicketEmail?: string;
  /**
   * HTTPS endpoint subscribed to the ticket topic, e.g. a low-urgency
   * service's or a ticketing system's CloudWatch integration URL (context
   * `schemaguard:alarmTicketHttpsUrl`).
   * @default - no HTTPS subscription
   */
  readonly alarmTicketHttpsUrl?: string;
  /**
   * An SNS topic of your own (the one on-call already subscribes to) for the
   * pages' alarm and OK actions (see DatabaseAlarmsProps.topic).
   * @default - a new encrypted topic
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * An SNS topic of your own for the ticket-severity alarms (error classes
   * and guard findings that open a ticket); pages stay on the paging topic
   * (see DatabaseAlarmsProps.ticketTopic). Pass `alarmTopic` itself to have
   * tickets arrive there, marked `[TICKET]`.
   * @default - a new encrypted topic, subscribed to by `alarmTicketEmail` and `alarmTicketHttpsUrl`; with neither, tickets reach no one (synth warns when pages have a destination)
   */
  readonly alarmTicketTopic?: sns.ITopic;
  /**
   * CloudWatch namespace of the error-class metrics (see DatabaseAlarmsProps.metricNamespace).
   * @default - `Schemaguard/Database/<instance or cluster identifier>`: each database's own
   */
  readonly metricNamespace?: string;
  /**
   * Run the scheduled schema guard (SchemaGuard) against the database
   * (context `schemaguard:guardSchedule`, `off` to disable).
   * @default true
   */
  readonly guard?: boolean;
  /**
   * How often the guard runs (see SchemaGuardProps.schedule).
   * @default Duration.minutes(15)
   */
  readonly guardSchedule?: Duration;
  /**
   * Raise it to make the next deploy set the guard's role again from its
   * secret (see SchemaGuardProps.roleRevision; context `schemaguard:guardRoleRevision`).
   * @default - no revision
   */
  readonly guardRoleRevision?: number;
  /**
   * Raise it to make the next deploy run the migrations and their checks
   * again when nothing else changed (see SchemaMigrationsProps.revision).
   * @default - no revision
   */
  readonly migrationsRevision?: number;
}

/** The migrations connect from the VPC (an RDS instance)… */
export interface VpcConnection {
  readonly database: ec2.IConnectable & IDependable;
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly secretsManagerEndpoint: ec2.IConnectable;
  /** What the handler asks whether a failing Update is a rollback's (no route out of the isolated subnets). */
  readonly cloudFormationEndpoint: ec2.IConnectable;
  /** Where the handler starts a backfill's workflow (made only when a migration has a backfill). */
  readonly stepFunctionsEndpoint: ec2.IConnectable;
  readonly dataApiCluster?: never;
}

/** …or call the RDS Data API from outside it (an Aurora cluster). */
export interface DataApiConnection {
  readonly dataApiCluster: rds.IDatabaseCluster;
  readonly database?: never;
}

/** An RDS instance or cluster with a generated secret it rotates. */
export type ManagedDatabase = IConstruct & RotatableDatabase & { readonly secret?: secretsmanager.ISecret };

/** What a subclass states once, in its `super` call. */
export interface DatabaseOutline {
  /** `instance` or `cluster`: names the log group `/aws/rds/<kind>/<id>/postgresql`. */
  readonly kind: DatabaseKind;
  /** The prop that holds the identifier, named in its error. */
  readonly identifierProp: string;
  /** The identifier given in the props; it must name the database. @default `schemaguard-${stage}-${databaseName}` */
  readonly identifier?: string;
  /** @default 0 */
  readonly natGateways?: number;
  /** Added to `schemaguard <stage>` in the parameter group's description, e.g. ` (Aurora)`. @default - nothing */
  readonly engineLabel?: string;
}

/**
 * The props of a plain kind both stacks have, checked before they are passed
 * on, so a message names the stack's prop (`guardSchedule`), not the one of
 * the construct it feeds (`schedule`); the subclasses' own numbers are
 * included (a prop a stack does not have is never set).
 */
const STACK_PROP_KINDS: Readonly<Record<string, PropKind>> = {
  databaseName: 'string',
  migrationsDir: 'string',
  contractsDir: 'string',
  snapshotFile: 'string',
  parseAtSynth: 'boolean',
  alarmEmail: 'string',
  alarmHttpsUrl: 'string',
  alarmTicketEmail: 'string',
  alarmTicketHttpsUrl: 'string',
  metricNamespace: 'string',
  guard: 'boolean',
  guardSchedule: 'duration',
  guardRoleRevision: 'number',
  migrationsRevision: 'number',
  instanceIdentifier: 'string',
  natGateways: 'number',
  allocatedStorage: 'number',
  maxAllocatedStorage: 'number',
  clusterIdentifier: 'string',
  minCapacity: 'number',
  maxCapacity: 'number',
};

/** The database's generated master secret, which `createDatabase` must give it (`Credentials.fromGeneratedSecret`). */
function generatedSecret(owner: string, database: ManagedDatabase): secretsmanager.ISecret {
  if (database.secret) return database.secret;
  throw new Error(
    `${owner}: createDatabase made ${database.node.path} without a secret; make it with credentials: rds.Credentials.fromGeneratedSecret(…), whose secret the migrations, the rotation and the endpoint policy use`,
  );
}

/** The outline DatabaseStack and AuroraDatabaseStack share (see the module comment for the order of the parts). */
export abstract class DatabaseStackBase<P extends DatabaseStackCommonProps, E extends rds.IEngine, D extends ManagedDatabase> extends Stack {
  /** What the stage decides: retention and removal of the logs, deletion protection, backups. */
  readonly settings: StageSettings;
  /** The literal instance or cluster identifier: names the database it holds, the log group, prefixes the alarm names, names the dashboard. */
  readonly identifier: string;
  /** The database created and migrated (`databaseName`, or `app`). */
  readonly databaseName: string;
  /** The VPC, its flow logs and the Secrets Manager endpoint (see DatabaseNetwork). */
  readonly network: DatabaseNetwork;
  readonly vpc: ec2.Vpc;
  /** Reached only by the groups allowed to: the rotation function, and the migration handler when it runs in the VPC. */
  readonly secretsManagerEndpoint: ec2.InterfaceVpcEndpoint;
  /** TLS forced, failing statements and lock waits logged (DATABASE_PARAMETERS). */
  readonly parameterGroup: rds.ParameterGroup;
  /** `/aws/rds/<instance|cluster>/<identifier>/postgresql`, made to exist (with its retention) before the database by `postgresLogRetention`. */
  readonly postgresLogGroup: logs.ILogGroup;
  /** The create-or-update resource behind `postgresLogGroup`: what the database and the alarms wait for. */
  readonly postgresLogRetention: logs.LogRetention;
  /** The generated master secret (`username`, `password`, `host`, `port`), rotated every 30 days. */
  readonly secret: secretsmanager.ISecret;
  /** The custom resource that applies the migrations during the deploy. */
  readonly migrations: SchemaMigrations;
  /** Metric filters, alarms, topic, saved queries and dashboard on the PostgreSQL log. */
  readonly alarms: DatabaseAlarms;
  /** The scheduled read-only guard, its role, metrics and alarms (none with `guard: false`). */
  readonly guard?: SchemaGuard;
  /** The instance or cluster (the subclass exposes it under its own name). */
  protected readonly database: D;

  protected constructor(scope: Construct, id: string, props: P, outline: DatabaseOutline) {
    super(scope, id, props);
    const owner = new.target.name;
    refuseWrongKinds(owner, props, STACK_PROP_KINDS);
    refuseUnlessWhole(
      owner,
      'guardRoleRevision',
      props.guardRoleRevision,
      REVISION_RANGE,
      "use a whole number from 0, and raise it to set the guard's role again from its secret",
    );
    this.settings = stageSettings(owner, props.stage, props.logRetention);
    this.databaseName = props.databaseName ?? DEFAULT_DATABASE_NAME;
    this.identifier = databaseIdentifier(owner, outline.identifierProp, props.stage, this.databaseName, outline.identifier);
    this.checkProps(props);

    this.network = new DatabaseNetwork(this, {
      natGateways: outline.natGateways,
      logRetention: this.settings.logRetention,
      logRemovalPolicy: this.settings.logRemovalPolicy,
    });
    this.vpc = this.network.vpc;
    this.secretsManagerEndpoint = this.network.secretsManagerEndpoint;
    const engine = this.engine(props);
    this.parameterGroup = databaseParameterGroup(
      this,
      engine,
      `schemaguard ${props.stage}${outline.engineLabel ?? ''}: TLS forced, failing statements and lock waits logged`,
    );
    ({ logGroup: this.postgresLogGroup, retention: this.postgresLogRetention } = postgresLogGroup(this, outline.kind, this.identifier, this.settings));
    this.database = this.createDatabase(props, engine);
    this.database.node.addDependency(this.postgresLogRetention);
    this.secret = generatedSecret(owner, this.database);
    // The migration handler reads the secret at run time, so rotation never strands it.
    this.network.addSecretRotation(this.database, outline.kind === 'instance' ? 'database' : 'cluster');
    this.acknowledgeFindings(this.database);

    this.migrations = this.addMigrations(props);
    this.alarms = alarmsForStack(this, {
      logGroup: this.postgresLogGroup,
      migrations: this.migrations,
      name: this.identifier,
      alarmEmail: props.alarmEmail,
      alarmHttpsUrl: props.alarmHttpsUrl,
      ticketEmail: props.alarmTicketEmail,
      ticketHttpsUrl: props.alarmTicketHttpsUrl,
      topic: props.alarmTopic,
      ticketTopic: props.alarmTicketTopic,
      metricNamespace: props.metricNamespace,
      topicKeyRemovalPolicy: this.settings.keyRemovalPolicy,
    });
    // The metric filters and saved queries name the log group: it exists first.
    this.alarms.node.addDependency(this.postgresLogRetention);
    this.guard = this.addGuard(props);
    // The endpoint serves the stack's own secrets, no other: the master's, the migrator's and the guard's.
    limitSecretsManagerEndpoint(this.secretsManagerEndpoint, [this.secret, ...[this.migrations.secret, this.guard?.roleSecret].filter((x) => x !== undefined)]);
  }

  /** Refuses the subclass's own props that are out of range (the stage and identifier are checked already). */
  protected abstract checkProps(props: P): void;
  /** The engine of the parameter group and the database. */
  protected abstract engine(props: P): E;
  /** The database in `network`'s isolated subnets, with `parameterGroup`, exporting its log to `postgresLogGroup`. */
  protected abstract createDatabase(props: P, engine: E): D;
  /** How the migrations reach the database. */
  protected abstract migrationConnection(database: D): VpcConnection | DataApiConnection;
  /** The cdk-nag findings on the database that are accepted, with their reasons. */
  protected abstract acknowledgeFindings(database: D): void;

  /** The guard, its alarms into the alarm topics and its rows on the alarms' dashboard; none when turned off. */
  private addGuard(props: P): SchemaGuard | undefined {
    if (props.guard === false) {
      if (props.guardSchedule)
        throw new Error(`${this.constructor.name}: "guardSchedule" is set and "guard" is false; remove guardSchedule, or turn the guard on`);
      if (props.guardRoleRevision !== undefined)
        throw new Error(`${this.constructor.name}: "guardRoleRevision" is set and "guard" is false; remove guardRoleRevision, or turn the guard on`);
      return undefined;
    }
    return new SchemaGuard(this, 'SchemaGuard', {
      migrations: this.migrations,
      schedule: props.guardSchedule,
      roleRevision: props.guardRoleRevision,
      databaseIdentifier: this.identifier,
      topic: this.alarms.topic,
      ticketTopic: this.alarms.ticketTopic,
      dashboard: this.alarms.dashboard,
      alarmNamePrefix: this.identifier,
      logRetention: this.settings.logRetention,
      logRemovalPolicy: this.settings.logRemovalPolicy,
    });
  }

  private addMigrations(props: P): SchemaMigrations {
    return new SchemaMigrations(this, 'SchemaMigrations', {
      ...this.migrationConnection(this.database),
      // The migrations run as a migrator made from the master secret, which only the role provisioner reads.
      masterSecret: this.secret,
      databaseName: this.databaseName,
      revision: props.migrationsRevision,
      migrationsDir: props.migrationsDir,
      contractsDir: props.contractsDir,
      snapshotFile: props.snapshotFile,
      parseAtSynth: props.parseAtSynth,
      logRetention: this.settings.logRetention,
      logRemovalPolicy: this.settings.logRemovalPolicy,
      databaseLogGroupName: this.postgresLogGroup.logGroupName,
    });
  }
}
