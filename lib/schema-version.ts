/**
 * The schema version for other stacks, without a CloudFormation export.
 *
 * Every attribute of the migrations' custom resource (CurrentVersion,
 * AppliedVersions, AppliedCount, Outcome) changes with the deploys that apply
 * a migration. From another stack CDK would pass it as an export, and
 * CloudFormation refuses to change an export that another stack imports: the
 * second deploy that applies a migration would fail, and roll back, after the
 * migration was applied. So the migrations' stack writes the version to an
 * SSM parameter, and a stack that needs it reads the parameter as a
 * deploy-time value (a CloudFormation parameter of type
 * `AWS::SSM::Parameter::Value<String>`, resolved again at each of its
 * deploys, so a new version updates what uses it). A cross-stack use of any
 * attribute — however it got there — is refused at synth, naming this way.
 */
import { CfnOutput, CfnResource, Stack, Stage, Token } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { IConstruct } from 'constructs';

/** SSM's parameter name alphabet, and its length limit for a full name. */
const PARAMETER_NAME = /^[a-zA-Z0-9_.\-/]{1,1011}$/;
/** A name SSM keeps for AWS's own parameters (case-insensitive), with or without the leading slash. */
const RESERVED_PREFIX = /^\/?(aws|ssm)/i;

/**
 * `/schemaguard/<stack name>/<construct path in the stack, dotted>/schema-version`:
 * one per SchemaMigrations of a stack, and the stack's name keeps two stages of
 * one app apart in one account and region.
 */
export function defaultVersionParameterName(owner: IConstruct): string {
  const stack = Stack.of(owner);
  if (Token.isUnresolved(stack.stackName)) {
    throw new Error(
      `SchemaMigrations: the stack of ${owner.node.path} has a name known only at deploy time (a nested stack), so the schema version's SSM parameter has no default name; pass "versionParameterName" (e.g. '/myapp/schema-version')`,
    );
  }
  const inStack = owner.node.scopes
    .slice(stack.node.scopes.length)
    .map((c) => c.node.id)
    .join('.');
  return `/schemaguard/${clean(stack.stackName)}/${clean(inStack)}/schema-version`;
}

function clean(part: string): string {
  return part.replace(/[^a-zA-Z0-9_.-]+/g, '-');
}

/** Refuses a name SSM would refuse, or one known only at deploy time (the reading stack needs it at synth). */
export function refuseBadParameterName(name: string): void {
  if (Token.isUnresolved(name)) {
    throw new Error(
      'SchemaMigrations: "versionParameterName" is a value known only at deploy time; pass a literal name: the stacks that read the version need it at synth',
    );
  }
  if (!PARAMETER_NAME.test(name) || RESERVED_PREFIX.test(name) || (name.includes('/') && !name.startsWith('/'))) {
    throw new Error(
      `SchemaMigrations: "versionParameterName" ${JSON.stringify(name)} is not an SSM parameter name SchemaMigrations can create; ` +
        "use letters, digits and _.-/ (1 to 1011 characters), a leading / when it has a path, and not beginning with aws or ssm, e.g. '/myapp/schema-version'",
    );
  }
}

/** The parameter the migrations' stack writes `version` (the resource's CurrentVersion) to, after every deploy that runs them. */
export function versionParameter(owner: IConstruct, name: string, version: string): ssm.StringParameter {
  return new ssm.StringParameter(owner as never, 'VersionParameter', {
    parameterName: name,
    stringValue: version,
    description: "schemaguard: the highest applied schema migration version, written by the migrations' stack after each deploy that runs them",
    tier: ssm.ParameterTier.STANDARD,
  });
}

/**
 * The version in `consumer`'s stack: its own deploy-time parameter reading
 * `name`. That stack is made to deploy after the migrations' (a stack
 * dependency, not an export), so it reads the version this deploy left.
 */
export function readVersion(consumer: IConstruct, producer: IConstruct, name: string): string {
  const consumerStack = Stack.of(consumer);
  const producerStack = Stack.of(producer);
  // Stacks of another Stage (another cloud assembly) cannot be ordered; they read what the last deploy wrote.
  if (Stage.of(consumerStack) === Stage.of(producerStack)) consumerStack.addDependency(producerStack, 'reads the schema version the migrations write to SSM');
  return ssm.StringParameter.valueForStringParameter(consumer as never, name);
}

/** An export (or a cross-region reference) in the migrations' stack of an attribute of their custom resource. */
interface ExportedAttribute {
  attribute: string;
  /** The export's name, or the cross-region writer's path. */
  through: string;
}

/**
 * The messages for every export of `resource`'s attributes (`owner`'s custom resource) in its stack:
 * CDK's own for another stack's reference (`Exports/Output…`), an export
 * written by hand, and CDK's cross-region references (an SSM writer that
 * refuses to change a value in use, like an export). Run as a validation,
 * after CDK has made the exports for the app's cross-stack references.
 */
export function exportedAttributeProblems(owner: IConstruct, resource: CfnResource, fix: (attribute: string) => string): string[] {
  const stack = Stack.of(resource);
  const logicalId = stack.resolve(resource.logicalId) as string;
  const found: ExportedAttribute[] = [];
  for (const c of stack.node.findAll()) {
    if (c instanceof CfnOutput && c.exportName !== undefined) {
      for (const attribute of attributesIn(stack.resolve(c.value), logicalId)) found.push({ attribute, through: `the export ${stack.resolve(c.exportName)}` });
    } else if (c instanceof CfnResource && c.cfnResourceType === 'Custom::CrossRegionExportWriter') {
      const rendered = stack.resolve((c as unknown as { _toCloudFormation(): unknown })._toCloudFormation());
      for (const attribute of attributesIn(rendered, logicalId)) found.push({ attribute, through: `the cross-region reference ${c.node.path}` });
    }
  }
  const readers = importers(stack);
  return found.map(
    ({ attribute, through }) =>
      `${attribute} of ${owner.node.path} reaches another stack through ${through}${readers}: ` +
      'it changes with every deploy that applies a migration, and CloudFormation refuses to change an export another stack imports ("Cannot update export … as it is in use"), ' +
      `so the second such deploy would fail and roll back after its migration was applied. ${fix(attribute)}`,
  );
}

/** The attributes of `logicalId` that `value` (a resolved template fragment) reads with Fn::GetAtt. */
function attributesIn(value: unknown, logicalId: string): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => attributesIn(v, logicalId));
  if (typeof value !== 'object' || value === null) return [];
  const getAtt = (value as Record<string, unknown>)['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[0] === logicalId) return [String(getAtt[1])];
  return Object.values(value).flatMap((v) => attributesIn(v, logicalId));
}

/** ` (read by stack A, B)`: the stacks of the app that depend on `stack`, or nothing. */
function importers(stack: Stack): string {
  const names = stack.node.root.node
    .findAll()
    .filter((c): c is Stack => Stack.isStack(c) && c !== stack && c.dependencies.includes(stack))
    .map((s) => s.stackName);
  return names.length ? ` (read by stack ${names.join(', ')})` : '';
}
