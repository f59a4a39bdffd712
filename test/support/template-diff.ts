/**
 * What CloudFormation does when a stack moves from one template to the
 * next, read with CloudFormation's own rules: `@aws-cdk/cloudformation-diff`
 * (the diff `cdk diff` prints, with each property's update behaviour from the
 * resource specification) and that specification's primary identifiers (the
 * property that names a resource: DBInstanceIdentifier, LogGroupName, …).
 *
 * - `replacements`: the resources an update replaces (or may replace), and
 *   the properties that cause it.
 * - `fixedNameReplacements`: those whose name is a literal that stays the
 *   same. CloudFormation creates the replacement before it deletes the old
 *   resource, so it cannot replace a resource whose custom name stays (the
 *   update fails: "CloudFormation cannot update a stack when a custom-named
 *   resource requires replacing").
 * - `retainedFixedNames`: resources left behind on delete with a literal
 *   name, which the same template deployed again would collide with.
 */
import { loadAwsServiceSpec } from '@aws-cdk/aws-service-spec';
import { fullDiff, ResourceImpact } from '@aws-cdk/cloudformation-diff';

export interface Template {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;
  Outputs?: Record<string, { Value: unknown; Export?: unknown }>;
  Parameters?: Record<string, { Type: string; Default?: unknown }>;
}

export interface Replacement {
  logicalId: string;
  type: string;
  impact: 'WILL_REPLACE' | 'MAY_REPLACE';
  /** The properties whose change causes it. */
  causes: string[];
}

/** Resource type → its naming property (a primary identifier of one property), from the resource specification. */
export type NameProperties = ReadonlyMap<string, string>;

let names: Promise<NameProperties> | undefined;

/** The naming property of every resource type the specification has one for. */
export function nameProperties(): Promise<NameProperties> {
  names ??= (async () => {
    const db = await loadAwsServiceSpec();
    const out = new Map<string, string>();
    for (const r of db.all('resource')) {
      const id = r.primaryIdentifier ?? [];
      if (id.length === 1 && r.properties[id[0]!]) out.set(r.cloudFormationType, id[0]!);
    }
    return out;
  })();
  return names;
}

/**
 * The resources that the update from `before` to `after` replaces or may
 * replace. A resource whose type changes under one logical ID (an instance
 * become a cluster) is a new resource and the old one's removal, not a
 * replacement: left out.
 */
export function replacements(before: Template, after: Template): Replacement[] {
  const out: Replacement[] = [];
  fullDiff(before, after).resources.forEachDifference((logicalId, change) => {
    const impact = change.changeImpact;
    if (change.resourceTypeChanged || (impact !== ResourceImpact.WILL_REPLACE && impact !== ResourceImpact.MAY_REPLACE)) return;
    const causes = Object.entries(change.propertyUpdates)
      .filter(([, p]) => p.changeImpact === ResourceImpact.WILL_REPLACE || p.changeImpact === ResourceImpact.MAY_REPLACE)
      .map(([k]) => k);
    out.push({ logicalId, type: change.resourceType ?? '?', impact, causes });
  });
  return out;
}

/**
 * The properties of `logicalId` that the update changes, as CloudFormation
 * will see them: a reference (`Ref`, `Fn::GetAtt`) to a resource the update
 * replaces counts as changed, as its value does once the new resource
 * exists. (cloudformation-diff carries that only into properties that
 * replace their resource; a custom resource's are not in the specification.)
 */
export function updatedProperties(before: Template, after: Template, logicalId: string): string[] {
  const replaced = new Set(
    replacements(before, after)
      .filter((r) => r.impact === 'WILL_REPLACE')
      .map((r) => r.logicalId),
  );
  const change = fullDiff(before, markReferences(structuredClone(after), replaced)).resources.get(logicalId);
  return change ? Object.keys(change.propertyUpdates).sort() : [];
}

/** `value` with every `Ref` or `Fn::GetAtt` of a logical ID in `replaced` pointing at `<id> (replaced)`. */
function markReferences<T>(value: T, replaced: ReadonlySet<string>): T {
  if (Array.isArray(value)) return value.map((v) => markReferences(v, replaced)) as T;
  if (typeof value !== 'object' || value === null) return value;
  const o = value as Record<string, unknown>;
  if (typeof o.Ref === 'string' && replaced.has(o.Ref)) return { Ref: `${o.Ref} (replaced)` } as T;
  const getAtt = o['Fn::GetAtt'];
  if (Array.isArray(getAtt) && replaced.has(getAtt[0] as string)) return { 'Fn::GetAtt': [`${getAtt[0]} (replaced)`, ...getAtt.slice(1)] } as T;
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, markReferences(v, replaced)])) as T;
}

/** A literal name (no intrinsic function): what a resource is called whatever the deploy. */
function literalName(resource: Template['Resources'][string] | undefined, property: string | undefined): string | undefined {
  const value = property ? resource?.Properties?.[property] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/**
 * The replaced resources whose literal name is the same in both templates:
 * CloudFormation refuses to replace them. `inPlace` names, per type,
 * properties the specification marks "may replace" that the caller knows
 * update in place: a resource that may be replaced for those alone is not
 * counted.
 */
export function fixedNameReplacements(
  before: Template,
  after: Template,
  named: NameProperties,
  inPlace: Readonly<Record<string, readonly string[]>> = {},
): (Replacement & { name: string })[] {
  return replacements(before, after).flatMap((r) => {
    if (r.impact === 'MAY_REPLACE' && r.causes.every((c) => inPlace[r.type]?.includes(c))) return [];
    const property = named.get(r.type);
    const name = literalName(after.Resources[r.logicalId], property);
    return name !== undefined && name === literalName(before.Resources[r.logicalId], property) ? [{ ...r, name }] : [];
  });
}

/** Resources a stack delete leaves (Retain) under a literal name: deployed again, the template would collide with them. */
export function retainedFixedNames(template: Template, named: NameProperties): string[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.DeletionPolicy === 'Retain' || r.DeletionPolicy === 'RetainExceptOnCreate')
    .flatMap(([id, r]) => {
      const name = literalName(r, named.get(r.Type));
      return name === undefined ? [] : [`${id} (${r.Type}) ${name}`];
    });
}

/** Outputs exported to other stacks, with the value each exports. */
export function exportsOf(template: Template): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(template.Outputs ?? {})
      .filter(([, o]) => o.Export !== undefined)
      .map(([id, o]) => [id, o.Value]),
  );
}
