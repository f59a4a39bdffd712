/**
 * cdk-nag (v3) findings this project accepts. Each acknowledgement is put on
 * the narrowest construct that owns the finding, with its reason; the tests
 * and docs/reference/more/cdk-nag.md read them back from the construct tree.
 */
import { Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** The `<LogicalId.Arn>` form cdk-nag uses in IAM5 finding ids. */
export function arnToken(resource: IConstruct): string {
  const cfn = resource.node.defaultChild as CfnElement;
  return `<${Stack.of(resource).getLogicalId(cfn)}.Arn>`;
}

export interface AcknowledgedRule {
  path: string;
  id: string;
  reason: string;
}

/** Every acknowledgement in the tree under `root` (from the construct metadata). */
export function acknowledgedRules(root: IConstruct): AcknowledgedRule[] {
  const out: AcknowledgedRule[] = [];
  for (const c of root.node.findAll()) {
    for (const m of c.node.metadata) {
      if (m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      // Recorded as { "<Kind>::<rule id>": reason } (the kind is `Annotation` for plugin rules).
      for (const [key, reason] of Object.entries(m.data as Record<string, string>)) {
        out.push({ path: c.node.path, id: key.replace(/^[A-Za-z]+::/, ''), reason: String(reason) });
      }
    }
  }
  return out;
}

/** The dev stage's database has no deletion protection (AwsSolutions-RDS10), so the stack can be destroyed. */
export function acknowledgeDevDeletionProtection(database: IConstruct): void {
  acknowledge(
    database,
    'AwsSolutions-RDS10',
    'dev stage: deletion protection off so the stack can be destroyed; the prod stage has deletion protection and a final snapshot.',
  );
}
