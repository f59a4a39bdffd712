/**
 * An app's own database, with schemaguard added: the stack owns the VPC, the
 * RDS instance and the on-call topic; schemaguard applies ./migrations during
 * `cdk deploy` and alarms on the PostgreSQL log into that topic.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { DATABASE_PARAMETERS, DatabaseAlarms, postgresLogGroupName, SchemaMigrations } from 'schemaguard';

export interface WidgetsStackProps extends StackProps {
  /** Subscribed to the on-call topic. */
  readonly onCallEmail?: string;
}

export class WidgetsStack extends Stack {
  constructor(scope: Construct, id: string, props: WidgetsStackProps = {}) {
    super(scope, id, props);
    const vpc = new ec2.Vpc(this, 'Vpc', {
      natGateways: 0,
      subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    // The migration handler reads the database secret at run time; without a NAT it needs this endpoint.
    const secretsManager = vpc.addInterfaceEndpoint('SecretsManager', { service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER });

    // The PostgreSQL log group exists before the instance, so the alarms' metric filters never race RDS.
    const instanceIdentifier = 'widgets-db';
    const postgresLog = new logs.LogGroup(this, 'PostgresLog', {
      logGroupName: postgresLogGroupName('instance', instanceIdentifier),
      retention: logs.RetentionDays.ONE_MONTH,
    });
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
    database.node.addDependency(postgresLog);

    // Applies ./migrations (and ./contracts, when the app has them) during every deploy that changes them.
    const migrations = new SchemaMigrations(this, 'Migrations', {
      database,
      secret: database.secret!,
      vpc,
      secretsManagerEndpoint: secretsManager,
      databaseName: 'widgets',
    });

    // The topic on-call already subscribes to; the alarms publish there instead of a topic of their own.
    const onCall = new sns.Topic(this, 'OnCall', { displayName: 'widgets on-call', enforceSSL: true });
    if (props.onCallEmail) onCall.addSubscription(new subscriptions.EmailSubscription(props.onCallEmail));
    new DatabaseAlarms(this, 'Alarms', {
      logGroup: postgresLog,
      topic: onCall,
      migrationFunctions: [migrations.onEventHandler, migrations.isCompleteHandler],
      migrationLogGroupName: migrations.logGroup.logGroupName,
      alarmNamePrefix: instanceIdentifier,
    });
  }
}
