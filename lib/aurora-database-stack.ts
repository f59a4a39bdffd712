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
import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { alarmsForStack, type DatabaseAlarms } from './alarms/database-alarms';
import type { Stage } from './app-config';
import { DATABASE_PARAMETERS } from './database-stack';
import { acknowledge } from './nag';
import { SchemaMigrations } from './schema-migrations';

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
    const prod = props.stage === 'prod';
    const clusterIdentifier = props.clusterIdentifier ?? `schemaguard-${props.stage}`;
    const minCapacity = props.minCapacity ?? 0.5;
    const maxCapacity = props.maxCapacity ?? 4;
    validate(props, clusterIdentifier, minCapacity, maxCapacity);
    this.clusterIdentifier = clusterIdentifier;
    const retention = props.logRetention ?? (prod ? logs.RetentionDays.ONE_YEAR : logs.RetentionDays.ONE_MONTH);
    const logRemoval = prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const databaseName = props.databaseName ?? 'app';

    const flowLogs = new logs.LogGroup(this, 'FlowLogs', { retention, removalPolicy: logRemoval });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.ALL } },
    });
    const isolated: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    // Only the secret rotation function runs in the VPC; it reaches Secrets Manager through this endpoint.
    const secretsManagerEndpoint = this.vpc.addInterfaceEndpoint('SecretsManager', {
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER, subnets: isolated, privateDnsEnabled: true, open: false,
    });

    const engine = rds.DatabaseClusterEngine.auroraPostgres({ version: props.engineVersion ?? rds.AuroraPostgresEngineVersion.VER_17_6 });
    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: `schemaguard ${props.stage} (Aurora): TLS forced, failing statements and lock waits logged`,
      parameters: { ...DATABASE_PARAMETERS },
    });

    this.postgresLogGroup = new logs.LogGroup(this, 'PostgresLogs', {
      logGroupName: `/aws/rds/cluster/${clusterIdentifier}/postgresql`,
      retention,
      removalPolicy: logRemoval,
    });

    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine,
      clusterIdentifier,
      vpc: this.vpc,
      vpcSubnets: isolated,
      credentials: rds.Credentials.fromGeneratedSecret('postgres'),
      defaultDatabaseName: databaseName,
      writer: rds.ClusterInstance.serverlessV2('Writer', { autoMinorVersionUpgrade: true, enablePerformanceInsights: true, publiclyAccessible: false }),
      readers: prod ? [rds.ClusterInstance.serverlessV2('Reader', { scaleWithWriter: true, autoMinorVersionUpgrade: true, enablePerformanceInsights: true, publiclyAccessible: false })] : [],
      serverlessV2MinCapacity: minCapacity,
      serverlessV2MaxCapacity: maxCapacity,
      enableDataApi: true,
      storageEncrypted: true,
      iamAuthentication: true,
      parameterGroup,
      cloudwatchLogsExports: ['postgresql'],
      backup: { retention: prod ? Duration.days(14) : Duration.days(1) },
      deletionProtection: prod,
      removalPolicy: prod ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
      copyTagsToSnapshot: true,
    });
    this.cluster.node.addDependency(this.postgresLogGroup);
    this.secret = this.cluster.secret!;

    const rotationGroup = new ec2.SecurityGroup(this, 'RotationSecurityGroup', {
      vpc: this.vpc, description: 'secret rotation function: reaches the cluster and Secrets Manager', allowAllOutbound: true,
    });
    this.cluster.addRotationSingleUser({
      automaticallyAfter: Duration.days(30), endpoint: secretsManagerEndpoint, vpcSubnets: isolated, securityGroup: rotationGroup,
    });
    secretsManagerEndpoint.connections.allowDefaultPortFrom(rotationGroup, 'secret rotation to Secrets Manager');

    acknowledge(this.cluster, 'AwsSolutions-RDS11',
      'The default port 5432 is kept: the cluster is reachable only from security groups inside an isolated VPC (the migrations use the Data API, not the port) and forces TLS.');
    if (!prod) {
      acknowledge(this.cluster, 'AwsSolutions-RDS10', 'dev stage: deletion protection off so the stack can be destroyed; the prod stage has deletion protection and a final snapshot.');
    }

    this.migrations = new SchemaMigrations(this, 'SchemaMigrations', {
      secret: this.secret,
      dataApiCluster: this.cluster,
      databaseName,
      migrationsDir: props.migrationsDir,
      contractsDir: props.contractsDir,
      logRetention: retention,
      logRemovalPolicy: logRemoval,
      databaseLogGroupName: this.postgresLogGroup.logGroupName,
    });

    this.alarms = alarmsForStack(this, {
      logGroup: this.postgresLogGroup, migrations: this.migrations, name: clusterIdentifier,
      alarmEmail: props.alarmEmail, alarmHttpsUrl: props.alarmHttpsUrl,
    });
  }
}

function validate(props: AuroraDatabaseStackProps, id: string, min: number, max: number): void {
  if (props.stage !== 'dev' && props.stage !== 'prod') {
    throw new Error(`AuroraDatabaseStack: "stage" is ${JSON.stringify(props.stage)}; use 'dev' or 'prod'`);
  }
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(id) || id.endsWith('-') || id.includes('--')) {
    throw new Error(`AuroraDatabaseStack: "clusterIdentifier" ${JSON.stringify(id)} is not a literal RDS identifier; use 1 to 63 lowercase letters, digits or single hyphens, starting with a letter (the log group name must match)`);
  }
  const half = (n: number) => Number.isFinite(n) && Math.round(n * 2) === n * 2;
  if (!half(min) || min < 0 || min > 256 || !half(max) || max < 1 || max > 256 || max < min) {
    throw new Error(`AuroraDatabaseStack: capacity ${min}..${max} ACU is not valid; use steps of 0.5 with 0 <= minCapacity <= maxCapacity, 1 <= maxCapacity <= 256`);
  }
}
