/**
 * DatabaseNetwork on a bare stack: the VPC, its flow logs, the Secrets Manager
 * endpoint, the secret rotation in the network — and the logical IDs it gives
 * them, which must be the ones the database stacks have always had.
 */
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { beforeAll, describe, expect, it } from 'vitest';
import { DatabaseNetwork, SECRET_ROTATION_INTERVAL } from '../../lib/database-network';

function networkStack(natGateways?: number): { stack: Stack; network: DatabaseNetwork } {
  const stack = new Stack(new App(), 'Network');
  const network = new DatabaseNetwork(stack, { natGateways, logRetention: logs.RetentionDays.ONE_MONTH, logRemovalPolicy: RemovalPolicy.RETAIN });
  return { stack, network };
}

let isolated: { stack: Stack; network: DatabaseNetwork };
let isolatedT: Template;
let withNat: Template;
let rotated: Template;
let database: rds.DatabaseInstance;

beforeAll(() => {
  isolated = networkStack();
  isolatedT = Template.fromStack(isolated.stack);
  withNat = Template.fromStack(networkStack(2).stack);
  const { stack, network } = networkStack();
  database = new rds.DatabaseInstance(stack, 'Database', {
    engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_18_3 }),
    vpc: network.vpc,
    vpcSubnets: network.isolatedSubnets,
    credentials: rds.Credentials.fromGeneratedSecret('postgres'),
  });
  network.addSecretRotation(database, 'database');
  rotated = Template.fromStack(stack);
});

describe('Class: DatabaseNetwork', () => {
  describe('the VPC', () => {
    it('without NAT gateways: two isolated subnets, no NAT, no internet gateway, no route, no public IP', () => {
      isolatedT.resourceCountIs('AWS::EC2::VPC', 1);
      isolatedT.resourceCountIs('AWS::EC2::Subnet', 2);
      isolatedT.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
      isolatedT.resourceCountIs('AWS::EC2::NatGateway', 0);
      isolatedT.resourceCountIs('AWS::EC2::InternetGateway', 0);
      isolatedT.resourceCountIs('AWS::EC2::Route', 0);
      expect(isolated.network.isolatedSubnets).toEqual({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED });
    });

    it('with NAT gateways: public and private-with-egress subnets beside the isolated ones, one NAT per gateway asked for', () => {
      withNat.resourceCountIs('AWS::EC2::Subnet', 6);
      withNat.resourceCountIs('AWS::EC2::NatGateway', 2);
      withNat.resourceCountIs('AWS::EC2::InternetGateway', 1);
      withNat.resourcePropertiesCountIs('AWS::EC2::Subnet', { MapPublicIpOnLaunch: true }, 2);
    });

    it('logs all its traffic to a flow-log group with the given retention and removal policy', () => {
      isolatedT.hasResourceProperties('AWS::EC2::FlowLog', {
        TrafficType: 'ALL',
        LogDestinationType: 'cloud-watch-logs',
        LogGroupName: { Ref: 'FlowLogs16C1943A' },
      });
      isolatedT.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 30 }, DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });

    it('refuses a NAT gateway count outside 0 to 3', () => {
      expect(() => networkStack(4)).toThrow(/DatabaseNetwork: "natGateways" is 4; use 0 \(isolated subnets only\) to 3/);
      expect(() => networkStack(1.5)).toThrow(/"natGateways" is 1.5/);
    });

    // Regression (a JavaScript app, a value from context): "1" was reported as `"natGateways" is 1; use 0 (isolated subnets only) to 3`.
    it('refuses a count of the wrong kind, naming it', () => {
      expect(() => networkStack('1' as never)).toThrow(
        /^DatabaseNetwork: "natGateways" is "1" \(a string\); pass a number \(a value from context is a string: Number\(…\) it\)$/,
      );
    });
  });

  describe('the Secrets Manager endpoint', () => {
    it('is an interface endpoint in the isolated subnets with private DNS', () => {
      isolatedT.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
      isolatedT.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Interface',
        PrivateDnsEnabled: true,
        ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('secretsmanager')])] }),
        SubnetIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('^VpcisolatedSubnet') }]),
      });
    });

    it('is closed: no ingress from the VPC CIDR, none at all until a group is allowed', () => {
      isolatedT.resourcePropertiesCountIs('AWS::EC2::SecurityGroup', { SecurityGroupIngress: Match.anyValue() }, 0);
      isolatedT.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    });
  });

  describe('Method: addSecretRotation', () => {
    it('rotates the secret every 30 days with a function in the isolated subnets and its own group', () => {
      expect(SECRET_ROTATION_INTERVAL.toDays()).toBe(30);
      rotated.hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: 'rate(30 days)' } });
      rotated.hasResourceProperties('AWS::EC2::SecurityGroup', {
        GroupDescription: 'secret rotation function: reaches the database and Secrets Manager',
        SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0' })],
      });
    });

    it('opens the endpoint on 443 to the rotation group only', () => {
      rotated.resourcePropertiesCountIs(
        'AWS::EC2::SecurityGroupIngress',
        {
          FromPort: 443,
          ToPort: 443,
          IpProtocol: 'tcp',
          GroupId: { 'Fn::GetAtt': ['VpcSecretsManagerSecurityGroup3DBAE5C3', 'GroupId'] },
          SourceSecurityGroupId: { 'Fn::GetAtt': ['RotationSecurityGroup8276CF62', 'GroupId'] },
        },
        1,
      );
      rotated.resourcePropertiesCountIs('AWS::EC2::SecurityGroupIngress', { FromPort: 443 }, 1);
    });
  });

  describe('logical IDs', () => {
    it('adds its resources to the given scope with the ids the database stacks have always had (a new id would replace the VPC)', () => {
      const ids = (type: string, t: Template) => Object.keys(t.findResources(type)).sort();
      expect(ids('AWS::EC2::VPC', isolatedT)).toEqual(['Vpc8378EB38']);
      expect(ids('AWS::Logs::LogGroup', isolatedT)).toEqual(['FlowLogs16C1943A']);
      expect(ids('AWS::EC2::FlowLog', isolatedT)).toEqual(['VpcallFlowLogF5ACEAEC']);
      expect(ids('AWS::EC2::VPCEndpoint', isolatedT)).toEqual(['VpcSecretsManagerC91B0406']);
      expect(ids('AWS::EC2::SecurityGroup', rotated)).toEqual(
        expect.arrayContaining(['RotationSecurityGroup8276CF62', 'VpcSecretsManagerSecurityGroup3DBAE5C3']),
      );
      expect(isolated.network.vpc.node.path).toBe('Network/Vpc');
    });
  });
});
