/**
 * AuroraDatabaseStack (`-c schemaguard:engine=aurora`): Aurora PostgreSQL
 * Serverless v2 with the RDS Data API enabled, in isolated subnets, TLS forced
 * and IAM auth on, its PostgreSQL log exported to
 * `/aws/rds/cluster/<id>/postgresql` (created by the stack first, so the
 * metric filters never race RDS), the alarms on that log group, and the
 * SchemaMigrations custom resource migrating through the Data API: its
 * function runs OUTSIDE the VPC and may only call the four Data API actions on
 * this cluster and read the cluster's secret. Only the secret rotation
 * function runs in the VPC. The outline it shares with DatabaseStack is in
 * lib/database-stack-base.ts.
 */
import * as rds from 'aws-cdk-lib/aws-rds';
import type { Construct } from 'constructs';
import { DatabaseStackBase, type DataApiConnection, type DatabaseStackCommonProps } from './database-stack-base';
import { auroraVersions, DATA_API_FROM, engineVersionProblem } from './engine-versions';
import { acknowledge, acknowledgeDevDeletionProtection } from './nag';
import { present } from '../lambda/engine/errors/present';

export interface AuroraDatabaseStackProps extends DatabaseStackCommonProps {
  /**
   * Aurora PostgreSQL 13 to 18, from the first minor of each with the RDS Data API (13.11, 14.8, 15.3, 16.1, 17.4, 18.3: docs/guide/versions.md);
   * the cluster parameter group's family follows it (`aurora-postgresql13` …).
   * @default rds.AuroraPostgresEngineVersion.VER_17_6
   */
  readonly engineVersion?: rds.AuroraPostgresEngineVersion;
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
}

/** Writer and reader alike: minor upgrades on, Performance Insights on, no public address. */
const CLUSTER_INSTANCE = { autoMinorVersionUpgrade: true, enablePerformanceInsights: true, publiclyAccessible: false } as const;

/** A ready-made stack: VPC, Aurora PostgreSQL Serverless v2, SchemaMigrations through the Data API, DatabaseAlarms. */
export class AuroraDatabaseStack extends DatabaseStackBase<AuroraDatabaseStackProps, rds.IClusterEngine, rds.DatabaseCluster> {
  /** Serverless v2, the Data API enabled; a writer, and a reader in prod. */
  readonly cluster: rds.DatabaseCluster;
  /** The literal cluster identifier (`identifier`). */
  readonly clusterIdentifier: string;

  constructor(scope: Construct, id: string, props: AuroraDatabaseStackProps) {
    // No NAT gateway: the migrations use the Data API from outside the VPC.
    super(scope, id, props, {
      kind: 'cluster',
      identifierProp: 'clusterIdentifier',
      identifier: props.clusterIdentifier,
      natGateways: 0,
      engineLabel: ' (Aurora)',
    });
    this.cluster = this.database;
    this.clusterIdentifier = this.identifier;
  }

  protected override checkProps(props: AuroraDatabaseStackProps): void {
    const version = props.engineVersion?.auroraPostgresFullVersion;
    const problem = version === undefined ? undefined : engineVersionProblem('aurora', version);
    if (problem) {
      throw new Error(
        `AuroraDatabaseStack: "engineVersion" is ${version}; ${problem}: use rds.AuroraPostgresEngineVersion.VER_${present(auroraVersions().at(-1)).replace('.', '_')} or another of ${Object.values(DATA_API_FROM).join(', ')} or later in its major`,
      );
    }
    const { minCapacity: min, maxCapacity: max } = capacityOf(props);
    const half = (n: number) => Number.isFinite(n) && Math.round(n * 2) === n * 2;
    if (!half(min) || min < 0 || min > 256 || !half(max) || max < 1 || max > 256 || max < min) {
      throw new Error(
        `AuroraDatabaseStack: capacity ${min}..${max} ACU is not valid; use steps of 0.5 with 0 <= minCapacity <= maxCapacity, 1 <= maxCapacity <= 256`,
      );
    }
  }

  protected override engine(props: AuroraDatabaseStackProps): rds.IClusterEngine {
    return rds.DatabaseClusterEngine.auroraPostgres({ version: props.engineVersion ?? rds.AuroraPostgresEngineVersion.VER_17_6 });
  }

  protected override createDatabase(props: AuroraDatabaseStackProps, engine: rds.IClusterEngine): rds.DatabaseCluster {
    const { minCapacity, maxCapacity } = capacityOf(props);
    return new rds.DatabaseCluster(this, 'Cluster', {
      engine,
      clusterIdentifier: this.identifier,
      vpc: this.vpc,
      vpcSubnets: this.network.isolatedSubnets,
      credentials: rds.Credentials.fromGeneratedSecret('postgres'),
      defaultDatabaseName: this.databaseName,
      writer: rds.ClusterInstance.serverlessV2('Writer', CLUSTER_INSTANCE),
      readers: this.settings.prod ? [rds.ClusterInstance.serverlessV2('Reader', { scaleWithWriter: true, ...CLUSTER_INSTANCE })] : [],
      serverlessV2MinCapacity: minCapacity,
      serverlessV2MaxCapacity: maxCapacity,
      enableDataApi: true,
      storageEncrypted: true,
      iamAuthentication: true,
      parameterGroup: this.parameterGroup,
      cloudwatchLogsExports: ['postgresql'],
      backup: { retention: this.settings.backupRetention },
      deletionProtection: this.settings.deletionProtection,
      removalPolicy: this.settings.databaseRemovalPolicy,
      copyTagsToSnapshot: true,
    });
  }

  protected override migrationConnection(cluster: rds.DatabaseCluster): DataApiConnection {
    return { dataApiCluster: cluster };
  }

  protected override acknowledgeFindings(cluster: rds.DatabaseCluster): void {
    acknowledge(
      cluster,
      'AwsSolutions-RDS11',
      'The default port 5432 is kept: the cluster is reachable only from security groups inside an isolated VPC (the migrations use the Data API, not the port) and forces TLS.',
    );
    if (!this.settings.prod) acknowledgeDevDeletionProtection(cluster);
  }
}

/** The Serverless v2 capacity range in ACUs, with its defaults. */
function capacityOf(props: AuroraDatabaseStackProps): { minCapacity: number; maxCapacity: number } {
  return { minCapacity: props.minCapacity ?? 0.5, maxCapacity: props.maxCapacity ?? 4 };
}
