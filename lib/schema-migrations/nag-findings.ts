import { acknowledge, arnToken } from '../nag';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Provider } from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';

/** What the findings are about: SchemaMigrations' parts (named here, not imported, so this file does not import the construct back). */
export interface NagSubject extends Construct {
  readonly securityGroup?: ec2.SecurityGroup;
  readonly onEventHandler: lambda.Function;
  readonly isCompleteHandler: lambda.Function;
  readonly provider: Provider;
}

/** cdk-nag findings of this construct that are accepted, with their reasons. */
export function acknowledgeNagFindings(self: NagSubject): void {
  if (self.securityGroup)
    acknowledge(
      self.node.findChild('HandlerRole'),
      'AwsSolutions-IAM5[Resource::*]',
      'Only the VPC network-interface actions (ec2:CreateNetworkInterface, DescribeNetworkInterfaces, DeleteNetworkInterface, Assign/UnassignPrivateIpAddresses) use "*": EC2 does not support resource-level permissions for them, and a function in a VPC needs them. Logs and the secret are scoped to their ARNs.',
    );
  for (const fn of [self.onEventHandler, self.isCompleteHandler]) {
    acknowledge(
      fn,
      'AwsSolutions-L1',
      'Pinned to Node.js 22 on purpose: the handler bundle targets node22 and is tested on it; moving to a newer runtime is a deliberate change, not a silent one.',
    );
  }
  acknowledge(
    self.provider,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    "The framework functions of aws-cdk-lib's Provider use the AWS managed basic execution role (log writing only); the Provider does not let it be replaced per statement.",
  );
  for (const fn of [self.onEventHandler, self.isCompleteHandler]) {
    acknowledge(
      self.provider,
      `AwsSolutions-IAM5[Resource::${arnToken(fn)}:*]`,
      'The Provider framework may invoke the handler function and its versions (ARN:*); the wildcard is the version qualifier of this one function only.',
    );
  }
  const frameworkFns = ['framework-isComplete', 'framework-onTimeout'].map((id) => self.provider.node.findChild(id));
  for (const fn of frameworkFns) {
    acknowledge(
      self.provider,
      `AwsSolutions-IAM5[Resource::${arnToken(fn)}:*]`,
      "The waiter state machine may invoke the framework's own isComplete/onTimeout functions and their versions (ARN:*) only.",
    );
  }
  acknowledge(
    self.provider,
    'AwsSolutions-IAM5[Resource::*]',
    'The waiter state machine role needs the CloudWatch Logs delivery actions (logs:CreateLogDelivery, GetLogDelivery, …) for its execution log; they do not support resource-level permissions.',
  );
  acknowledge(
    self.provider,
    'AwsSolutions-SF2',
    "The Provider framework's waiter state machine has no X-Ray option; it only polls isComplete, and its executions are logged to the provider log group.",
  );
}
