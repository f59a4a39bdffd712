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
import { Annotations, Stack, Token } from 'aws-cdk-lib';
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
  if (where.startsWith('stack ')) warnAcrossAgnosticStacks(owner, taken, kind, key, stack);
  return first;
}

/**
 * Two environment-agnostic stacks that claim one name may be deployed to one
 * account and region (the same profile): then the second deploy fails, or
 * two databases count each other's errors. Not refused (dev and prod of one
 * app differ by profile), but said, once per pair.
 */
function warnAcrossAgnosticStacks(owner: IConstruct, taken: Map<string, string>, kind: string, key: string, stack: Stack): void {
  const full = [kind, 'agnostic', key].join('\u0000');
  const first = taken.get(full);
  if (first === undefined) {
    taken.set(full, `${stack.node.path}\u0000${owner.node.path}`);
    return;
  }
  const [firstStack, firstPath] = first.split('\u0000');
  if (firstStack === stack.node.path) return;
  Annotations.of(owner).addWarningV2(
    `schemaguard:${kind}`,
    `${kind} ${JSON.stringify(key.replace(/\u0000/g, '/'))} is also ${firstPath}'s, in another stack without an account and region: ` +
      "deployed to one account and region, the second deploy fails on the name or the two count each other's errors; give the stacks different names (a stage, an identifier) or each its env",
  );
}
