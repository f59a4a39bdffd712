/**
 * Names that two constructs of one app must not share in one account and
 * region: a metric namespace (two databases' alarms would count each other's
 * errors), a guard role on one database instance (two secrets would fight
 * over one password). Synth refuses the second claim, naming the first.
 *
 * Stacks without an explicit account or region compare equal to each other
 * (their account is the same unresolved token): they may be deployed to the
 * same one.
 */
import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

const claims = new WeakMap<IConstruct, Map<string, string>>();

/**
 * Claims `key` of `kind` for `owner` in its stack's account and region;
 * returns the path of the construct that claimed it first, or undefined
 * (then the claim is `owner`'s).
 */
export function claimOnce(owner: IConstruct, kind: string, key: string): string | undefined {
  const stack = Stack.of(owner);
  const full = [kind, stack.account, stack.region, key].join('\u0000');
  const root = owner.node.root;
  let taken = claims.get(root);
  if (!taken) claims.set(root, (taken = new Map()));
  const first = taken.get(full);
  if (first === undefined) taken.set(full, owner.node.path);
  return first;
}
