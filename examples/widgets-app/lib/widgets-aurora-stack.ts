/**
 * The same app on Aurora PostgreSQL Serverless v2, migrated through the RDS
 * Data API: schemaguard's handler runs outside the VPC and may call only the
 * Data API on this cluster and read its secret. No endpoint, no NAT.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import type { Construct } from 'constructs';
import { DATABASE_PARAMETERS, SchemaMigrations } from 'schemaguard';
import { isolatedVpc, onCallAlarms, postgresLog, type OnCallProps } from './common';

export class WidgetsAuroraStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps & OnCallProps = {}) {
    super(scope, id, props);
    const clusterIdentifier = 'widgets-aurora';
    const log = postgresLog(this, 'cluster', clusterIdentifier);
    const engine = rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_6 });
    const cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine,
      clusterIdentifier,
      vpc: isolatedVpc(this),
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      credentials: rds.Credentials.fromGeneratedSecret('postgres'),
      defaultDatabaseName: 'widgets',
      writer: rds.ClusterInstance.serverlessV2('Writer'),
      serverlessV2MinCapacity: 0.5,
      serverlessV2MaxCapacity: 2,
      enableDataApi: true,
      storageEncrypted: true,
      parameterGroup: new rds.ParameterGroup(this, 'Parameters', { engine, parameters: { ...DATABASE_PARAMETERS } }),
      cloudwatchLogsExports: ['postgresql'],
    });
    cluster.node.addDependency(log.made);

    const migrations = new SchemaMigrations(this, 'Migrations', {
      dataApiCluster: cluster,
      secret: cluster.secret!,
      databaseName: 'widgets',
    });

    onCallAlarms(this, log.logGroup, migrations, clusterIdentifier, props);
  }
}
