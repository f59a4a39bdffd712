import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { grantIamConnect, type DatabaseAuth } from '../database-auth';
import { acknowledge } from '../nag';
import type { Construct } from 'constructs';
import { type MigrationsTarget, targetDatabase } from './target';

/** The handlers' role: their own logs, the network interfaces (in a VPC) or the Data API on the one cluster, the one secret. */
export function handlerRole(self: Construct & { readonly logGroup: logs.ILogGroup }, target: MigrationsTarget, auth: DatabaseAuth): iam.Role {
  const inVpc = target.kind === 'connection';
  const role = new iam.Role(self, 'HandlerRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: inVpc
      ? 'schemaguard migrations handler: its own logs, its VPC network interfaces, and the one database secret'
      : 'schemaguard migrations handler: its own logs, the RDS Data API on the one cluster, and its secret',
  });
  grantDatabase(role, self.logGroup, target, auth);
  // Whether a failing Update is a rollback (lambda/handler/rollback-report.ts): the stack's own status only.
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ sid: 'OwnStackStatus', actions: ['cloudformation:DescribeStacks'], resources: [Stack.of(self).stackId] }),
  );
  return role;
}

/** The operator function's role: its own logs, the database as the migrations reach it; nothing of CloudFormation's. */
export function operatorRole(self: Construct, target: MigrationsTarget, auth: DatabaseAuth, logGroup: logs.ILogGroup): iam.Role {
  const role = new iam.Role(self, 'OperatorRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: "schemaguard operator function: its own logs, the database as the migrations reach it (the CLI's --function)",
  });
  grantDatabase(role, logGroup, target, auth);
  if (target.kind === 'connection')
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'Only the VPC network-interface actions (ec2:CreateNetworkInterface, DescribeNetworkInterfaces, DeleteNetworkInterface, Assign/UnassignPrivateIpAddresses) use "*": EC2 has no resource-level permissions for them. Logs and the secret are scoped to their ARNs.',
    );
  return role;
}

/** Writing its own logs, and reaching the database as `auth`: the network or the Data API, and the IAM user's connect or the one secret. */
export function grantDatabase(role: iam.Role, logGroup: logs.ILogGroup, target: MigrationsTarget, auth: DatabaseAuth): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ sid: 'OwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
  );
  role.addToPrincipalPolicy(reachStatement(target));
  if (auth.kind === 'iam') grantIamConnect('SchemaMigrations', targetDatabase(target), role, auth.username);
  else for (const statement of secretStatements(auth.secret, Stack.of(role).region)) role.addToPrincipalPolicy(statement);
}

/** What a function needs to reach the database: network interfaces in the VPC, or the Data API on the cluster. */
export function reachStatement(target: MigrationsTarget): iam.PolicyStatement {
  return target.kind === 'connection' ? vpcNetworkInterfacesStatement() : dataApiStatement(target.cluster);
}

export function vpcNetworkInterfacesStatement(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'VpcNetworkInterfaces',
    actions: [
      'ec2:CreateNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DeleteNetworkInterface',
      'ec2:AssignPrivateIpAddresses',
      'ec2:UnassignPrivateIpAddresses',
    ],
    resources: ['*'],
  });
}

/** The four calls the driver makes, on this cluster only (not rds-data:*, not BatchExecuteStatement). */
export function dataApiStatement(cluster: rds.IDatabaseCluster): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'DataApiOnTheCluster',
    actions: ['rds-data:ExecuteStatement', 'rds-data:BeginTransaction', 'rds-data:CommitTransaction', 'rds-data:RollbackTransaction'],
    resources: [cluster.clusterArn],
  });
}

/**
 * Read the one secret; decrypt it only when a customer-managed key encrypts it, and only through Secrets Manager.
 * `name` makes the statement ids (`ReadThe<name>Secret`), unique within one role's policy.
 */
export function secretStatements(secret: secretsmanager.ISecret, region: string, name = 'Database'): iam.PolicyStatement[] {
  const read = new iam.PolicyStatement({
    sid: `ReadThe${name}Secret`,
    actions: ['secretsmanager:GetSecretValue'],
    resources: [secret.secretFullArn ?? `${secret.secretArn}-??????`],
  });
  if (!secret.encryptionKey) return [read];
  return [
    read,
    new iam.PolicyStatement({
      sid: `DecryptThe${name}Secret`,
      actions: ['kms:Decrypt'],
      resources: [secret.encryptionKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
    }),
  ];
}
