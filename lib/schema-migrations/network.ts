import { Annotations, Aspects } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { ATTR } from '../../lambda/handler/constants';
import type { DatabaseAuth } from '../database-auth';
import type { ConnectionTarget } from './target';

/** The handler's group: egress to the database port, to Secrets Manager and to CloudFormation only; the database's group admits it. */
export function handlerSecurityGroup(scope: Construct, network: ConnectionTarget, auth: DatabaseAuth): ec2.SecurityGroup {
  const { secretsManagerEndpoint, cloudFormationEndpoint } = network;
  const securityGroup = new ec2.SecurityGroup(scope, 'SecurityGroup', {
    vpc: network.vpc,
    description: 'schemaguard migrations handler: reaches the database port and Secrets Manager only',
    allowAllOutbound: false,
  });
  // One rule each way, for the database port only (egress here, ingress on the database's group).
  securityGroup.connections.allowTo(network.database, network.port, 'schemaguard migrations handler to the database');
  if (network.database.connections.securityGroups.length === 0) {
    // An imported database without its groups: allowTo wrote no rule (yet: a group added to it later gets one). Egress to the port in the VPC; the ingress is the user's.
    const cidr = vpcCidr(network.vpc);
    if (cidr) securityGroup.addEgressRule(ec2.Peer.ipv4(cidr), network.port, 'schemaguard migrations handler to the database port in the VPC');
    Annotations.of(scope).addWarningV2(
      'schemaguard:databaseWithoutSecurityGroups',
      `the database had no security group when SchemaMigrations was made (imported without "securityGroups"), so its ingress from the handler is not written: allow the handler's group (SchemaMigrations.securityGroup) on ${network.port.toString()} in the database's group, or import the database with its securityGroups` +
        (cidr
          ? ''
          : `; the VPC's CIDR is not known either (imported without vpcCidrBlock), so the handler has no egress to ${network.port.toString()}: add it (securityGroup.addEgressRule)`),
    );
  }
  // A token is signed locally, from the function's credentials: with IAM authentication nothing else is reached.
  if (auth.kind === 'iam') return securityGroup;
  if (secretsManagerEndpoint) {
    securityGroup.connections.allowTo(secretsManagerEndpoint, ec2.Port.tcp(443), 'schemaguard migrations handler to Secrets Manager');
    if (cloudFormationEndpoint)
      securityGroup.connections.allowTo(
        cloudFormationEndpoint,
        ec2.Port.tcp(443),
        'schemaguard migrations handler to CloudFormation (is the stack rolling back?)',
      );
    else warnOfUnreachableCloudFormation(scope);
  } else {
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'schemaguard migrations handler to Secrets Manager and CloudFormation (HTTPS)');
  }
  return securityGroup;
}

/** Egress to Secrets Manager's endpoint only: the handler cannot ask CloudFormation whether a failing Update is a rollback. */
export function warnOfUnreachableCloudFormation(scope: Construct): void {
  Annotations.of(scope).addWarningV2(
    'schemaguard:cloudFormationUnreachable',
    'the handler reaches HTTPS only through "secretsManagerEndpoint", so it cannot ask CloudFormation whether the stack is rolling back: ' +
      'an Update of a rollback that meets an unreachable database, a failing contract or drift with failOnDrift fails the rollback (UPDATE_ROLLBACK_FAILED) instead of reporting it. ' +
      "Add an interface endpoint and pass it: cloudFormationEndpoint: vpc.addInterfaceEndpoint('CloudFormation', { service: ec2.InterfaceVpcEndpointAwsService.CLOUDFORMATION })",
  );
}

/** What to use instead of an attribute of the custom resource in another stack. */
export function crossStackFix(attribute: string): string {
  return attribute === ATTR.currentVersion
    ? 'Read it there through SSM: migrations.versionFor(this) (the stack writes it to the parameter migrations.versionParameterName; the reading stack gets it as a deploy-time parameter and deploys after this one)'
    : `Only CurrentVersion is handed to other stacks (migrations.versionFor(this), through SSM); use ${attribute} in the migrations' own stack, or read it from the handler's log`;
}

/** The VPC's CIDR block, or undefined for a VPC imported without one (its getter throws). */
export function vpcCidr(vpc: ec2.IVpc): string | undefined {
  try {
    return vpc.vpcCidrBlock;
  } catch {
    return undefined;
  }
}

/**
 * A handler in subnets without a route out (PRIVATE_ISOLATED: no NAT) reads
 * the secret only through an interface endpoint for Secrets Manager; without
 * one the SDK's call never gets an answer and the deploy waits for the
 * handler's timeout. Said at synth unless such an endpoint is in the VPC.
 */
export function warnOfUnreachableSecretsManager(scope: Construct, network: ConnectionTarget): void {
  // Checked once the app is complete: an endpoint added to the VPC after the construct counts too.
  Aspects.of(scope).add({
    visit: (node) => {
      if (node === scope) warnIfNoEndpoint(scope, network);
    },
  });
}

export function warnIfNoEndpoint(scope: Construct, network: ConnectionTarget): void {
  const isolated = new Set(network.vpc.isolatedSubnets.map((subnet) => subnet.subnetId));
  const selected = network.vpc.selectSubnets(network.vpcSubnets).subnets;
  if (selected.length === 0 || !selected.every((subnet) => isolated.has(subnet.subnetId))) return;
  if (hasSecretsManagerEndpoint(scope, network.vpc)) return;
  Annotations.of(scope).addWarningV2(
    'schemaguard:secretsManagerUnreachable',
    `the handler runs in isolated subnets of the VPC ${network.vpc.node.path} (no NAT: no route to Secrets Manager) and no "secretsManagerEndpoint" is given, so it cannot read the database secret and the deploy fails after its connect timeout; ` +
      "add an interface endpoint and pass it: secretsManagerEndpoint: vpc.addInterfaceEndpoint('SecretsManager', { service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER }), " +
      'or run the handler in subnets with a NAT route (vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS })',
  );
}

/** An interface endpoint for Secrets Manager in this VPC, made in the app (vpc.addInterfaceEndpoint or new InterfaceVpcEndpoint). */
export function hasSecretsManagerEndpoint(scope: Construct, vpc: ec2.IVpc): boolean {
  return scope.node.root.node
    .findAll()
    .some((c) => c instanceof ec2.CfnVPCEndpoint && c.vpcId === vpc.vpcId && typeof c.serviceName === 'string' && c.serviceName.includes('.secretsmanager'));
}

/**
 * HTTPS to Step Functions, for a workflow the deploy starts (`why` it does): through
 * `stepFunctionsEndpoint`, or already open (no `secretsManagerEndpoint`, a
 * secret: 443 to anywhere); otherwise the start could not leave the VPC, and
 * synth refuses it.
 */
export function reachStepFunctions(securityGroup: ec2.SecurityGroup, network: ConnectionTarget, auth: DatabaseAuth, workflow: string, why: string): void {
  reachService(securityGroup, network, auth, {
    endpoint: network.stepFunctionsEndpoint,
    description: `schemaguard migrations handler to Step Functions (${workflow})`,
    why: `${why}, whose workflow the deploy starts on Step Functions`,
    fix: "stepFunctionsEndpoint: vpc.addInterfaceEndpoint('StepFunctions', { service: ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS })",
  });
}

/**
 * HTTPS to SSM, for a fleet whose tenants are named under a Parameter Store
 * path (`who`: the function that reads it): through `ssmEndpoint`, or
 * already open; otherwise the read could not leave the VPC, and synth
 * refuses it.
 */
export function reachSsm(securityGroup: ec2.SecurityGroup, network: ConnectionTarget, auth: DatabaseAuth, who: string): void {
  reachService(securityGroup, network, auth, {
    endpoint: network.ssmEndpoint,
    description: `schemaguard ${who} to SSM (the fleet's tenants)`,
    why: 'the fleet names its tenants under an SSM parameter path ("parameterPath"), which the functions read at run time',
    fix: "ssmEndpoint: vpc.addInterfaceEndpoint('Ssm', { service: ec2.InterfaceVpcEndpointAwsService.SSM })",
  });
}

/** 443 to a service's endpoint; nothing when 443 to anywhere is open already (a secret, no Secrets Manager endpoint); else refused. */
function reachService(
  securityGroup: ec2.SecurityGroup,
  network: ConnectionTarget,
  auth: DatabaseAuth,
  service: { endpoint?: ec2.IConnectable; description: string; why: string; fix: string },
): void {
  if (service.endpoint) {
    securityGroup.connections.allowTo(service.endpoint, ec2.Port.tcp(443), service.description);
    return;
  }
  if (!network.secretsManagerEndpoint && auth.kind === 'secret') return;
  throw new Error(
    `SchemaMigrations: ${service.why}, and the handler reaches HTTPS ` +
      (auth.kind === 'iam' ? 'nowhere (IAM authentication)' : 'only through "secretsManagerEndpoint"') +
      `: add an interface endpoint and pass it: ${service.fix}`,
  );
}
