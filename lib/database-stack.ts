/**
 * DatabaseStack: a VPC with isolated subnets (no NAT by default; Secrets
 * Manager through an interface endpoint), RDS for PostgreSQL with TLS forced
 * and IAM auth on, its PostgreSQL log exported to a log group the stack
 * creates first, and the SchemaMigrations custom resource that applies
 * `migrations/` during the deploy, over a connection from the VPC. The
 * outline it shares with AuroraDatabaseStack is in lib/database-stack-base.ts.
 */
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import type { Construct } from 'constructs';
import { DatabaseStackBase, type DatabaseStackCommonProps, type VpcConnection } from './database-stack-base';
import { SUPPORTED_MAJORS } from '../lambda/engine/server/server-majors';
import { engineVersionProblem } from './engine-versions';
import { acknowledge, acknowledgeDevDeletionProtection } from './nag';

export interface DatabaseStackProps extends DatabaseStackCommonProps {
  /**
   * @default ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO)
   */
  readonly instanceType?: ec2.InstanceType;
  /**
   * RDS for PostgreSQL 13 to 18 (docs/guide/versions.md); the parameter group's family follows it (`postgres13` … `postgres18`).
   * @default rds.PostgresEngineVersion.VER_18_3
   */
  readonly engineVersion?: rds.PostgresEngineVersion;
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
   * Allocated storage (GiB), gp3.
   * @default 20
   */
  readonly allocatedStorage?: number;
  /**
   * Storage autoscaling limit (GiB).
   * @default 100
   */
  readonly maxAllocatedStorage?: number;
}

/** A ready-made stack: VPC, RDS for PostgreSQL, SchemaMigrations over a connection, DatabaseAlarms. */
export class DatabaseStack extends DatabaseStackBase<DatabaseStackProps, rds.IInstanceEngine, rds.DatabaseInstance> {
  readonly instance: rds.DatabaseInstance;
  /** The literal RDS instance identifier (`identifier`). */
  readonly instanceIdentifier: string;

  constructor(scope: Construct, id: string, props: DatabaseStackProps) {
    super(scope, id, props, { kind: 'instance', identifierProp: 'instanceIdentifier', identifier: props.instanceIdentifier, natGateways: props.natGateways });
    this.instance = this.database;
    this.instanceIdentifier = this.identifier;
  }

  protected override checkProps(props: DatabaseStackProps): void {
    const natGateways = props.natGateways ?? 0;
    const { allocatedStorage, maxAllocatedStorage } = storageOf(props);
    const version = props.engineVersion?.postgresFullVersion;
    const problem = version === undefined ? undefined : engineVersionProblem('postgres', version);
    if (problem) {
      throw new Error(
        `DatabaseStack: "engineVersion" is ${version}; ${problem}: use one of rds.PostgresEngineVersion.VER_13 to VER_${SUPPORTED_MAJORS.newest} (or their minors)`,
      );
    }
    if (!Number.isInteger(natGateways) || natGateways < 0 || natGateways > 3) {
      throw new Error(`DatabaseStack: "natGateways" is ${natGateways}; use 0 (isolated subnets only) to 3`);
    }
    if (!Number.isInteger(allocatedStorage) || allocatedStorage < 20 || allocatedStorage > 65536) {
      throw new Error(`DatabaseStack: "allocatedStorage" is ${allocatedStorage}; use 20 to 65536 GiB (gp3 starts at 20)`);
    }
    if (!Number.isInteger(maxAllocatedStorage) || maxAllocatedStorage < allocatedStorage) {
      throw new Error(`DatabaseStack: "maxAllocatedStorage" is ${maxAllocatedStorage}; use an integer at least "allocatedStorage" (${allocatedStorage})`);
    }
  }

  protected override engine(props: DatabaseStackProps): rds.IInstanceEngine {
    return rds.DatabaseInstanceEngine.postgres({ version: props.engineVersion ?? rds.PostgresEngineVersion.VER_18_3 });
  }

  protected override createDatabase(props: DatabaseStackProps, engine: rds.IInstanceEngine): rds.DatabaseInstance {
    return new rds.DatabaseInstance(this, 'Database', {
      engine,
      instanceIdentifier: this.identifier,
      instanceType: props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
      vpc: this.vpc,
      vpcSubnets: this.network.isolatedSubnets,
      credentials: rds.Credentials.fromGeneratedSecret('postgres'),
      databaseName: this.databaseName,
      storageType: rds.StorageType.GP3,
      ...storageOf(props),
      storageEncrypted: true,
      publiclyAccessible: false,
      multiAz: this.settings.prod,
      iamAuthentication: true,
      parameterGroup: this.parameterGroup,
      cloudwatchLogsExports: ['postgresql'],
      backupRetention: this.settings.backupRetention,
      deleteAutomatedBackups: !this.settings.prod,
      deletionProtection: this.settings.deletionProtection,
      removalPolicy: this.settings.databaseRemovalPolicy,
      autoMinorVersionUpgrade: true,
      // A new major in engineVersion upgrades the instance in place (the procedure: docs/guide/lifecycle.md).
      allowMajorVersionUpgrade: true,
      copyTagsToSnapshot: true,
      enablePerformanceInsights: true,
      performanceInsightRetention: rds.PerformanceInsightRetention.DEFAULT,
    });
  }

  protected override migrationConnection(instance: rds.DatabaseInstance): VpcConnection {
    return {
      database: instance,
      vpc: this.vpc,
      vpcSubnets: this.network.isolatedSubnets,
      secretsManagerEndpoint: this.secretsManagerEndpoint,
      cloudFormationEndpoint: this.network.addCloudFormationEndpoint(),
      stepFunctionsEndpoint: this.network.addStepFunctionsEndpoint(),
    };
  }

  protected override acknowledgeFindings(instance: rds.DatabaseInstance): void {
    acknowledge(
      instance,
      'AwsSolutions-RDS11',
      'The default port 5432 is kept: the instance is reachable only from security groups inside an isolated VPC and forces TLS; a different port hides nothing from a client that is already inside.',
    );
    if (this.settings.prod) return;
    acknowledge(instance, 'AwsSolutions-RDS3', 'dev stage: single-AZ to halve the cost of a disposable database; the prod stage is Multi-AZ.');
    acknowledgeDevDeletionProtection(instance);
  }
}

/** gp3 storage and its autoscaling limit, with their defaults. */
function storageOf(props: DatabaseStackProps): { allocatedStorage: number; maxAllocatedStorage: number } {
  return { allocatedStorage: props.allocatedStorage ?? 20, maxAllocatedStorage: props.maxAllocatedStorage ?? 100 };
}
