/**
 * AuroraDatabaseStack (`-c schemaguard:engine=aurora`): Aurora PostgreSQL
 * Serverless v2 with the RDS Data API enabled, in isolated subnets, TLS forced
 * and IAM auth on, its PostgreSQL log exported to
 * `/aws/rds/cluster/<id>/postgresql` (created by the stack first, so the
 * metric filters never race RDS), the alarms on that log group, and the
 * SchemaMigrations custom resource migrating through the Data API: its
 * function runs OUTSIDE the VPC and may only call the four Data API actions on
 * this cluster and read the cluster's secret.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { alarmsForStack, type DatabaseAlarms } from './alarms/database-alarms';
import type { Stage } from './app-config';
import { DatabaseNetwork } from './database-network';
import { databaseParameterGroup } from './database-parameters';
import { acknowledge, acknowledgeDevDeletionProtection } from './nag';
import { postgresLogGroup } from './postgres-log-group';
import { SchemaMigrations } from './schema-migrations';
import { checkIdentifier, stageSettings, type StageSettings } from './stage-settings';

export interface AuroraDatabaseStackProps extends StackProps {
  /** `prod`: deletion protection, snapshot on delete, a reader in a second AZ, longer backups; `dev`: none of these. */
  readonly stage: Stage;
  /**
   * @default rds.AuroraPostgresEngineVersion.VER_17_6
   */
  readonly engineVersion?: rds.AuroraPostgresEngineVersion;
  /**
   * Database created in the cluster and migrated.
   * @default 'app'
   */
  readonly databaseName?: string;
  /**
   * Cluster identifier: lowercase, literal, so the log group name is known at synth time.
   * @default `schemaguard-${stage}`
   */
  readonly clusterIdentifier?: string;
  /**
   * Serverless v2 capacity range in ACUs.
   * @default - 0.5 to 4
   */
  readonly minCapacity?: number;
  /** @default 4 */
  readonly maxCapacity?: number;
  /**
   * Retention of the PostgreSQL, flow-log and handler log groups.
   * @default - logs.RetentionDays.ONE_MONTH for dev, ONE_YEAR for prod
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Directory of the migration files.
   * @default - `migrations/` at the repository root
   */
  readonly migrationsDir?: string;
  /**
   * Directory of the contract files.
   * @default - `contracts/` at the repository root, when it exists
   */
  readonly contractsDir?: string;
  /** @default - no email subscription */
  readonly alarmEmail?: string;
  /** @default - no HTTPS subscription */
  readonly alarmHttpsUrl?: string;
}

export class AuroraDatabaseStack extends Stack {
  /** The VPC (isolated subnets only) and the Secrets Manager endpoint the rotation function uses. */
  readonly network: DatabaseNetwork;
  readonly vpc: ec2.Vpc;
  readonly cluster: rds.DatabaseCluster;
  readonly secret: secretsmanager.ISecret;
  /** `/aws/rds/cluster/<clusterIdentifier>/postgresql`, created before the cluster. */
  readonly postgresLogGroup: logs.LogGroup;
  readonly clusterIdentifier: string;
  readonly migrations: SchemaMigrations;
  readonly alarms: DatabaseAlarms;

  constructor(scope: Construct, id: string, props: AuroraDatabaseStackProps) {
    super(scope, id, props);
    const settings = stageSettings('AuroraDatabaseStack', props.stage, props.logRetention);
    this.clusterIdentifier = props.clusterIdentifier ?? `schemaguard-${props.stage}`;
    const capacity = checkProps(props, this.clusterIdentifier);
    const databaseName = props.databaseName ?? 'app';

    // Only the secret rotation function runs in the VPC: the migrations use the Data API from outside it.
    this.network = new DatabaseNetwork(this, { natGateways: 0, logRetention: settings.logRetention, logRemovalPolicy: settings.logRemovalPolicy });
    this.vpc = this.network.vpc;
    const engine = rds.DatabaseClusterEngine.auroraPostgres({ version: props.engineVersion ?? rds.AuroraPostgresEngineVersion.VER_17_6 });
    const parameterGroup = databaseParameterGroup(this, engine, `schemaguard ${props.stage} (Aurora): TLS forced, failing statements and lock waits logged`);
    this.postgresLogGroup = postgresLogGroup(this, 'cluster', this.clusterIdentifier, settings);
    this.cluster = this.createCluster(engine, parameterGroup, databaseName, settings, capacity);
    this.secret = this.cluster.secret!;
    this.network.addSecretRotation(this.cluster, 'cluster');
    acknowledgeClusterFindings(this.cluster, settings);

    this.migrations = new SchemaMigrations(this, 'SchemaMigrations', {
      secret: this.secret,
      dataApiCluster: this.cluster,
      databaseName,
      migrationsDir: props.migrationsDir,
      contractsDir: props.contractsDir,
      logRetention: settings.logRetention,
      logRemovalPolicy: settings.logRemovalPolicy,
      databaseLogGroupName: this.postgresLogGroup.logGroupName,
    });
    this.alarms = alarmsForStack(this, {
      logGroup: this.postgresLogGroup, migrations: this.migrations, name: this.clusterIdentifier,
      alarmEmail: props.alarmEmail, alarmHttpsUrl: props.alarmHttpsUrl,
    });
  }

  /** Serverless v2 writer (and a reader in prod) with the Data API, exporting its log to `postgresLogGroup` (created first). */
  private createCluster(engine: rds.IClusterEngine, parameterGroup: rds.IParameterGroup, databaseName: string, settings: StageSettings, capacity: Capacity): rds.DatabaseCluster {
    const instance = { autoMinorVersionUpgrade: true, enablePerformanceInsights: true, publiclyAccessible: false };
    const cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine,
      clusterIdentifier: this.clusterIdentifier,
      vpc: this.vpc,
      vpcSubnets: this.network.isolatedSubnets,
      credentials: rds.Credentials.fromGeneratedSecret('postgres'),
      defaultDatabaseName: databaseName,
      writer: rds.ClusterInstance.serverlessV2('Writer', instance),
      readers: settings.prod ? [rds.ClusterInstance.serverlessV2('Reader', { scaleWithWriter: true, ...instance })] : [],
      serverlessV2MinCapacity: capacity.minCapacity,
      serverlessV2MaxCapacity: capacity.maxCapacity,
      enableDataApi: true,
      storageEncrypted: true,
      iamAuthentication: true,
      parameterGroup,
      cloudwatchLogsExports: ['postgresql'],
      backup: { retention: settings.backupRetention },
      deletionProtection: settings.deletionProtection,
      removalPolicy: settings.databaseRemovalPolicy,
      copyTagsToSnapshot: true,
    });
    cluster.node.addDependency(this.postgresLogGroup);
    return cluster;
  }
}

/** cdk-nag findings on the cluster that are accepted, with their reasons. */
function acknowledgeClusterFindings(cluster: rds.DatabaseCluster, settings: StageSettings): void {
  acknowledge(cluster, 'AwsSolutions-RDS11',
    'The default port 5432 is kept: the cluster is reachable only from security groups inside an isolated VPC (the migrations use the Data API, not the port) and forces TLS.');
  if (!settings.prod) acknowledgeDevDeletionProtection(cluster);
}

interface Capacity {
  minCapacity: number;
  maxCapacity: number;
}

/** Checks the props the stage does not cover; returns the capacity range with its defaults. */
function checkProps(props: AuroraDatabaseStackProps, clusterIdentifier: string): Capacity {
  const minCapacity = props.minCapacity ?? 0.5;
  const maxCapacity = props.maxCapacity ?? 4;
  checkIdentifier('AuroraDatabaseStack', 'clusterIdentifier', clusterIdentifier);
  const half = (n: number) => Number.isFinite(n) && Math.round(n * 2) === n * 2;
  if (!half(minCapacity) || minCapacity < 0 || minCapacity > 256 || !half(maxCapacity) || maxCapacity < 1 || maxCapacity > 256 || maxCapacity < minCapacity) {
    throw new Error(`AuroraDatabaseStack: capacity ${minCapacity}..${maxCapacity} ACU is not valid; use steps of 0.5 with 0 <= minCapacity <= maxCapacity, 1 <= maxCapacity <= 256`);
  }
  return { minCapacity, maxCapacity };
}
