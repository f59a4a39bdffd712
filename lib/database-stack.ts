/**
 * DatabaseStack: a VPC with isolated subnets (no NAT by default; Secrets
 * Manager through an interface endpoint), RDS for PostgreSQL with TLS forced
 * and IAM auth on, its PostgreSQL log exported to a log group the stack
 * creates first, and the SchemaMigrations custom resource that applies
 * `migrations/` during the deploy.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { Stage } from './app-config';
import { alarmsForStack, type DatabaseAlarms } from './alarms/database-alarms';
import { DatabaseNetwork } from './database-network';
import { databaseParameterGroup } from './database-parameters';
import { acknowledge, acknowledgeDevDeletionProtection } from './nag';
import { postgresLogGroup } from './postgres-log-group';
import { SchemaMigrations } from './schema-migrations';
import { checkIdentifier, stageSettings, type StageSettings } from './stage-settings';

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
  readonly network: DatabaseNetwork;
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
    const settings = stageSettings('DatabaseStack', props.stage, props.logRetention);
    this.instanceIdentifier = props.instanceIdentifier ?? `schemaguard-${props.stage}`;
    const storage = checkProps(props, this.instanceIdentifier);

    this.network = new DatabaseNetwork(this, { natGateways: props.natGateways, logRetention: settings.logRetention, logRemovalPolicy: settings.logRemovalPolicy });
    this.vpc = this.network.vpc;
    this.secretsManagerEndpoint = this.network.secretsManagerEndpoint;
    const engine = rds.DatabaseInstanceEngine.postgres({ version: props.engineVersion ?? rds.PostgresEngineVersion.VER_18_3 });
    this.parameterGroup = databaseParameterGroup(this, engine, `schemaguard ${props.stage}: TLS forced, failing statements and lock waits logged`);
    this.postgresLogGroup = postgresLogGroup(this, 'instance', this.instanceIdentifier, settings);
    this.instance = this.createInstance(props, engine, settings, storage);
    this.secret = this.instance.secret!;
    // The migration handler reads the secret at run time, so rotation never strands it.
    this.network.addSecretRotation(this.instance, 'database');
    acknowledgeInstanceFindings(this.instance, settings);

    this.migrations = new SchemaMigrations(this, 'SchemaMigrations', {
      secret: this.secret,
      database: this.instance,
      vpc: this.vpc,
      vpcSubnets: this.network.isolatedSubnets,
      secretsManagerEndpoint: this.secretsManagerEndpoint,
      databaseName: props.databaseName ?? 'app',
      migrationsDir: props.migrationsDir,
      contractsDir: props.contractsDir,
      logRetention: settings.logRetention,
      logRemovalPolicy: settings.logRemovalPolicy,
      databaseLogGroupName: this.postgresLogGroup.logGroupName,
    });
    this.alarms = alarmsForStack(this, {
      logGroup: this.postgresLogGroup, migrations: this.migrations, name: this.instanceIdentifier,
      alarmEmail: props.alarmEmail, alarmHttpsUrl: props.alarmHttpsUrl,
    });
  }

  /** The instance in the isolated subnets, exporting its log to `postgresLogGroup` (created first). */
  private createInstance(props: DatabaseStackProps, engine: rds.IInstanceEngine, settings: StageSettings, storage: Storage): rds.DatabaseInstance {
    const instance = new rds.DatabaseInstance(this, 'Database', {
      engine,
      instanceIdentifier: this.instanceIdentifier,
      instanceType: props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
      vpc: this.vpc,
      vpcSubnets: this.network.isolatedSubnets,
      credentials: rds.Credentials.fromGeneratedSecret('postgres'),
      databaseName: props.databaseName ?? 'app',
      storageType: rds.StorageType.GP3,
      allocatedStorage: storage.allocatedStorage,
      maxAllocatedStorage: storage.maxAllocatedStorage,
      storageEncrypted: true,
      publiclyAccessible: false,
      multiAz: settings.prod,
      iamAuthentication: true,
      parameterGroup: this.parameterGroup,
      cloudwatchLogsExports: ['postgresql'],
      backupRetention: settings.backupRetention,
      deleteAutomatedBackups: !settings.prod,
      deletionProtection: settings.deletionProtection,
      removalPolicy: settings.databaseRemovalPolicy,
      autoMinorVersionUpgrade: true,
      copyTagsToSnapshot: true,
      enablePerformanceInsights: true,
      performanceInsightRetention: rds.PerformanceInsightRetention.DEFAULT,
    });
    instance.node.addDependency(this.postgresLogGroup);
    return instance;
  }
}

/** cdk-nag findings on the instance that are accepted, with their reasons. */
function acknowledgeInstanceFindings(instance: rds.DatabaseInstance, settings: StageSettings): void {
  acknowledge(instance, 'AwsSolutions-RDS11',
    'The default port 5432 is kept: the instance is reachable only from security groups inside an isolated VPC and forces TLS; a different port hides nothing from a client that is already inside.');
  if (settings.prod) return;
  acknowledge(instance, 'AwsSolutions-RDS3', 'dev stage: single-AZ to halve the cost of a disposable database; the prod stage is Multi-AZ.');
  acknowledgeDevDeletionProtection(instance);
}

interface Storage {
  allocatedStorage: number;
  maxAllocatedStorage: number;
}

/** Checks the props the stage does not cover; returns the storage with its defaults. */
function checkProps(props: DatabaseStackProps, instanceIdentifier: string): Storage {
  const natGateways = props.natGateways ?? 0;
  const allocatedStorage = props.allocatedStorage ?? 20;
  const maxAllocatedStorage = props.maxAllocatedStorage ?? 100;
  checkIdentifier('DatabaseStack', 'instanceIdentifier', instanceIdentifier);
  if (!Number.isInteger(natGateways) || natGateways < 0 || natGateways > 3) {
    throw new Error(`DatabaseStack: "natGateways" is ${natGateways}; use 0 (isolated subnets only) to 3`);
  }
  if (!Number.isInteger(allocatedStorage) || allocatedStorage < 20 || allocatedStorage > 65536) {
    throw new Error(`DatabaseStack: "allocatedStorage" is ${allocatedStorage}; use 20 to 65536 GiB (gp3 starts at 20)`);
  }
  if (!Number.isInteger(maxAllocatedStorage) || maxAllocatedStorage < allocatedStorage) {
    throw new Error(`DatabaseStack: "maxAllocatedStorage" is ${maxAllocatedStorage}; use an integer at least "allocatedStorage" (${allocatedStorage})`);
  }
  return { allocatedStorage, maxAllocatedStorage };
}
