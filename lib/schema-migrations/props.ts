import type { FleetSpec } from '../../lambda/engine/fleet/fleet-spec';
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IDependable } from 'constructs';
import type { MigrationLayout } from '../../lambda/engine/files/layout';
import type { OperatorCommands, SchemaMigrationsBaseline } from '../adoption-props';
import type { IamAuthenticationProps } from '../database-auth';
import type { UserFileProps } from '../user-files';

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
   * How often the framework calls isComplete. With a fleet, less than 60 s:
   * a rollout still running in the last minute of `totalTimeout` is stopped
   * by the isComplete call that falls in it.
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
   * What the operator function (`operatorFunction`) answers when invoked
   * by `schemaguard … --function <name>`: the read-only commands
   * (status, plan, diff, guard, doctor) always, to whoever may invoke it
   * (lambda:InvokeFunction, which this construct grants no one);
   * `baseline` and `repair` only with `writes: true`. The migration
   * function serves CloudFormation alone.
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
   * A fleet: the tenants that run the same files, each with its own state
   * table — schemas of the database (`schemas`, a LIKE pattern, or
   * `schemaQuery`) or databases of its server (`databases`, `databaseQuery`) —
   * read at each deploy, as the project file's `fleet` names them. The deploy
   * then rolls the migrations out on Step Functions (`fleetRollout`): the
   * canary first, then waves of `waveSize` tenants, `concurrency` at once; it
   * fails, naming the tenants and why, when the canary fails or more than
   * `toleratedFailures` do, and no later wave starts. Over a connection only
   * (not `dataApiCluster`); a schema fleet not through a pooler (each session
   * searches its tenant's schema).
   * @default - the project file's "fleet", else none: the one database is migrated
   */
  readonly fleet?: FleetSpec;
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
   * interface VPC endpoint with private DNS), when the deploy starts a
   * workflow — a migration has a `-- schemaguard:backfill`, or a `fleet` is
   * rolled out — and `secretsManagerEndpoint` is given (or IAM
   * authentication). Made on first use when given as a construct that makes
   * it then (DatabaseStack's).
   * @default - without `secretsManagerEndpoint` and IAM authentication: HTTPS to anywhere is allowed already; otherwise synth refuses a backfill or a fleet
   */
  readonly stepFunctionsEndpoint?: ec2.IConnectable;
  /**
   * Something the functions must reach on 443 for SSM (an interface VPC
   * endpoint with private DNS), when the fleet's tenants are named in
   * Parameter Store (`fleet.parameterPath`) and `secretsManagerEndpoint` is
   * given (or IAM authentication): the rollout, each tenant item and the
   * guard read the path at run time.
   * @default - without `secretsManagerEndpoint` and IAM authentication: HTTPS to anywhere is allowed already; otherwise synth refuses a fleet with `parameterPath`
   */
  readonly ssmEndpoint?: ec2.IConnectable;
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
  /** A connection's (DirectConnectionProps): not with `dataApiCluster`. */
  readonly ssmEndpoint?: never;
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
