/**
 * The resources a function serves, written into its configuration
 * (`SCHEMAGUARD_SERVES`, lambda/handler/served.ts): each custom resource's
 * stack, logical id, type and deciding properties, taken from the very
 * properties the resource is made with. The function refuses any other
 * event, so invoke permission on it never reaches further than the deploy.
 * Only the deciding properties are written: a function's variables are
 * limited to 4 KB in all
 * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
 */
import { type CfnResource, type CustomResource, Lazy, Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { DECIDING_PROPS, type ServedResource } from '../lambda/handler/served';

export class ServedResources {
  private readonly resources: ServedResource[] = [];

  /** `resource`, made with `properties`: its deciding ones are fixed in the function's configuration. */
  add(resource: CustomResource, properties: Record<string, unknown>): void {
    const cfn = resource.node.defaultChild as CfnResource;
    const stack = Stack.of(resource);
    const fixed = Object.fromEntries((DECIDING_PROPS[cfn.cfnResourceType] ?? []).filter((p) => properties[p] !== undefined).map((p) => [p, properties[p]]));
    this.resources.push({
      type: cfn.cfnResourceType,
      // A nested stack's name is known at deploy time only: its resources are then pinned by logical id alone.
      ...(Token.isUnresolved(stack.stackName) ? {} : { stack: stack.stackName }),
      id: stack.getLogicalId(cfn),
      fixed,
    });
  }

  /** The configuration's value, rendered when the app is synthesised: resources served by the function are added after it is made. */
  value(scope: IConstruct): string {
    return Lazy.string({ produce: () => Stack.of(scope).toJsonString(this.resources) });
  }
}
