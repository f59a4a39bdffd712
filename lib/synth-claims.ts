/**
 * Names that two constructs of one app must not share in one account and
 * region: a metric namespace (two databases' alarms would count each other's
 * errors), a guard role on one database instance (two secrets would fight
 * over one password). Synth refuses the second claim, naming the first.
 *
 * Where: a stack's account and region when both are given. A stack without
 * them (environment-agnostic) can be deployed to any account, so two such
 * stacks are not taken for the same place (dev and prod of one app, deployed
 * with different profiles): the claims of one of them are compared within
 * it, or within the stack of `place` (the database a guard's role is on).
 */
import { Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

const claims = new WeakMap<IConstruct, Map<string, string>>();

/**
 * Claims `key` of `kind` for `owner` in the account and region of `place`'s
 * stack (`owner`'s by default); returns the path of the construct that
 * claimed it first, or undefined (then the claim is `owner`'s).
 */
export function claimOnce(owner: IConstruct, kind: string, key: string, place: IConstruct = owner): string | undefined {
  const stack = Stack.of(place);
  const where = Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region) ? `stack ${stack.node.path}` : `${stack.account}/${stack.region}`;
  const full = [kind, where, key].join('\u0000');
  const root = owner.node.root;
  let taken = claims.get(root);
  if (!taken) claims.set(root, (taken = new Map()));
  const first = taken.get(full);
  if (first === undefined) taken.set(full, owner.node.path);
  return first;
}
