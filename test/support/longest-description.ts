/**
 * An alarm description as CloudWatch counts it once deployed: the characters
 * of the resolved string (not of its JSON in the template, where a newline
 * takes two), each value CloudFormation fills in at deploy time at the
 * longest the AWS documentation allows it. A reference this file does not
 * know fails the test instead of being counted short.
 */
import type { Template } from 'aws-cdk-lib/assertions';

/** The longest physical name (`Ref`) of a resource, by type. */
const LONGEST_REF: Readonly<Record<string, number>> = {
  // RDS CreateDBInstance DBInstanceIdentifier: 1 to 63 letters, numbers, or hyphens.
  'AWS::RDS::DBInstance': 63,
  // RDS CreateDBCluster DBClusterIdentifier: 1 to 63 (Aurora; 52 for Multi-AZ DB clusters).
  'AWS::RDS::DBCluster': 63,
  // CloudWatch Logs log group name: 1 to 512 characters.
  'AWS::Logs::LogGroup': 512,
  // Lambda function name: 1 to 64 characters.
  'AWS::Lambda::Function': 64,
};

/** The longest value of each pseudo parameter. */
const LONGEST_PSEUDO: Readonly<Record<string, number>> = {
  'AWS::AccountId': 12,
  'AWS::StackName': 128,
  // Region codes are 9 (us-east-1) to 15 (us-isof-south-1) characters; 25 leaves room for new ones.
  'AWS::Region': 25,
  // aws, aws-cn, aws-us-gov, aws-iso-b, …
  'AWS::Partition': 16,
  // amazonaws.com, amazonaws.com.cn, …
  'AWS::URLSuffix': 32,
};

/** The template's resources and parameters, by logical ID. */
interface Declared {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Parameters?: Record<string, { MaxLength?: number | string }>;
}

/** A resource's name set in the template, which its `Ref` returns (an RDS instance's or cluster's identifier). */
const NAME_PROPERTY: Readonly<Record<string, string>> = { 'AWS::RDS::DBInstance': 'DBInstanceIdentifier', 'AWS::RDS::DBCluster': 'DBClusterIdentifier' };

/** The longest value a `Ref` can resolve to: a pseudo parameter's, a parameter's MaxLength, a resource's name set in the template or the longest physical name. */
function longestRef(ref: string, declared: Declared): number {
  const resource = declared.Resources[ref];
  const set = resource?.Properties?.[NAME_PROPERTY[resource.Type] ?? ''];
  if (typeof set === 'string') return set.length;
  const parameter = declared.Parameters?.[ref];
  const longest = LONGEST_PSEUDO[ref] ?? (parameter ? Number(parameter.MaxLength ?? Number.NaN) : LONGEST_REF[declared.Resources[ref]?.Type ?? '']);
  if (longest === undefined || Number.isNaN(longest)) {
    const what = parameter ? 'a parameter without MaxLength' : (declared.Resources[ref]?.Type ?? 'no such resource');
    throw new Error(`no longest value known for {"Ref":"${ref}"} (${what}); add it to test/support/longest-description.ts`);
  }
  return longest;
}

/** `value` (a template string or intrinsic) with every reference at its longest value. */
export function longestResolved(value: unknown, declared: Declared): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') return 'x'.repeat(longestRef(v.Ref, declared));
  if (Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => longestResolved(p, declared)).join(separator);
  }
  throw new Error(`no longest value known for ${JSON.stringify(value)}; add it to test/support/longest-description.ts`);
}

/** Every alarm's and composite alarm's description (logical ID → resolved text at its longest). */
export function longestAlarmDescriptions(template: Template): Map<string, string> {
  const declared = template.toJSON() as Declared;
  const out = new Map<string, string>();
  for (const type of ['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm']) {
    for (const [id, r] of Object.entries(template.findResources(type))) {
      const description = (r.Properties as { AlarmDescription?: unknown }).AlarmDescription;
      if (description !== undefined) out.set(id, longestResolved(description, declared));
    }
  }
  return out;
}
