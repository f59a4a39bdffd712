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
import { readFileSync } from 'node:fs';
import { Annotations, Aspects, CfnOutput, CustomResource, Duration, RemovalPolicy, Resource, Stack, Token, type CfnResource } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct, type IConstruct, type IDependable } from 'constructs';
import { ATTR, DEFAULTS, ENV, IS_COMPLETE_HANDLER_NAME, ON_EVENT_HANDLER_NAME, PROP } from '../lambda/handler/constants';
import { readFiles, summariseFiles, type FilesSummary } from '../lambda/handler/files-hash';
import { describeSubfolders, sqlSubfolders } from '../lambda/engine/files/subfolders';
import { DEFAULT_MEMORY_MB, heapOptions, maxFileBytesFor, memoryFix } from '../lambda/handler/memory';
import { InputError } from '../lambda/engine/errors/errors';
import { loadMigrations, type Migration } from '../lambda/engine/files/source';
import type { MigrationLayout } from '../lambda/engine/files/layout';
import { refuseUnwrittenTemplates } from '../lambda/engine/files/template';
import { baselineProperties, operatorEnvironment, type OperatorCommands, type SchemaMigrationsBaseline } from './adoption-props';
import { databaseIdentity } from './database-identity';
import { checkHandlerBundle, handlerCode } from './handler-asset';
import { authEnvironment, grantIamConnect, proxyEnvironment, resolveAuth, type DatabaseAuth, type IamAuthenticationProps } from './database-auth';
import { acknowledge, arnToken } from './nag';
import { refuseUnlessWhole, refuseWrongKinds, type PropKind } from './prop-types';
import { checkMigratorProps, defaultMigratorRoleName, limitReaders, RoleProvisioner } from './migrator-role';
import { defaultVersionParameterName, exportedAttributeProblems, readVersion, refuseBadParameterName, versionParameter } from './schema-version';
import { claimStateTable, resolveStateSchema } from './state-schema';
import { refuseUnparsable } from './synth-parse';
import type { ProjectConfig } from './config/load';
import { SETTINGS, SettingValueError } from './config/settings';
import type { BackfillSettings } from '../lambda/engine/backfill/run';
import { projectConfigFor, resolveUserFiles, type UserFileProps, type UserFiles } from './user-files';
import { BackfillWorkflow } from './backfill/backfill-workflow';
import { DEFAULT_STATE_SCHEMA } from '../lambda/engine/state/state';
import { andList, oneOrMany, plural } from '../lambda/engine/errors/words';

/** What SchemaMigrations takes whichever way it reaches the database (SchemaMigrationsProps adds the way). */
export interface SchemaMigrationsBaseProps extends UserFileProps {
  /**
   * Secret with the credentials the migrations run as (`username`, `password`, `host`, `port`), read by the handler at run time:
   * a migrator role of your own (docs/guide/roles.md lists what it needs), or the master user's (which can do anything:
   * prefer `masterSecret`). An rds.DatabaseInstance or DatabaseCluster has one (`.secret`) with
   * `Credentials.fromGeneratedSecret(…)` or `fromSecret(…)`; with `Credentials.fromPassword(…)` its `.secret` is undefined, and synth stops.
   * @default - none: `masterSecret` or `iamAuthentication` must be set instead
   */
  readonly secret?: secretsmanager.ISecret;
  /**
   * The master user's secret: the deploy makes a dedicated migrator role from it, before the migrations, and the
   * migrations run as that role (no SUPERUSER, CREATEROLE or CREATEDB, no membership in the master user or
   * rds_superuser: docs/guide/roles.md). Only the role provisioner, a function of its own, may read it; the migration
   * handler reads the migrator's generated secret (attached to `database` or `dataApiCluster`, which must be an rds
   * instance or cluster). Excludes `secret`.
   * @default - none: the migrations run as `secret`'s user
   */
  readonly masterSecret?: secretsmanager.ISecret;
  /**
   * The migrator's role name, with `masterSecret`.
   * @default - `schemaguard_migrator_<databaseName>` (and `_<stateSchema>` when it is not the default), folded to a plain identifier
   */
  readonly migratorRoleName?: string;
  /**
   * With `masterSecret`: the schemas whose objects the master user owns and the migrator takes over (a database
   * migrated as the master before, or made by hand). The state schema is always one; objects of other roles are
   * left alone, and so is every other schema (another service's).
   * @default - `public` and the snapshot's schemas (`snapshotFile`), when there is one
   */
  readonly migratorSchemas?: string[];
  /**
   * With `masterSecret`: extensions the master user creates before the migrations, because the migrator may not:
   * on RDS only rds_superuser creates an extension RDS does not trust (the migrator creates trusted ones, pgcrypto
   * among them, with its CREATE on the database). The migrations' own `CREATE EXTENSION IF NOT EXISTS` then finds it.
   * @default - none
   */
  readonly masterExtensions?: string[];
  /**
   * With `masterSecret`: raise it to set the migrator's password again from its secret (after a new value was put
   * in the secret, or the password was changed in the database: every deploy then fails with 28P01). The role is set
   * whenever the migrator resource's properties change; this is the one to change when nothing else does.
   * @default 0
   */
  readonly migratorRevision?: number;
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
   * @default - the project file's "stateSchema" (schemaguard.config.json, found from the working directory up), else 'schemaguard'
   */
  readonly stateSchema?: string;
  /**
   * `lock_timeout` for each migration that sets none itself (`-- schemaguard:lock-timeout=…`),
   * as the CLI's `--lock-timeout`: from 1 ms to 10 minutes. A lock timeout is retried with backoff.
   * @default - the project file's "lockTimeout", else Duration.seconds(5)
   */
  readonly lockTimeout?: Duration;
  /**
   * Directory of the migration files, shipped with the handler; it must exist (it may be empty).
   * Only its own `.sql` files are shipped and hashed (a README there changes nothing).
   * A relative path resolves against the working directory (where `cdk synth` runs the app), as
   * with `Code.fromAsset`.
   * @default - the project file's "migrations" (schemaguard.config.json, found from the working directory up; relative to the file), else `./migrations` beside it or in the working directory; synth stops, naming the path, when it is not there
   */
  readonly migrationsDir?: string;
  /**
   * How `migrationsDir` is laid out: `flat` (`<version>_<name>.sql` files),
   * `prisma` (the folder `prisma migrate dev` writes: `<timestamp>_<name>/migration.sql`
   * and migration_lock.toml, version = the folder's number) or `drizzle` (the
   * folder `drizzle-kit generate` writes: meta/_journal.json's order, version =
   * the entry's idx). As the CLI's `--layout`.
   * @default - detected: drizzle with meta/_journal.json, prisma with migration_lock.toml or a <number>_<name>/migration.sql folder, else flat
   */
  readonly migrationsLayout?: MigrationLayout;
  /**
   * Directory of the contract files, shipped with the handler and hashed with the migrations; it
   * must exist when given. Only its own `.sql` files are contracts (shipped and hashed): other
   * files there (another tool's JSON contracts, a README) are left out. A relative path resolves
   * against the working directory.
   * @default - the project file's "contracts", else `./contracts`, when it exists (synth says so in an info annotation); otherwise no contracts
   */
  readonly contractsDir?: string;
  /**
   * Schema snapshot the live schema is compared with after migrating; drift is reported in the
   * response (`Drift`) and the log. It must exist when given. A relative path resolves against the
   * working directory.
   * @default - the project file's "snapshot", else `schema.snapshot.json` in the migrations directory (the CLI's `--snapshot` default), when it exists; otherwise no drift check
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
   * How `-- schemaguard:backfill` statements run: the keys of the project
   * file's `backfill` (batch sizes, health bounds), each given winning over
   * the file's. A deploy runs a backfill's expand and first batch; a file
   * that says `-- schemaguard:after-backfill` of one not done fails the
   * deploy, naming it (docs/guide/backfills.md).
   * @default - the project file's `backfill`, else batches of 200 ms paused past a standby lag of 10 s, 1 GB of WAL retained by a logical slot, autovacuum on the table or 3 waiting sessions
   */
  readonly backfill?: BackfillProps;
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
  /**
   * What a database that already has a schema holds, for the first deploy
   * onto it (docs/guide/existing-database.md): `{ version, reason }` records the files
   * up to that version as applied without running them and applies the rest
   * in the same deploy; `{ from: 'flyway', reason }` takes the version from
   * another tool's history table, as `schemaguard baseline --from`;
   * `{ version: 'none', reason }` runs every file beside tables that are not
   * the files'. Ignored, and said so in the log and the response's
   * `Baseline`, once schemaguard has recorded anything on the database. A
   * version no file has stops synth.
   * @default - none: a first deploy onto a database that has tables (or another tool's history) is refused before anything runs, the message naming this prop and the version the database appears to be at
   */
  readonly baseline?: SchemaMigrationsBaseline;
  /**
   * What the migration function (`onEventHandler`) answers when invoked
   * directly by `schemaguard … --function <name>`: the read-only commands
   * (status, plan, diff, guard, doctor) always, to whoever may invoke it
   * (lambda:InvokeFunction, which this construct grants no one);
   * `baseline` and `repair` only with `writes: true`.
   * @default - the read-only commands only
   */
  readonly operatorCommands?: OperatorCommands;
  /**
   * Raise it (a whole number: 1, then 2 …) to make the next deploy run the
   * migrations and their checks again when nothing else changed: the custom
   * resource runs only when its properties change (the files, the database's
   * identity, this). For a database replaced outside this stack's knowledge
   * (one of another stack, or restored by hand under the same endpoint).
   * @default - no `Revision` property
   */
  readonly revision?: number;
  /**
   * Name of the SSM parameter the stack writes the schema version to (see
   * `versionFor`). Given, the parameter is always created; otherwise only when
   * `versionFor` or `versionParameter` is used.
   * @default - `/schemaguard/<stack name>/<construct path>/schema-version`
   */
  readonly versionParameterName?: string;
}

/**
 * Migrate over a connection from the VPC: the function runs in `vpc`, and
 * `database`'s security group admits it on the database's port.
 */
export interface DirectConnectionProps {
  /**
   * The instance or cluster to migrate over a connection: the function is allowed to reach its port, and the resource waits for it.
   */
  readonly database: ec2.IConnectable & IDependable;
  /** VPC the function runs in (the database's). */
  readonly vpc: ec2.IVpc;
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
   * Something the function must reach on 443 for CloudFormation (an interface
   * VPC endpoint with private DNS), when `secretsManagerEndpoint` is given: on
   * an Update that fails, the handler asks CloudFormation whether the stack is
   * rolling back (a rollback is reported, never failed). Without it, in subnets
   * with no route out, that question goes unanswered and a failing rollback
   * Update fails as any other.
   * @default - with `secretsManagerEndpoint`: no route to CloudFormation (synth warns); without it: HTTPS to anywhere is allowed already
   */
  readonly cloudFormationEndpoint?: ec2.IConnectable;
  /**
   * Something the function must reach on 443 for Step Functions (an
   * interface VPC endpoint with private DNS), when a migration has a
   * `-- schemaguard:backfill` and `secretsManagerEndpoint` is given (or IAM
   * authentication): the deploy starts the backfill's workflow. Made on
   * first use when given as a construct that makes it then (DatabaseStack's).
   * @default - without `secretsManagerEndpoint` and IAM authentication: HTTPS to anywhere is allowed already; otherwise synth refuses a backfill
   */
  readonly stepFunctionsEndpoint?: ec2.IConnectable;
  /**
   * IAM database authentication instead of a secret: the handler connects as
   * this database user (granted `rds_iam`) with a token signed for each
   * connection, over verified TLS; its role gets `rds-db:connect` on that
   * user of `database` only (an rds.DatabaseInstance, DatabaseCluster or
   * DatabaseProxy, in this stack) and reads no secret. The RDS Data API takes a secret only, so
   * DataApiConnectionProps has none.
   * @default - none: the handler reads `secret`
   */
  readonly iamAuthentication?: IamAuthenticationProps;
  /** The Data API is the other way (DataApiConnectionProps), not with a connection. */
  readonly dataApiCluster?: never;
}

/** Migrate through the RDS Data API, from outside the VPC: no connection, no VPC. */
export interface DataApiConnectionProps {
  /**
   * An Aurora cluster with the Data API enabled (`enableDataApi: true`, or
   * imported with `dataApiEnabled: true`), migrated through the RDS Data API
   * instead of a connection: the function runs outside the VPC and may call
   * only rds-data:ExecuteStatement, BeginTransaction, CommitTransaction and
   * RollbackTransaction on this cluster (and read `secret`, which the Data API
   * needs from its caller). A cluster without the Data API on stops synth,
   * naming the setting: SchemaMigrations never turns it on itself (it leaves
   * the cluster as you made it).
   */
  readonly dataApiCluster: rds.IDatabaseCluster;
  /** A connection's (DirectConnectionProps): not with `dataApiCluster`. */
  readonly database?: never;
  /** A connection's (DirectConnectionProps): not with `dataApiCluster`. */
  readonly vpc?: never;
  /** A connection's (DirectConnectionProps): not with `dataApiCluster`. */
  readonly vpcSubnets?: never;
  /** A connection's (DirectConnectionProps): not with `dataApiCluster`. */
  readonly port?: never;
  /** A connection's (DirectConnectionProps): not with `dataApiCluster`. */
  readonly secretsManagerEndpoint?: never;
  /** A connection's (DirectConnectionProps): not with `dataApiCluster`. */
  readonly cloudFormationEndpoint?: never;
  /** A connection's (DirectConnectionProps): not with `dataApiCluster`. */
  readonly stepFunctionsEndpoint?: never;
  /** The RDS Data API authenticates with a secret only: pass `secret` or `masterSecret`. */
  readonly iamAuthentication?: never;
}

/**
 * SchemaMigrations' props: the common ones (SchemaMigrationsBaseProps) and
 * one way to reach the database, a connection (`database` + `vpc`:
 * DirectConnectionProps) or the RDS Data API (`dataApiCluster`:
 * DataApiConnectionProps). The compiler refuses a mix of the two, and synth
 * refuses one from JavaScript.
 */
export type SchemaMigrationsProps = SchemaMigrationsBaseProps & (DirectConnectionProps | DataApiConnectionProps);

/** How SchemaMigrations waits for standbys after applying. */
/** The project file's `backfill` keys, as a prop (lib/config/settings.ts reads both). */
export interface BackfillProps {
  /** The duration each batch is sized to take, e.g. `"200ms"`. @default "200ms" */
  readonly batchTime?: string;
  /** The fewest keys one batch covers. @default 100 */
  readonly minRows?: number;
  /** The most keys one batch covers. @default 50000 */
  readonly maxRows?: number;
  /** A standby's or Aurora reader's lag past which batches pause, e.g. `"10s"`. @default "10s" */
  readonly standbyLag?: string;
  /** WAL a logical slot retains past which batches pause, e.g. `"1GB"`. @default "1GB" */
  readonly slotRetainedWal?: string;
  /** Which autovacuum on the table pauses batches. @default "pause" */
  readonly autovacuum?: 'pause' | 'wraparound' | 'ignore';
  /** Sessions waiting behind one batch at once that pause the next. @default 3 */
  readonly lockWaiters?: number;
}

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
    throw new Error(
      `SchemaMigrations: "standbys.wait" is ${wait instanceof Duration && !Token.isUnresolved(wait.toMilliseconds()) ? `${wait.toSeconds()} s` : String(wait)}; use a Duration from 0 to 15 minutes (the wait runs inside one handler invocation, within its time)`,
    );
  }
}

/** The props of a plain kind, checked at run time (a JavaScript app, a value from context). */
const PROP_KINDS: Readonly<Record<string, PropKind>> = {
  databaseName: 'string',
  stateSchema: 'string',
  migrationsDir: 'string',
  migrationsLayout: 'string',
  contractsDir: 'string',
  snapshotFile: 'string',
  databaseLogGroupName: 'string',
  replicationPlanned: 'string',
  migratorRoleName: 'string',
  migratorSchemas: 'strings',
  masterExtensions: 'strings',
  migratorRevision: 'number',
  failOnDrift: 'boolean',
  parseAtSynth: 'boolean',
  outputs: 'boolean',
  memorySize: 'number',
  revision: 'number',
  versionParameterName: 'string',
  handlerTimeout: 'duration',
  reserve: 'duration',
  lockTimeout: 'duration',
  queryInterval: 'duration',
  totalTimeout: 'duration',
  serviceTimeout: 'duration',
  port: 'port',
  vpcSubnets: 'subnets',
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

/** The props refused before anything is built (wrong kinds, a bad revision, migrator props without a master), and the credentials they give. */
function checkedAuth(props: SchemaMigrationsProps): ReturnType<typeof resolveAuth> {
  const given = resolveAuth('SchemaMigrations', {
    secret: props.secret,
    masterSecret: props.masterSecret,
    iamAuthentication: props.iamAuthentication,
    dataApi: props.dataApiCluster !== undefined,
  });
  refuseMigratorPropsWithoutMaster(props);
  refuseWrongKinds('SchemaMigrations', props, PROP_KINDS);
  refuseUnlessWhole(
    'SchemaMigrations',
    'revision',
    props.revision,
    [0, Number.MAX_SAFE_INTEGER],
    'use a whole number from 0, and raise it to run the migrations again',
  );
  return given;
}

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
  /** Highest applied version after the deploy (`none` for an empty database), via GetAtt: in this stack only (another stack: `versionFor`; synth refuses it there). */
  readonly currentVersion: string;
  /** Number of applied migrations after the deploy, via GetAtt: in this stack only (synth refuses it in another). */
  readonly appliedCount: string;
  /** Versions this deploy applied (comma-separated, may be empty), via GetAtt: in this stack only (synth refuses it in another). */
  readonly appliedVersions: string;
  /** `applied`, `up-to-date`, `database-ahead` or `rollback-problem`, via GetAtt. */
  readonly outcome: string;
  /** How the handler reaches the database (SchemaGuard reaches it the same way). */
  readonly target: MigrationsTarget;
  /** The app's migrations, contracts and snapshot, as absolute paths. */
  readonly userFiles: UserFiles;
  /** The database secret the handler reads (or the Data API reads for it): the migrator's with `masterSecret`; undefined with IAM authentication. */
  readonly secret?: secretsmanager.ISecret;
  /** The role provisioner (`masterSecret`): the migrator, its secret, and the function that may read the master secret. */
  readonly roles?: RoleProvisioner;
  /** How the handler authenticates (SchemaGuard's functions reach the database the same way). */
  readonly auth: DatabaseAuth;
  /** `databaseName` as given. */
  readonly databaseName?: string;
  /** Schema of the state table (`stateSchema`, or its default `schemaguard`). */
  readonly stateSchema: string;
  /**
   * The database's identity in the resource properties (the instance's
   * DbiResourceId, the cluster's DBClusterResourceId, or an endpoint): a
   * replaced database has another, so the deploy that replaces it migrates it.
   * Undefined for a database of another stack (see `revision`).
   */
  readonly databaseIdentity?: string;
  /** `revision` as given. */
  readonly revision?: number;
  /** When a migration has a `-- schemaguard:backfill`: the Step Functions workflow that runs backfills after the deploy that started them. */
  readonly backfillWorkflow?: BackfillWorkflow;
  /** The role of both handlers (onEvent and isComplete). */
  private readonly handlerRole: iam.Role;
  private readonly givenVersionParameterName?: string;
  private ownVersionParameter?: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: SchemaMigrationsProps) {
    super(scope, id);
    const given = checkedAuth(props);
    const project = projectConfigFor('SchemaMigrations', process.cwd());
    const settings = resolveSettings(props, project);
    this.target = resolveTarget(props);
    const database = targetDatabase(this.target);
    const stateSchema = props.stateSchema ?? project.settings.stateSchema;
    this.stateSchema = resolveStateSchema(stateSchema);
    claimStateTable(this, { database, secret: given.kind === 'secret' ? given.secret : undefined, databaseName: props.databaseName }, this.stateSchema);
    this.files = summariseFiles(settings.migrationsDir, settings.contractsDir, settings.migrationsLayout);
    refuseTooLarge(this.files, props.memorySize ?? DEFAULT_MEMORY_MB);
    const migrations = refuseUnloadable(settings, props.memorySize ?? DEFAULT_MEMORY_MB);
    const baselineProps = baselineProperties(props.baseline, migrations);
    if (props.parseAtSynth ?? true) refuseUnparsable('SchemaMigrations', settings, { filesHash: this.files.hash });
    if (settings.migrationsLayout === 'flat') warnOfSubfolders(this, settings.migrationsDir);
    noteImplicitFiles(this, props, settings, project);
    if (this.target.kind === 'connection' && given.kind === 'secret' && !this.target.secretsManagerEndpoint) warnOfUnreachableSecretsManager(this, this.target);
    if (this.target.kind === 'connection' && given.kind === 'iam') refuseIamAcrossStacks(this, this.target.database);
    this.userFiles = {
      migrationsDir: settings.migrationsDir,
      migrationsLayout: settings.migrationsLayout,
      contractsDir: settings.contractsDir,
      snapshotFile: settings.snapshotFile,
    };
    this.databaseName = props.databaseName;
    this.revision = props.revision;
    this.databaseIdentity = databaseIdentity(this, database, 'revision')?.value;
    if (props.versionParameterName !== undefined) refuseBadParameterName(props.versionParameterName);
    this.givenVersionParameterName = props.versionParameterName;

    this.logGroup = new logs.LogGroup(this, 'HandlerLogs', { retention: settings.retention, removalPolicy: settings.removalPolicy });
    this.roles = props.masterSecret ? this.roleProvisioner(props, props.masterSecret, settings) : undefined;
    this.secret = this.roles?.secret ?? props.secret;
    this.auth = this.secret ? { kind: 'secret', secret: this.secret } : given;
    this.securityGroup = this.target.kind === 'connection' ? handlerSecurityGroup(this, this.target, this.auth) : undefined;
    this.handlerRole = handlerRole(this, this.target, this.auth);
    const functionProps = this.handlerFunctionProps(props, settings, this.handlerRole, stateSchema, this.auth);
    this.onEventHandler = new lambda.Function(this, 'OnEvent', { ...functionProps, handler: `index.${ON_EVENT_HANDLER_NAME}` });
    this.isCompleteHandler = new lambda.Function(this, 'IsComplete', { ...functionProps, handler: `index.${IS_COMPLETE_HANDLER_NAME}` });
    this.backfillWorkflow = migrations.some((m) => m.backfill) ? this.workflowFor(settings) : undefined;
    this.provider = this.waiterProvider(settings);
    this.resource = this.migrationsResource(settings, baselineProps);
    // The deploy starts a backfill's execution: the state machine, and the handler's permission to start it, exist first.
    if (this.backfillWorkflow) this.resource.node.addDependency(this.backfillWorkflow);
    // The database (and its security group rules, children of it) must exist before the first run.
    this.resource.node.addDependency(database);
    // And the handler's own rules (egress to the database and to Secrets Manager), and the endpoint it reads the secret through.
    if (this.securityGroup) this.resource.node.addDependency(this.securityGroup);
    // Only a construct can be waited for (an endpoint, not a Peer or a bare Connections).
    for (const endpoint of this.target.kind === 'connection'
      ? [this.target.secretsManagerEndpoint, this.target.cloudFormationEndpoint, this.target.stepFunctionsEndpoint]
      : []) {
      if (endpoint && Construct.isConstruct(endpoint)) this.resource.node.addDependency(endpoint);
    }
    if (this.roles) {
      // The migrations run as the migrator: it exists first; its secret is read by the migration handler and the provisioner alone.
      this.resource.node.addDependency(this.roles.resource);
      limitReaders(this.roles.secret, [this.handlerRole, this.roles.role]);
    }
    acknowledgeNagFindings(this);
    const resource = this.resource.node.defaultChild as CfnResource;
    this.node.addValidation({ validate: () => exportedAttributeProblems(this, resource, (attribute) => crossStackFix(attribute)) });

    this.currentVersion = this.resource.getAttString(ATTR.currentVersion);
    this.appliedCount = this.resource.getAttString(ATTR.appliedCount);
    this.appliedVersions = this.resource.getAttString(ATTR.appliedVersions);
    this.outcome = this.resource.getAttString(ATTR.outcome);
    if (props.outputs ?? true) {
      new CfnOutput(this, 'CurrentVersion', { value: this.currentVersion, description: 'Highest applied schema migration version' });
      new CfnOutput(this, 'AppliedCount', { value: this.appliedCount, description: 'Number of applied schema migrations' });
    }
    if (props.versionParameterName !== undefined) void this.versionParameter;
  }

  /** The name of the SSM parameter that holds the schema version for other stacks (`versionParameterName` or its default). */
  get versionParameterName(): string {
    return this.givenVersionParameterName ?? defaultVersionParameterName(this);
  }

  /**
   * The SSM parameter (`versionParameterName`) this stack writes the schema
   * version to after every deploy that runs the migrations; made on first use.
   */
  get versionParameter(): ssm.StringParameter {
    this.ownVersionParameter ??= versionParameter(this, this.versionParameterName, this.currentVersion);
    return this.ownVersionParameter;
  }

  /**
   * The schema version as `scope` may use it: in this stack, the custom
   * resource's CurrentVersion (a GetAtt, after the migrations); in another
   * stack, the SSM parameter `versionParameter` read as that stack's
   * deploy-time parameter, with that stack made to deploy after this one — not
   * an export, which CloudFormation would refuse to change once imported.
   * Put it in a function's environment, and the function is updated in the
   * deploy that changes the schema.
   */
  versionFor(scope: IConstruct): string {
    if (Stack.of(scope) === Stack.of(this)) return this.currentVersion;
    void this.versionParameter;
    return readVersion(scope, this, this.versionParameterName);
  }

  /**
   * The role provisioner for `masterSecret`: the migration handler's code, network and log group, the master secret
   * as its database secret, a role of its own (the only one that may read the master secret).
   */
  private roleProvisioner(props: SchemaMigrationsProps, masterSecret: secretsmanager.ISecret, settings: Settings): RoleProvisioner {
    const migrator = migratorSettings(props, this.stateSchema, settings);
    return new RoleProvisioner(this, 'Roles', {
      masterSecret,
      database: targetDatabase(this.target),
      ...migrator,
      inVpc: this.target.kind === 'connection',
      makeFunction: (scope, role, databaseSecret) =>
        new lambda.Function(scope, 'Function', {
          ...this.handlerFunctionProps(props, settings, role, this.stateSchema === DEFAULT_STATE_SCHEMA ? undefined : this.stateSchema, {
            kind: 'secret',
            secret: databaseSecret,
          }),
          handler: `index.${ON_EVENT_HANDLER_NAME}`,
          description: "schemaguard: makes the migrator and the guard's roles, as the master user, during cdk deploy",
        }),
      baseStatements: (role) => {
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({ sid: 'OwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }),
        );
        role.addToPrincipalPolicy(reachStatement(this.target));
      },
      secretStatements: (secret, name) => secretStatements(secret, Stack.of(this).region, name),
    });
  }

  /** The function and provider that make roles (the guard's): the role provisioner with `masterSecret`, else the migrations' own. */
  roleSetter(): { serviceToken: string; functionRole: iam.IRole; migratorRoleName?: string } {
    if (this.roles) return { serviceToken: this.roles.provider.serviceToken, functionRole: this.roles.role, migratorRoleName: this.roles.roleName };
    return { serviceToken: this.provider.serviceToken, functionRole: this.handlerRole };
  }

  /** What onEvent and isComplete share: one code asset, the role, the network, the log group, the environment. */
  private handlerFunctionProps(
    props: SchemaMigrationsProps,
    settings: Settings,
    role: iam.IRole,
    stateSchema: string | undefined,
    auth: DatabaseAuth,
  ): Omit<lambda.FunctionProps, 'handler'> {
    return {
      code: handlerCode(settings),
      // The bundle targets node22 (scripts/build-handler.mjs).
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? DEFAULT_MEMORY_MB,
      timeout: settings.handlerTimeout,
      role,
      ...(this.target.kind === 'connection' && this.securityGroup
        ? {
            vpc: this.target.vpc,
            vpcSubnets: this.target.vpcSubnets,
            securityGroups: [this.securityGroup],
          }
        : {}),
      logGroup: this.logGroup,
      environment: {
        ...handlerEnvironment(this, props, settings, auth, this.target),
        ...(stateSchema === undefined ? {} : { [ENV.stateSchema]: this.stateSchema }),
      },
      description: 'schemaguard: applies the migrations during cdk deploy',
    };
  }

  /**
   * The backfills' workflow, invoking onEvent for each slice, and what the
   * handlers may do with it: start it (a policy of its own: in the role's
   * default policy it would make the functions, which the state machine
   * invokes, depend on it), over HTTPS to Step Functions.
   */
  private workflowFor(settings: Settings): BackfillWorkflow {
    const workflow = new BackfillWorkflow(this, 'BackfillWorkflow', {
      migrationFunction: this.onEventHandler,
      functionTimeout: settings.handlerTimeout,
      logRetention: settings.retention,
      logRemovalPolicy: settings.removalPolicy,
    });
    this.handlerRole.attachInlinePolicy(new iam.Policy(workflow, 'StartPolicy', { statements: [workflow.startStatement()] }));
    if (this.target.kind === 'connection' && this.securityGroup) reachStepFunctions(this.securityGroup, this.target, this.auth);
    return workflow;
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
      waiterStateMachineLogOptions: { destination: this.waiterLogGroup(settings), level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
  }

  /**
   * The waiter state machine's log group, under `/aws/vendedlogs/states/`:
   * Step Functions delivers its logs as vended logs, and a group outside that
   * prefix is added to the account's CloudWatch Logs resource policy, whose
   * size is limited (in an account with many deliveries, creating the state
   * machine fails). Named after the isComplete function, whose generated name
   * is new each time the stack is created, so a retained group never collides
   * with the next one.
   */
  private waiterLogGroup(settings: Settings): logs.LogGroup {
    return new logs.LogGroup(this, 'WaiterLogs', {
      logGroupName: `/aws/vendedlogs/states/schemaguard-waiter-${this.isCompleteHandler.functionName}`,
      retention: settings.retention,
      removalPolicy: settings.removalPolicy,
    });
  }

  /**
   * The custom resource. Only its properties make CloudFormation send an
   * Update: the files (hash, count, newest version), the database's identity
   * and name (a replaced database is migrated in the deploy that replaces it),
   * `revision`, and `baseline` when set. Unchanged, nothing runs.
   */
  private migrationsResource(settings: Settings, baseline: Record<string, string>): CustomResource {
    return new CustomResource(this, 'Resource', {
      serviceToken: this.provider.serviceToken,
      resourceType: 'Custom::SchemaMigrations',
      serviceTimeout: settings.serviceTimeout,
      properties: {
        [PROP.filesHash]: this.files.hash,
        [PROP.latestVersion]: String(this.files.latestVersion),
        [PROP.migrationCount]: String(this.files.migrationCount),
        ...baseline,
        ...(this.databaseIdentity === undefined ? {} : { [PROP.databaseIdentity]: this.databaseIdentity }),
        ...(this.databaseName === undefined ? {} : { [PROP.databaseName]: this.databaseName }),
        ...(this.revision === undefined ? {} : { [PROP.revision]: String(this.revision) }),
        ...(this.backfillWorkflow ? { [PROP.backfillStateMachine]: this.backfillWorkflow.stateMachine.stateMachineArn } : {}),
      },
    });
  }
}

/** The handler's group: egress to the database port, to Secrets Manager and to CloudFormation only; the database's group admits it. */
function handlerSecurityGroup(scope: Construct, network: ConnectionTarget, auth: DatabaseAuth): ec2.SecurityGroup {
  const { secretsManagerEndpoint, cloudFormationEndpoint } = network;
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
    Annotations.of(scope).addWarningV2(
      'schemaguard:databaseWithoutSecurityGroups',
      `the database had no security group when SchemaMigrations was made (imported without "securityGroups"), so its ingress from the handler is not written: allow the handler's group (SchemaMigrations.securityGroup) on ${network.port.toString()} in the database's group, or import the database with its securityGroups` +
        (cidr
          ? ''
          : `; the VPC's CIDR is not known either (imported without vpcCidrBlock), so the handler has no egress to ${network.port.toString()}: add it (securityGroup.addEgressRule)`),
    );
  }
  // A token is signed locally, from the function's credentials: with IAM authentication nothing else is reached.
  if (auth.kind === 'iam') return securityGroup;
  if (secretsManagerEndpoint) {
    securityGroup.connections.allowTo(secretsManagerEndpoint, ec2.Port.tcp(443), 'schemaguard migrations handler to Secrets Manager');
    if (cloudFormationEndpoint)
      securityGroup.connections.allowTo(
        cloudFormationEndpoint,
        ec2.Port.tcp(443),
        'schemaguard migrations handler to CloudFormation (is the stack rolling back?)',
      );
    else warnOfUnreachableCloudFormation(scope);
  } else {
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'schemaguard migrations handler to Secrets Manager and CloudFormation (HTTPS)');
  }
  return securityGroup;
}

/**
 * HTTPS to Step Functions for a backfill's start: through `stepFunctionsEndpoint`,
 * or already open (no `secretsManagerEndpoint`, a secret: 443 to anywhere);
 * otherwise the start could not leave the VPC, and synth refuses it.
 */
function reachStepFunctions(securityGroup: ec2.SecurityGroup, network: ConnectionTarget, auth: DatabaseAuth): void {
  if (network.stepFunctionsEndpoint) {
    securityGroup.connections.allowTo(
      network.stepFunctionsEndpoint,
      ec2.Port.tcp(443),
      "schemaguard migrations handler to Step Functions (a backfill's workflow)",
    );
    return;
  }
  if (!network.secretsManagerEndpoint && auth.kind === 'secret') return;
  throw new Error(
    'SchemaMigrations: a migration has a -- schemaguard:backfill, whose workflow the deploy starts on Step Functions, and the handler reaches HTTPS ' +
      (auth.kind === 'iam' ? 'nowhere (IAM authentication)' : 'only through "secretsManagerEndpoint"') +
      ": add an interface endpoint and pass it: stepFunctionsEndpoint: vpc.addInterfaceEndpoint('StepFunctions', { service: ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS })",
  );
}

/** Egress to Secrets Manager's endpoint only: the handler cannot ask CloudFormation whether a failing Update is a rollback. */
function warnOfUnreachableCloudFormation(scope: Construct): void {
  Annotations.of(scope).addWarningV2(
    'schemaguard:cloudFormationUnreachable',
    'the handler reaches HTTPS only through "secretsManagerEndpoint", so it cannot ask CloudFormation whether the stack is rolling back: ' +
      'an Update of a rollback that meets an unreachable database, a failing contract or drift with failOnDrift fails the rollback (UPDATE_ROLLBACK_FAILED) instead of reporting it. ' +
      "Add an interface endpoint and pass it: cloudFormationEndpoint: vpc.addInterfaceEndpoint('CloudFormation', { service: ec2.InterfaceVpcEndpointAwsService.CLOUDFORMATION })",
  );
}

/** What to use instead of an attribute of the custom resource in another stack. */
function crossStackFix(attribute: string): string {
  return attribute === ATTR.currentVersion
    ? 'Read it there through SSM: migrations.versionFor(this) (the stack writes it to the parameter migrations.versionParameterName; the reading stack gets it as a deploy-time parameter and deploys after this one)'
    : `Only CurrentVersion is handed to other stacks (migrations.versionFor(this), through SSM); use ${attribute} in the migrations' own stack, or read it from the handler's log`;
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
function handlerRole(self: SchemaMigrations, target: MigrationsTarget, auth: DatabaseAuth): iam.Role {
  const inVpc = target.kind === 'connection';
  const role = new iam.Role(self, 'HandlerRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: inVpc
      ? 'schemaguard migrations handler: its own logs, its VPC network interfaces, and the one database secret'
      : 'schemaguard migrations handler: its own logs, the RDS Data API on the one cluster, and its secret',
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'OwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [self.logGroup.logGroupArn],
    }),
  );
  role.addToPrincipalPolicy(reachStatement(target));
  if (auth.kind === 'iam') grantIamConnect('SchemaMigrations', targetDatabase(target), role, auth.username);
  else for (const statement of secretStatements(auth.secret, Stack.of(self).region)) role.addToPrincipalPolicy(statement);
  // Whether a failing Update is a rollback (lambda/handler/rollback-report.ts): the stack's own status only.
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ sid: 'OwnStackStatus', actions: ['cloudformation:DescribeStacks'], resources: [Stack.of(self).stackId] }),
  );
  return role;
}

/** What a function needs to reach the database: network interfaces in the VPC, or the Data API on the cluster. */
export function reachStatement(target: MigrationsTarget): iam.PolicyStatement {
  return target.kind === 'connection' ? vpcNetworkInterfacesStatement() : dataApiStatement(target.cluster);
}

function vpcNetworkInterfacesStatement(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'VpcNetworkInterfaces',
    actions: [
      'ec2:CreateNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DeleteNetworkInterface',
      'ec2:AssignPrivateIpAddresses',
      'ec2:UnassignPrivateIpAddresses',
    ],
    resources: ['*'],
  });
}

/** The four calls the driver makes, on this cluster only (not rds-data:*, not BatchExecuteStatement). */
function dataApiStatement(cluster: rds.IDatabaseCluster): iam.PolicyStatement {
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
  return [
    read,
    new iam.PolicyStatement({
      sid: `DecryptThe${name}Secret`,
      actions: ['kms:Decrypt'],
      resources: [secret.encryptionKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
    }),
  ];
}

/** The handler's environment: where its files are, which secret, and the optional settings. No secret value. */
function handlerEnvironment(
  scope: Construct,
  props: SchemaMigrationsProps,
  settings: Settings,
  auth: DatabaseAuth,
  target: MigrationsTarget,
): Record<string, string> {
  const environment: Record<string, string> = {
    ...authEnvironment(auth),
    ...(target.kind === 'connection' ? proxyEnvironment(target.database) : {}),
    [ENV.migrationsDir]: DEFAULTS.migrationsDir,
    [ENV.migrationsLayout]: settings.migrationsLayout,
    [ENV.contractsDir]: DEFAULTS.contractsDir,
    [ENV.reserveMs]: String(settings.reserve.toMilliseconds()),
    // A busy runner lock is tried for again in each isComplete, until the next try would end past this.
    [ENV.totalTimeoutMs]: String(settings.totalTimeout.toMilliseconds()),
    [ENV.snapshotFile]: settings.snapshotFile ? DEFAULTS.snapshotFile : '',
    // V8's heap sized by the function's memory, not by what V8 takes the machine to have.
    NODE_OPTIONS: heapOptions(props.memorySize ?? DEFAULT_MEMORY_MB),
  };
  if (settings.lockTimeoutMs !== undefined) environment[ENV.lockTimeoutMs] = String(settings.lockTimeoutMs);
  if (props.failOnDrift) environment[ENV.failOnDrift] = 'true';
  Object.assign(environment, operatorEnvironment(props.operatorCommands));
  if (props.replicationPlanned) environment[ENV.replicationPlanned] = props.replicationPlanned;
  if (settings.standbyWaitMs !== undefined) environment[ENV.standbyWaitMs] = String(settings.standbyWaitMs);
  if (settings.standbyStrict) environment[ENV.standbyStrict] = 'true';
  if (Object.keys(settings.backfill).length > 0) environment[ENV.backfill] = JSON.stringify(settings.backfill);
  if (props.databaseName) environment[ENV.databaseName] = props.databaseName;
  if (props.databaseLogGroupName) environment[ENV.databaseLogGroup] = props.databaseLogGroupName;
  if (target.kind === 'data-api') environment[ENV.clusterArn] = target.cluster.clusterArn;
  // The endpoint, for a secret without a host (an RDS-managed master secret, manageMasterUserPassword): the secret's host comes first.
  // Only from the construct's own stack: from another, it would be an export that blocks replacing the database.
  const sameStack = target.kind === 'connection' && Construct.isConstruct(target.database) && Stack.of(target.database) === Stack.of(scope);
  const endpoint = sameStack ? databaseEndpoint(target.database) : undefined;
  if (endpoint) Object.assign(environment, { [ENV.endpointHost]: endpoint.host, [ENV.endpointPort]: endpoint.port });
  return environment;
}

/**
 * With IAM authentication the handler has no secret to read the host from: the database's endpoint must be
 * in its environment, and from another stack it would be an export, which blocks replacing the database.
 */
function refuseIamAcrossStacks(scope: Construct, database: unknown): void {
  if (Construct.isConstruct(database) && Stack.of(database) === Stack.of(scope)) return;
  throw new Error(
    `SchemaMigrations: with "iamAuthentication" the handler takes the host from the database construct, and ${Construct.isConstruct(database) ? `${database.node.path} is in another stack` : 'the database is not a construct'}; ` +
      "create SchemaMigrations in the database's stack (a cross-stack export of its endpoint would block replacing it), or use a secret that holds the host",
  );
}

/** Host and port of an rds.DatabaseInstance's or DatabaseCluster's endpoint; undefined for another connectable (a proxy). */
export function databaseEndpoint(database: unknown): { host: string; port: string } | undefined {
  const db = database as Partial<rds.IDatabaseInstance & rds.IDatabaseCluster>;
  if (db.dbInstanceEndpointAddress && db.dbInstanceEndpointPort) return { host: db.dbInstanceEndpointAddress, port: db.dbInstanceEndpointPort };
  if (db.clusterEndpoint) return { host: db.clusterEndpoint.hostname, port: Token.asString(db.clusterEndpoint.port) };
  return undefined;
}

/** cdk-nag findings of this construct that are accepted, with their reasons. */
function acknowledgeNagFindings(self: SchemaMigrations): void {
  if (self.securityGroup)
    acknowledge(
      self.node.findChild('HandlerRole'),
      'AwsSolutions-IAM5[Resource::*]',
      'Only the VPC network-interface actions (ec2:CreateNetworkInterface, DescribeNetworkInterfaces, DeleteNetworkInterface, Assign/UnassignPrivateIpAddresses) use "*": EC2 does not support resource-level permissions for them, and a function in a VPC needs them. Logs and the secret are scoped to their ARNs.',
    );
  for (const fn of [self.onEventHandler, self.isCompleteHandler]) {
    acknowledge(
      fn,
      'AwsSolutions-L1',
      'Pinned to Node.js 22 on purpose: the handler bundle targets node22 and is tested on it; moving to a newer runtime is a deliberate change, not a silent one.',
    );
  }
  acknowledge(
    self.provider,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    "The framework functions of aws-cdk-lib's Provider use the AWS managed basic execution role (log writing only); the Provider does not let it be replaced per statement.",
  );
  for (const fn of [self.onEventHandler, self.isCompleteHandler]) {
    acknowledge(
      self.provider,
      `AwsSolutions-IAM5[Resource::${arnToken(fn)}:*]`,
      'The Provider framework may invoke the handler function and its versions (ARN:*); the wildcard is the version qualifier of this one function only.',
    );
  }
  const frameworkFns = ['framework-isComplete', 'framework-onTimeout'].map((id) => self.provider.node.findChild(id));
  for (const fn of frameworkFns) {
    acknowledge(
      self.provider,
      `AwsSolutions-IAM5[Resource::${arnToken(fn)}:*]`,
      "The waiter state machine may invoke the framework's own isComplete/onTimeout functions and their versions (ARN:*) only.",
    );
  }
  acknowledge(
    self.provider,
    'AwsSolutions-IAM5[Resource::*]',
    'The waiter state machine role needs the CloudWatch Logs delivery actions (logs:CreateLogDelivery, GetLogDelivery, …) for its execution log; they do not support resource-level permissions.',
  );
  acknowledge(
    self.provider,
    'AwsSolutions-SF2',
    "The Provider framework's waiter state machine has no X-Ray option; it only polls isComplete, and its executions are logged to the provider log group.",
  );
}

/** The props with their defaults, checked against each other; the user's files as absolute paths. */
interface Settings extends UserFiles {
  /** `lockTimeout` (or the project file's), checked; undefined: the handler's default. */
  lockTimeoutMs?: number;
  /** `standbys` (or the project file's `standbyWait`, `standbyStrict`), checked; undefined: the handler's 60 s, a warning. */
  standbyWaitMs?: number;
  standbyStrict?: boolean;
  /** `backfill` over the project file's, read into the engine's units; {} for none. */
  backfill: Partial<BackfillSettings>;
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

function resolveSettings(props: SchemaMigrationsProps, project: ProjectConfig): Settings {
  const settings: Settings = {
    ...resolveUserFiles('SchemaMigrations', props, process.cwd(), project),
    lockTimeoutMs: lockTimeoutOf(props.lockTimeout, project),
    ...standbysOf(props.standbys, project),
    backfill: backfillOf(props.backfill, project),
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

/** The most `lockTimeout` takes: the handler's limit (SCHEMAGUARD_LOCK_TIMEOUT_MS). */
const MAX_LOCK_TIMEOUT_MS = 600_000;

/** `lockTimeout` in milliseconds, else the project file's, else undefined (the handler's 5 s); refused outside 1 ms to 10 minutes. */
function lockTimeoutOf(given: Duration | undefined, project: ProjectConfig): number | undefined {
  if (given === undefined) {
    const fromFile = project.settings.lockTimeout;
    if (fromFile !== undefined && fromFile > MAX_LOCK_TIMEOUT_MS) {
      throw new Error(
        `SchemaMigrations: "lockTimeout" in ${project.file} is ${fromFile} ms, over the ${MAX_LOCK_TIMEOUT_MS} ms (10 minutes) the handler takes; write a shorter duration there (a lock timeout is retried with backoff), or pass lockTimeout`,
      );
    }
    return fromFile;
  }
  const ms = given.toMilliseconds();
  if (Token.isUnresolved(ms)) throw new Error('SchemaMigrations: "lockTimeout" must be a concrete duration, not a token');
  if (ms < 1 || ms > MAX_LOCK_TIMEOUT_MS) {
    throw new Error(
      `SchemaMigrations: "lockTimeout" is ${ms} ms; use Duration.millis(1) to Duration.minutes(10) (0 is no lock timeout in PostgreSQL: a migration would wait forever behind any lock; it is retried with backoff instead)`,
    );
  }
  return ms;
}

/** `backfill`, each key given over the project file's, read as the file's own are (lib/config/settings.ts). */
function backfillOf(given: BackfillProps | undefined, project: ProjectConfig): Partial<BackfillSettings> {
  const fromFile = project.settings.backfill ?? {};
  if (given === undefined) return fromFile;
  const setting = SETTINGS.find((s) => s.key === 'backfill')!;
  try {
    return { ...fromFile, ...setting.read(given, { dir: process.cwd() }) };
  } catch (e) {
    if (e instanceof SettingValueError) throw new Error(`SchemaMigrations: "backfill" ${e.problem}; ${e.fix}`);
    throw e;
  }
}

/** The longest `standbys.wait` (and the file's `standbyWait`) the handler takes: it waits inside one invocation. */
const MAX_STANDBY_WAIT_MS = 900_000;

/** `standbys.wait` and `standbys.strict`, each prop given winning over the project file's key. */
function standbysOf(given: StandbyWaitProps | undefined, project: ProjectConfig): Pick<Settings, 'standbyWaitMs' | 'standbyStrict'> {
  refuseBadStandbyWait(given);
  const fromFile = project.settings.standbyWait;
  if (given?.wait === undefined && fromFile !== undefined && fromFile > MAX_STANDBY_WAIT_MS) {
    throw new Error(
      `SchemaMigrations: "standbyWait" in ${project.file} is ${fromFile} ms, over the ${MAX_STANDBY_WAIT_MS} ms (15 minutes) the handler takes (it waits inside one invocation); write a shorter duration there, or pass standbys: { wait }`,
    );
  }
  return { standbyWaitMs: given?.wait?.toMilliseconds() ?? fromFile, standbyStrict: given?.strict ?? project.settings.standbyStrict };
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
  throw new Error(
    `SchemaMigrations: migration ${largest.file} is ${largest.bytes} bytes, over the ${limit} bytes a handler with "memorySize" ${memoryMb} MB applies; ${memoryFix(memoryMb, largest.bytes)}`,
  );
}

/**
 * The files as the handler reads them at deploy time (its memory's size
 * limit, every file parsed): a file it would refuse (a name without a
 * version, two files of one version, BEGIN in a transactional file, a
 * misspelt directive) stops synth, not the deploy after the database was made.
 */
function refuseUnloadable({ migrationsDir, migrationsLayout }: UserFiles, memoryMb: number): Migration[] {
  try {
    const migrations = loadMigrations(migrationsDir, {
      maxFileBytes: maxFileBytesFor(memoryMb),
      tooLargeFix: (bytes) => memoryFix(memoryMb, bytes),
      layout: migrationsLayout,
    });
    // A new database runs every file: one still as `schemaguard new` wrote it is refused there.
    refuseUnwrittenTemplates(migrations, migrationsDir);
    return migrations;
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    throw new Error(
      `SchemaMigrations: the handler would refuse the migrations in ${migrationsDir}: ${e.message}${e.fix ? `; fix: ${e.fix}` : ''} (npx schemaguard lint --dir ${migrationsDir} says the same)`,
      { cause: e },
    );
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
  Annotations.of(scope).addWarningV2(
    'schemaguard:migrationsInSubfolders',
    `${plural(files, '.sql file')} in subfolders of "migrationsDir" ${migrationsDir} ${oneOrMany(files, 'is', 'are')} never applied (nor shipped with the handler): ${describeSubfolders(nested)}; ` +
      `the handler reads only the files directly in ${migrationsDir} (subfolders are not searched): move them up as <version>_<name>.sql, or pass the folder that holds them as "migrationsDir"`,
  );
}

/**
 * `./contracts` and the snapshot are used when they exist, without a prop:
 * said once, so a folder of another tool's files (Pact JSON contracts) is not
 * taken for schemaguard's by surprise; and the project file read, with what
 * it names that is not there.
 */
/** A prop by its path in SETTINGS (`standbys.wait`): undefined when it, or the object holding it, is not given. */
function propOf(props: SchemaMigrationsProps, path: string): unknown {
  return path.split('.').reduce<unknown>((at, name) => (at as Record<string, unknown> | undefined)?.[name], props);
}

function noteImplicitFiles(scope: Construct, props: SchemaMigrationsProps, files: UserFiles, project: ProjectConfig): void {
  const used: string[] = [];
  if (project.file) {
    // What the construct took from the file: the settings with a prop, where the prop is not given.
    const keys = SETTINGS.filter((x) => x.prop && project.settings[x.key] !== undefined && propOf(props, x.prop) === undefined).map((x) => x.key);
    if (keys.length) Annotations.of(scope).addInfo(`read ${project.file} (${keys.join(', ')}); a prop given here wins over it`);
    const absent = (['contracts', 'snapshot'] as const).filter(
      (k) => project.settings[k] !== undefined && (k === 'contracts' ? files.contractsDir : files.snapshotFile) === undefined,
    );
    for (const key of absent)
      Annotations.of(scope).addInfo(
        `"${key}" in ${project.file} is ${project.settings[key]}, which is not there (yet): ${key === 'snapshot' ? 'no drift check until schemaguard snapshot writes it' : 'no contracts are shipped or checked'}`,
      );
  }
  if (props.contractsDir === undefined && project.settings.contracts === undefined && files.contractsDir) {
    const n = readFiles(files.contractsDir).length;
    used.push(`"contractsDir" ${files.contractsDir} (its ${plural(n, '.sql file')} shipped and checked after each deploy; other files there are ignored)`);
  }
  if (props.snapshotFile === undefined && project.settings.snapshot === undefined && files.snapshotFile)
    used.push(`"snapshotFile" ${files.snapshotFile} (drift is checked against it after each deploy)`);
  if (used.length === 0) return;
  Annotations.of(scope).addInfo(`not given, so taken from the working directory by default: ${used.join('; ')}; pass the prop to choose another`);
}

/**
 * A handler in subnets without a route out (PRIVATE_ISOLATED: no NAT) reads
 * the secret only through an interface endpoint for Secrets Manager; without
 * one the SDK's call never gets an answer and the deploy waits for the
 * handler's timeout. Said at synth unless such an endpoint is in the VPC.
 */
function warnOfUnreachableSecretsManager(scope: Construct, network: ConnectionTarget): void {
  // Checked once the app is complete: an endpoint added to the VPC after the construct counts too.
  Aspects.of(scope).add({
    visit: (node) => {
      if (node === scope) warnIfNoEndpoint(scope, network);
    },
  });
}

function warnIfNoEndpoint(scope: Construct, network: ConnectionTarget): void {
  const isolated = new Set(network.vpc.isolatedSubnets.map((subnet) => subnet.subnetId));
  const selected = network.vpc.selectSubnets(network.vpcSubnets).subnets;
  if (selected.length === 0 || !selected.every((subnet) => isolated.has(subnet.subnetId))) return;
  if (hasSecretsManagerEndpoint(scope, network.vpc)) return;
  Annotations.of(scope).addWarningV2(
    'schemaguard:secretsManagerUnreachable',
    `the handler runs in isolated subnets of the VPC ${network.vpc.node.path} (no NAT: no route to Secrets Manager) and no "secretsManagerEndpoint" is given, so it cannot read the database secret and the deploy fails after its connect timeout; ` +
      "add an interface endpoint and pass it: secretsManagerEndpoint: vpc.addInterfaceEndpoint('SecretsManager', { service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER }), " +
      'or run the handler in subnets with a NAT route (vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS })',
  );
}

/** An interface endpoint for Secrets Manager in this VPC, made in the app (vpc.addInterfaceEndpoint or new InterfaceVpcEndpoint). */
function hasSecretsManagerEndpoint(scope: Construct, vpc: ec2.IVpc): boolean {
  return scope.node.root.node
    .findAll()
    .some((c) => c instanceof ec2.CfnVPCEndpoint && c.vpcId === vpc.vpcId && typeof c.serviceName === 'string' && c.serviceName.includes('.secretsmanager'));
}

/** The migrator's props make nothing without `masterSecret` (no migrator is made): refused rather than ignored. */
function refuseMigratorPropsWithoutMaster(props: SchemaMigrationsProps): void {
  if (props.masterSecret) return;
  const given = (['migratorRoleName', 'migratorSchemas', 'masterExtensions', 'migratorRevision'] as const).filter((k) => props[k] !== undefined);
  if (!given.length) return;
  throw new Error(
    `SchemaMigrations: ${given.map((k) => `"${k}"`).join(', ')} set the migrator that "masterSecret" makes, and "masterSecret" is not set (the migrations run as "secret"'s user); pass "masterSecret" instead of "secret", or remove them`,
  );
}

/** The migrator's name, schemas and extensions, with their defaults, checked. */
function migratorSettings(
  props: SchemaMigrationsProps,
  stateSchema: string,
  files: UserFiles,
): { roleName: string; schemas: string[]; extensions: string[]; revision?: number } {
  const roleName = migratorRoleName(props, stateSchema);
  const schemas = props.migratorSchemas ?? [...new Set(['public', ...snapshotSchemas(files.snapshotFile)])];
  const extensions = props.masterExtensions ?? [];
  checkMigratorProps(roleName, schemas, extensions, props.migratorRevision);
  return { roleName, schemas, extensions, revision: props.migratorRevision };
}

/** `migratorRoleName`, else the default one named after `databaseName`. */
function migratorRoleName(props: SchemaMigrationsProps, stateSchema: string): string {
  if (props.migratorRoleName !== undefined) return props.migratorRoleName;
  if (props.databaseName === undefined) {
    throw new Error(
      'SchemaMigrations: "masterSecret" makes a migrator named after the database, and "databaseName" is not set; pass "databaseName" or "migratorRoleName"',
    );
  }
  return defaultMigratorRoleName(props.databaseName, stateSchema);
}

/** The schemas a snapshot lists (`catalog.schemas`); none when there is no snapshot or it cannot be read (synth reads it again, and says so, elsewhere). */
function snapshotSchemas(snapshotFile: string | undefined): string[] {
  if (!snapshotFile) return [];
  try {
    const schemas = (JSON.parse(readFileSync(snapshotFile, 'utf8')) as { catalog?: { schemas?: unknown } }).catalog?.schemas;
    return Array.isArray(schemas) ? schemas.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

function validate(p: Checked): void {
  const durations: [string, Duration][] = [
    ['handlerTimeout', p.handlerTimeout],
    ['reserve', p.reserve],
    ['queryInterval', p.queryInterval],
    ['totalTimeout', p.totalTimeout],
    ['serviceTimeout', p.serviceTimeout],
  ];
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
    throw new Error(
      `SchemaMigrations: "reserve" is ${s(p.reserve)} s with "handlerTimeout" ${s(p.handlerTimeout)} s; use at least 5 s and leave at least 30 s of the timeout for work`,
    );
  }
  if (s(p.queryInterval) < 1 || s(p.queryInterval) > s(p.totalTimeout)) {
    throw new Error(`SchemaMigrations: "queryInterval" is ${s(p.queryInterval)} s; use 1 s up to "totalTimeout" (${s(p.totalTimeout)} s)`);
  }
  if (s(p.totalTimeout) > MAX_TOTAL_S || s(p.totalTimeout) < s(p.handlerTimeout)) {
    throw new Error(
      `SchemaMigrations: "totalTimeout" is ${s(p.totalTimeout)} s; use at least "handlerTimeout" (${s(p.handlerTimeout)} s) and at most ${MAX_TOTAL_S} s ("serviceTimeout" must exceed it by ${SERVICE_TIMEOUT_MARGIN_S} s and CloudFormation allows at most ${MAX_SERVICE_TIMEOUT_S} s)`,
    );
  }
  if (s(p.serviceTimeout) > MAX_SERVICE_TIMEOUT_S || s(p.serviceTimeout) < s(p.totalTimeout) + SERVICE_TIMEOUT_MARGIN_S) {
    throw new Error(
      `SchemaMigrations: "serviceTimeout" is ${s(p.serviceTimeout)} s with "totalTimeout" ${s(p.totalTimeout)} s; it must exceed totalTimeout by at least ${SERVICE_TIMEOUT_MARGIN_S} s (so the framework's timeout response reaches CloudFormation first) and be at most ${MAX_SERVICE_TIMEOUT_S} s`,
    );
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
  throw new Error(
    `SchemaMigrations: "databaseName" ${JSON.stringify(name)} is ${bytes === 0 ? 'empty' : name.includes('\u0000') ? 'a name with a NUL' : `${bytes} bytes`}: PostgreSQL database names are 1 to 63 bytes without NUL ` +
      "(a longer name is cut to 63 bytes by the server, and another database would be migrated); pass the name of the database as it exists, or leave databaseName unset to use the secret's dbname",
  );
}

/** Where the migrations run: over a connection from the VPC, or through the Data API. */
export type MigrationsTarget =
  | {
      readonly kind: 'connection';
      readonly vpc: ec2.IVpc;
      readonly vpcSubnets: ec2.SubnetSelection;
      readonly database: ec2.IConnectable & IDependable;
      readonly port: ec2.Port;
      readonly secretsManagerEndpoint?: ec2.IConnectable;
      readonly cloudFormationEndpoint?: ec2.IConnectable;
      readonly stepFunctionsEndpoint?: ec2.IConnectable;
    }
  | { readonly kind: 'data-api'; readonly cluster: rds.IDatabaseCluster };

type ConnectionTarget = Extract<MigrationsTarget, { kind: 'connection' }>;

/** The construct the migrations run on: the connection's database, or the Data API's cluster. */
function targetDatabase(target: MigrationsTarget): IDependable {
  return target.kind === 'connection' ? target.database : target.cluster;
}

/** The props that belong to a connection (DirectConnectionProps), refused beside `dataApiCluster`. */
const CONNECTION_PROPS = ['database', 'vpc', 'vpcSubnets', 'port', 'secretsManagerEndpoint', 'cloudFormationEndpoint', 'stepFunctionsEndpoint'] as const;

/**
 * How the function reaches the database. The types allow one way only; this
 * refuses the mixed or missing props a JavaScript app (or a cast) can still pass.
 */
function resolveTarget(props: SchemaMigrationsProps): MigrationsTarget {
  const cluster = props.dataApiCluster;
  if (cluster !== undefined) {
    // The types allow none of them here; a JavaScript app may pass them.
    const mixed = CONNECTION_PROPS.filter((k) => props[k] !== undefined);
    if (mixed.length) {
      throw new Error(
        `SchemaMigrations: "dataApiCluster" runs the function outside the VPC over the RDS Data API; remove ${mixed.map((k) => `"${k}"`).join(', ')} (they are for a connection)`,
      );
    }
    refuseDataApiOff(cluster);
    return { kind: 'data-api', cluster };
  }
  if (props.database === undefined || props.vpc === undefined) {
    throw new Error(
      'SchemaMigrations: pass "database" and "vpc" (migrate over a connection), or "dataApiCluster" (an Aurora cluster with the Data API enabled)',
    );
  }
  const { database, vpc } = props;
  // RDS Proxy listens on 5432 for PostgreSQL, and its connections carry no default port.
  const port = props.port ?? database.connections.defaultPort ?? (Object.keys(proxyEnvironment(database)).length ? ec2.Port.tcp(5432) : undefined);
  if (!port) {
    throw new Error(
      'SchemaMigrations: "port" is not set and the database has no connections.defaultPort; pass port: ec2.Port.tcp(5432) (or the database\'s port)',
    );
  }
  return {
    kind: 'connection',
    vpc,
    vpcSubnets: props.vpcSubnets ?? defaultSubnets(vpc),
    database,
    port,
    secretsManagerEndpoint: props.secretsManagerEndpoint,
    cloudFormationEndpoint: props.cloudFormationEndpoint,
    stepFunctionsEndpoint: props.stepFunctionsEndpoint,
  };
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
    const types = (
      [
        ['PRIVATE_WITH_EGRESS', vpc.privateSubnets],
        ['PUBLIC', vpc.publicSubnets],
      ] as const
    )
      .filter(([, subnets]) => subnets.length > 0)
      .map(([type]) => type);
    throw new Error(
      `SchemaMigrations: "vpcSubnets" is not set, and its default, { subnetType: PRIVATE_ISOLATED }, selects nothing: the VPC ${vpc.node.path} has no isolated subnets (it has ${andList(types) || 'none'}); ` +
        'pass the subnets the function runs in, e.g. vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } (the private subnets of new ec2.Vpc(…), which reach Secrets Manager through their NAT gateway)',
      { cause },
    );
  }
  return isolated;
}

/**
 * The Data API must be on already: SchemaMigrations reads the cluster's
 * setting and never writes it. The cluster's own grantDataApiAccess refuses a
 * cluster with `enableDataApi: false` but turns the setting on when it was
 * left unset (it assigns the field, which the CfnDBCluster's EnableHttpEndpoint
 * renders lazily); done here, that would change a resource of the user's
 * behind their back — the cluster's template would differ from what its own
 * props say, and removing SchemaMigrations would turn the Data API off again.
 * CDK has no way to enable it without that write, so an unset setting is
 * refused as `false` is, with the one-word fix. grantDataApiAccess is not called
 * either: it would also grant rds-data:BatchExecuteStatement, which the driver
 * never calls, and read access to the cluster's own secret rather than `secret`
 * (dataApiStatement and secretStatements grant exactly what the handler uses).
 */
function refuseDataApiOff(cluster: rds.IDatabaseCluster): void {
  // rds.DatabaseCluster and the imported clusters keep the setting in this field (imported: `dataApiEnabled`, else false);
  // an IDatabaseCluster of another kind has none, and is taken as it is.
  if (!('enableDataApi' in cluster)) return;
  const setting = (cluster as { enableDataApi?: boolean }).enableDataApi;
  if (setting === true) return;
  const fix = Resource.isOwnedResource(cluster)
    ? 'set enableDataApi: true on the cluster (SchemaMigrations does not change your cluster)'
    : 'enable the Data API on the cluster and import it with dataApiEnabled: true (DatabaseCluster.fromDatabaseClusterAttributes; fromLookup reads the setting from the cluster)';
  const state = setting === false ? 'has the Data API disabled (enableDataApi: false)' : 'leaves enableDataApi unset, so the Data API is off';
  throw new Error(
    `SchemaMigrations: "dataApiCluster" ${cluster.node.path} ${state}, and the handler migrates through it; ${fix}, ` +
      'or migrate over a connection: "database" and "vpc" instead of "dataApiCluster"',
  );
}
