/**
 * An app's own RDS for PostgreSQL instance, with schemaguard added: the stack
 * owns the VPC, the instance and the on-call topic; schemaguard applies
 * ./migrations during `cdk deploy` (over a connection from the VPC) and alarms
 * on the PostgreSQL log into that topic.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import type { Construct } from 'constructs';
import { DATABASE_PARAMETERS, SchemaMigrations } from 'schemaguard';
import { isolatedVpc, onCallAlarms, postgresLog, type OnCallProps } from './common';

export class WidgetsStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps & OnCallProps = {}) {
    super(scope, id, props);
    const vpc = isolatedVpc(this);
    // The migration handler reads the database secret at run time, and asks CloudFormation whether the stack is rolling back:
    // without a NAT it needs these endpoints.
    const secretsManager = vpc.addInterfaceEndpoint('SecretsManager', { service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER });
    const cloudFormation = vpc.addInterfaceEndpoint('CloudFormation', { service: ec2.InterfaceVpcEndpointAwsService.CLOUDFORMATION });

    const instanceIdentifier = 'widgets-db';
    const log = postgresLog(this, 'instance', instanceIdentifier);
    const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 });
    const database = new rds.DatabaseInstance(this, 'Database', {
      engine,
      instanceIdentifier,
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      credentials: rds.Credentials.fromGeneratedSecret('postgres'),
      databaseName: 'widgets',
      storageEncrypted: true,
      // TLS forced, and the statement of each ERROR logged (what the alarms' runbooks show).
      parameterGroup: new rds.ParameterGroup(this, 'Parameters', { engine, parameters: { ...DATABASE_PARAMETERS } }),
      cloudwatchLogsExports: ['postgresql'],
    });
    database.node.addDependency(log.made);

    // Applies ./migrations (and ./contracts, when the app has them) in every deploy that changes them.
    const migrations = new SchemaMigrations(this, 'Migrations', {
      database,
      secret: database.secret!,
      vpc,
      secretsManagerEndpoint: secretsManager,
      cloudFormationEndpoint: cloudFormation,
      databaseName: 'widgets',
    });

    onCallAlarms(this, log.logGroup, migrations, instanceIdentifier, props);
  }
}
