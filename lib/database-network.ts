/**
 * DatabaseNetwork: the network both database stacks put their database in —
 * a VPC over two AZs with isolated subnets (public and private-with-egress
 * subnets too when it has NAT gateways), all its traffic logged to a flow-log
 * group, and an interface endpoint for Secrets Manager so that what runs in the
 * VPC (the migration handler, the secret rotation function) reaches the
 * secret without a route to the internet. `addSecretRotation` places the
 * database's secret rotation function in it.
 *
 * Not a Construct, on purpose: a construct is a new node in the tree, and its
 * children's logical IDs and `aws:cdk:path`s would move under it (`Network/Vpc…`
 * instead of `Vpc…`). On a deployed stack CloudFormation would then replace the
 * VPC, its subnets and endpoint, and so the database inside them. So the
 * resources are added straight to the given scope (the stack) with the ids
 * they have always had: `FlowLogs`, `Vpc`, `Vpc/SecretsManager`,
 * `RotationSecurityGroup`.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { refuseWrongKinds } from './prop-types';

export interface DatabaseNetworkProps {
  /**
   * NAT gateways. With 0 the VPC has isolated subnets only; with 1 to 3 it also
   * has public and private-with-egress subnets.
   * @default 0
   */
  readonly natGateways?: number;
  /** Retention of the flow-log group. */
  readonly logRetention: logs.RetentionDays;
  /** Removal policy of the flow-log group. */
  readonly logRemovalPolicy: RemovalPolicy;
}

/** A database that rotates its own secret: rds.DatabaseInstance or rds.DatabaseCluster. */
export interface RotatableDatabase {
  addRotationSingleUser(options?: rds.RotationSingleUserOptions): secretsmanager.SecretRotation;
}

/** How often the database's secret is rotated. */
export const SECRET_ROTATION_INTERVAL = Duration.days(30);

export class DatabaseNetwork {
  readonly vpc: ec2.Vpc;
  /** The log group of the VPC's flow logs (all traffic). */
  readonly flowLogs: logs.LogGroup;
  /** Interface endpoint for Secrets Manager in the isolated subnets, with private DNS. */
  readonly secretsManagerEndpoint: ec2.InterfaceVpcEndpoint;
  /** The isolated subnets: where the database, the handler and the rotation function run. */
  readonly isolatedSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

  constructor(
    private readonly scope: Construct,
    props: DatabaseNetworkProps,
  ) {
    refuseWrongKinds('DatabaseNetwork', props, { natGateways: 'number' });
    const natGateways = props.natGateways ?? 0;
    if (!Number.isInteger(natGateways) || natGateways < 0 || natGateways > 3) {
      throw new Error(`DatabaseNetwork: "natGateways" is ${natGateways}; use 0 (isolated subnets only) to 3`);
    }
    this.flowLogs = new logs.LogGroup(scope, 'FlowLogs', { retention: props.logRetention, removalPolicy: props.logRemovalPolicy });
    this.vpc = new ec2.Vpc(scope, 'Vpc', {
      maxAzs: 2,
      natGateways,
      subnetConfiguration: subnetConfiguration(natGateways),
      flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogs), trafficType: ec2.FlowLogTrafficType.ALL } },
    });
    this.secretsManagerEndpoint = this.vpc.addInterfaceEndpoint('SecretsManager', {
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      subnets: this.isolatedSubnets,
      privateDnsEnabled: true,
      // Only the groups that are allowed to (the handler, the rotation function) reach it.
      open: false,
    });
  }

  /**
   * An interface endpoint for CloudFormation in the isolated subnets (private
   * DNS, open only to the groups allowed to): the migration handler asks it
   * whether the stack is rolling back when an Update fails, so that a
   * rollback is reported rather than failed. `CloudFormation` under the VPC.
   */
  addCloudFormationEndpoint(): ec2.InterfaceVpcEndpoint {
    return this.vpc.addInterfaceEndpoint('CloudFormation', {
      service: ec2.InterfaceVpcEndpointAwsService.CLOUDFORMATION,
      subnets: this.isolatedSubnets,
      privateDnsEnabled: true,
      open: false,
    });
  }

  /**
   * An interface endpoint for Step Functions in the isolated subnets (private
   * DNS, open only to the groups allowed to), made only when something
   * reaches for it: SchemaMigrations does when a migration has a backfill,
   * whose workflow the deploy starts. `StepFunctions` under the VPC.
   */
  addStepFunctionsEndpoint(): ec2.IConnectable & Construct {
    return new OnDemandEndpoint(
      this.vpc,
      'StepFunctions',
      (scope) =>
        new ec2.InterfaceVpcEndpoint(scope, 'Endpoint', {
          vpc: this.vpc,
          service: ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
          subnets: this.isolatedSubnets,
          privateDnsEnabled: true,
          open: false,
        }),
    );
  }

  /**
   * Rotates the database's secret every 30 days with a single-user rotation
   * function in the isolated subnets, in its own security group
   * (`RotationSecurityGroup` in the scope) that may reach the endpoint.
   * `reaches` names the database in the group's description.
   */
  addSecretRotation(database: RotatableDatabase, reaches: 'database' | 'cluster'): ec2.SecurityGroup {
    const securityGroup = new ec2.SecurityGroup(this.scope, 'RotationSecurityGroup', {
      vpc: this.vpc,
      description: `secret rotation function: reaches the ${reaches} and Secrets Manager`,
      allowAllOutbound: true,
    });
    database.addRotationSingleUser({
      automaticallyAfter: SECRET_ROTATION_INTERVAL,
      endpoint: this.secretsManagerEndpoint,
      vpcSubnets: this.isolatedSubnets,
      securityGroup,
    });
    this.secretsManagerEndpoint.connections.allowDefaultPortFrom(securityGroup, 'secret rotation to Secrets Manager');
    return securityGroup;
  }
}

/**
 * The Secrets Manager endpoint's policy: through it, only these secrets may
 * be read, described and rotated (the single-user rotation's calls), and a
 * password generated (GetRandomPassword, which names no secret). Whoever
 * calls still needs an identity policy that allows it; a call for any other
 * secret through the endpoint is denied.
 */
export function limitSecretsManagerEndpoint(endpoint: ec2.InterfaceVpcEndpoint, secrets: readonly secretsmanager.ISecret[]): void {
  endpoint.addToPolicy(
    new iam.PolicyStatement({
      sid: 'TheStackSecretsOnly',
      principals: [new iam.AnyPrincipal()],
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
      resources: secrets.map((secret) => secret.secretFullArn ?? `${secret.secretArn}-??????`),
    }),
  );
  endpoint.addToPolicy(
    new iam.PolicyStatement({
      sid: 'RotationPasswords',
      principals: [new iam.AnyPrincipal()],
      actions: ['secretsmanager:GetRandomPassword'],
      resources: ['*'],
    }),
  );
}

function subnetConfiguration(natGateways: number): ec2.SubnetConfiguration[] {
  const isolated: ec2.SubnetConfiguration = { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 };
  if (natGateways === 0) return [isolated];
  return [
    isolated,
    { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
    { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
  ];
}

/** An endpoint made the first time its `connections` are asked for (a rule to it added); until then, nothing. */
class OnDemandEndpoint extends Construct implements ec2.IConnectable {
  private endpoint?: ec2.InterfaceVpcEndpoint;

  constructor(
    scope: Construct,
    id: string,
    private readonly make: (scope: Construct) => ec2.InterfaceVpcEndpoint,
  ) {
    super(scope, id);
  }

  get connections(): ec2.Connections {
    this.endpoint ??= this.make(this);
    return this.endpoint.connections;
  }
}
