/**
 * DatabaseStack: a VPC with isolated subnets (no NAT by default; Secrets
 * Manager through an interface endpoint), RDS for PostgreSQL with TLS forced
 * and IAM auth on, its PostgreSQL log exported to a log group the stack
 * creates first, and the SchemaMigrations custom resource that applies
 * `migrations/` during the deploy.
 */
import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { Stage } from './app-config';
import { acknowledge } from './nag';
import { alarmsForStack, type DatabaseAlarms } from './alarms/database-alarms';
import { SchemaMigrations } from './schema-migrations';

/**
 * The log line prefix of RDS for PostgreSQL. RDS fixes it (the parameter is
 * listed with this value in "Parameters for logging in RDS for PostgreSQL"),
 * so the parameter group does not set it; metric filters parse lines with it.
 */
export const RDS_LOG_LINE_PREFIX = '%t:%r:%u@%d:[%p]:';

/** Parameters of the database's parameter group. */
export const DATABASE_PARAMETERS: Readonly<Record<string, string>> = {
  // Refuse connections without TLS.
  'rds.force_ssl': '1',
  // Log the statement that caused each ERROR (the STATEMENT: line after it).
  log_min_error_statement: 'error',
  // Log waits longer than deadlock_timeout for a lock.
  log_lock_waits: '1',
};

export interface DatabaseStackProps extends StackProps {
  /** `prod`: deletion protection, snapshot on delete, Multi-AZ, longer backups; `dev`: none of these. */
  readonly stage: Stage;
  /**
   * @default ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO)
   */
  readonly instanceType?: ec2.InstanceType;
  /**
   * @default rds.PostgresEngineVersion.VER_18_3
   */
  readonly engineVersion?: rds.PostgresEngineVersion;
  /**
   * Database created on the instance and migrated.
   * @default 'app'
   */
  readonly databaseName?: string;
  /**
   * RDS instance identifier: lowercase, literal, so the log group name is known at synth time.
   * @default `schemaguard-${stage}`
   */
  readonly instanceIdentifier?: string;
  /**
   * NAT gateways. With 0 the VPC has isolated subnets only.
   * @default 0
   */
  readonly natGateways?: number;
  /**
   * Retention of the PostgreSQL, flow-log and handler log groups.
   * @default - logs.RetentionDays.ONE_MONTH for dev, ONE_YEAR for prod
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Allocated storage (GiB), gp3.
   * @default 20
   */
  readonly allocatedStorage?: number;
  /**
   * Storage autoscaling limit (GiB).
   * @default 100
   */
  readonly maxAllocatedStorage?: number;
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
  /**
   * Email subscribed to the alarm topic (context `schemaguard:alarmEmail`).
   * @default - no email subscription
   */
  readonly alarmEmail?: string;
  /**
   * HTTPS endpoint subscribed to the alarm topic (context `schemaguard:alarmHttpsUrl`).
   * @default - no HTTPS subscription
   */
  readonly alarmHttpsUrl?: string;
}

export class DatabaseStack extends Stack {
  readonly vpc: ec2.Vpc;
  readonly secretsManagerEndpoint: ec2.InterfaceVpcEndpoint;
  readonly instance: rds.DatabaseInstance;
  readonly secret: secretsmanager.ISecret;
  readonly parameterGroup: rds.ParameterGroup;
  /** `/aws/rds/instance/<instanceIdentifier>/postgresql`, created before the instance. */
  readonly postgresLogGroup: logs.LogGroup;
  readonly instanceIdentifier: string;
  readonly migrations: SchemaMigrations;
  /** Metric filters, alarms, topic, saved queries and dashboard on the PostgreSQL log. */
  readonly alarms: DatabaseAlarms;

  constructor(scope: Construct, id: string, props: DatabaseStackProps) {
    super(scope, id, props);
    const prod = props.stage === 'prod';
    const instanceIdentifier = props.instanceIdentifier ?? `schemaguard-${props.stage}`;
    const natGateways = props.natGateways ?? 0;
    const retention = props.logRetention ?? (prod ? logs.RetentionDays.ONE_YEAR : logs.RetentionDays.ONE_MONTH);
    const allocatedStorage = props.allocatedStorage ?? 20;
    const maxAllocatedStorage = props.maxAllocatedStorage ?? 100;
    validate(props, instanceIdentifier, natGateways, allocatedStorage, maxAllocatedStorage);
    this.instanceIdentifier = instanceIdentifier;
    const logRemoval = prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    const subnetConfiguration: ec2.SubnetConfiguration[] = [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }];
    if (natGateways > 0) {
      subnetConfiguration.push(
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
      );
    }
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', { retention, removalPolicy: logRemoval });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways,
      subnetConfiguration,
      flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.ALL } },
    });
    const isolated: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

    this.secretsManagerEndpoint = this.vpc.addInterfaceEndpoint('SecretsManager', {
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      subnets: isolated,
      privateDnsEnabled: true,
      // Only the groups that are allowed to (the handler, the rotation function) reach it.
      open: false,
    });

    const engine = rds.DatabaseInstanceEngine.postgres({ version: props.engineVersion ?? rds.PostgresEngineVersion.VER_18_3 });
    this.parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: `schemaguard ${props.stage}: TLS forced, failing statements and lock waits logged`,
      parameters: { ...DATABASE_PARAMETERS },
    });

    // Created by the stack, before the instance: RDS would otherwise create it
    // on first export (without retention) and metric filters would race it.
    this.postgresLogGroup = new logs.LogGroup(this, 'PostgresLogs', {
      logGroupName: `/aws/rds/instance/${instanceIdentifier}/postgresql`,
      retention,
      removalPolicy: logRemoval,
    });

    this.instance = new rds.DatabaseInstance(this, 'Database', {
      engine,
      instanceIdentifier,
      instanceType: props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
      vpc: this.vpc,
      vpcSubnets: isolated,
      credentials: rds.Credentials.fromGeneratedSecret('postgres'),
      databaseName: props.databaseName ?? 'app',
      storageType: rds.StorageType.GP3,
      allocatedStorage,
      maxAllocatedStorage,
      storageEncrypted: true,
      publiclyAccessible: false,
      multiAz: prod,
      iamAuthentication: true,
      parameterGroup: this.parameterGroup,
      cloudwatchLogsExports: ['postgresql'],
      backupRetention: prod ? Duration.days(14) : Duration.days(1),
      deleteAutomatedBackups: !prod,
      deletionProtection: prod,
      removalPolicy: prod ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
      autoMinorVersionUpgrade: true,
      copyTagsToSnapshot: true,
      enablePerformanceInsights: true,
      performanceInsightRetention: rds.PerformanceInsightRetention.DEFAULT,
    });
    this.instance.node.addDependency(this.postgresLogGroup);
    this.secret = this.instance.secret!;

    // The migration handler reads the secret at run time, so rotation never strands it.
    const rotationGroup = new ec2.SecurityGroup(this, 'RotationSecurityGroup', {
      vpc: this.vpc, description: 'secret rotation function: reaches the database and Secrets Manager', allowAllOutbound: true,
    });
    this.instance.addRotationSingleUser({
      automaticallyAfter: Duration.days(30), endpoint: this.secretsManagerEndpoint, vpcSubnets: isolated, securityGroup: rotationGroup,
    });
    this.secretsManagerEndpoint.connections.allowDefaultPortFrom(rotationGroup, 'secret rotation to Secrets Manager');

    acknowledge(this.instance, 'AwsSolutions-RDS11',
      'The default port 5432 is kept: the instance is reachable only from security groups inside an isolated VPC and forces TLS; a different port hides nothing from a client that is already inside.');
    if (!prod) {
      acknowledge(this.instance, 'AwsSolutions-RDS3', 'dev stage: single-AZ to halve the cost of a disposable database; the prod stage is Multi-AZ.');
      acknowledge(this.instance, 'AwsSolutions-RDS10', 'dev stage: deletion protection off so the stack can be destroyed; the prod stage has deletion protection and a final snapshot.');
    }

    this.migrations = new SchemaMigrations(this, 'SchemaMigrations', {
      secret: this.secret,
      database: this.instance,
      vpc: this.vpc,
      vpcSubnets: isolated,
      secretsManagerEndpoint: this.secretsManagerEndpoint,
      databaseName: props.databaseName ?? 'app',
      migrationsDir: props.migrationsDir,
      contractsDir: props.contractsDir,
      logRetention: retention,
      logRemovalPolicy: logRemoval,
      databaseLogGroupName: this.postgresLogGroup.logGroupName,
    });

    this.alarms = alarmsForStack(this, {
      logGroup: this.postgresLogGroup, migrations: this.migrations, name: instanceIdentifier,
      alarmEmail: props.alarmEmail, alarmHttpsUrl: props.alarmHttpsUrl,
    });
  }
}

function validate(props: DatabaseStackProps, id: string, nat: number, storage: number, maxStorage: number): void {
  if (props.stage !== 'dev' && props.stage !== 'prod') {
    throw new Error(`DatabaseStack: "stage" is ${JSON.stringify(props.stage)}; use 'dev' or 'prod'`);
  }
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(id) || id.endsWith('-') || id.includes('--')) {
    throw new Error(`DatabaseStack: "instanceIdentifier" ${JSON.stringify(id)} is not a literal RDS identifier; use 1 to 63 lowercase letters, digits or single hyphens, starting with a letter (RDS lowercases it, and the log group name must match)`);
  }
  if (!Number.isInteger(nat) || nat < 0 || nat > 3) {
    throw new Error(`DatabaseStack: "natGateways" is ${nat}; use 0 (isolated subnets only) to 3`);
  }
  if (!Number.isInteger(storage) || storage < 20 || storage > 65536) {
    throw new Error(`DatabaseStack: "allocatedStorage" is ${storage}; use 20 to 65536 GiB (gp3 starts at 20)`);
  }
  if (!Number.isInteger(maxStorage) || maxStorage < storage) {
    throw new Error(`DatabaseStack: "maxAllocatedStorage" is ${maxStorage}; use an integer at least "allocatedStorage" (${storage})`);
  }
}
