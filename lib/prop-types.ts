/**
 * Props checked for their kind at run time, before anything uses them. The
 * TypeScript types say the same, but a JavaScript app, a value read from
 * context (`-c memorySize=512` is the string "512") or a cast reaches the
 * constructor unchecked, and would fail deep in the construct ("d.toSeconds
 * is not a function") or be reported without its kind (a string "512" as
 * "is 512; use an integer").
 */
import { Duration, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';

/** What a prop must be, by name. */
export type PropKind = 'string' | 'number' | 'boolean' | 'duration' | 'strings' | 'port' | 'subnets';

const EXAMPLES: Record<PropKind, string> = {
  string: 'a string',
  number: 'a number (a value from context is a string: Number(…) it)',
  boolean: "true or false (a value from context is a string: compare it with 'true')",
  duration: 'a Duration from aws-cdk-lib, e.g. Duration.minutes(5)',
  strings: "an array of strings, e.g. ['rdsadmin']",
  port: "an ec2.Port of the database's TCP port (1 to 65535), e.g. ec2.Port.tcp(5432)",
  subnets: 'an ec2.SubnetSelection (an object), e.g. { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }',
};

const SUBNETS_EXAMPLE = '{ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }';

/** The lowest and highest TCP port. */
const PORT_RANGE = [1, 65535] as const;

/** The fields of an ec2.SubnetSelection. */
const SUBNET_SELECTION_FIELDS = ['subnetType', 'availabilityZones', 'subnetGroupName', 'subnetName', 'onePerAz', 'subnetFilters', 'subnets'];

/** The value and its kind, in the words of a message: `"512" (a string)`, `1 (a number)`, `an object (Object)`. */
function described(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object (${(value as object).constructor?.name ?? 'no class'})`;
  return `${typeof value === 'string' ? JSON.stringify(value) : String(value)} (a ${typeof value})`;
}

/** A Duration, also one from another copy of aws-cdk-lib in the app (instanceof would refuse it). */
function isDuration(value: unknown): boolean {
  return value instanceof Duration || (typeof value === 'object' && value !== null && typeof (value as { toSeconds?: unknown }).toSeconds === 'function');
}

/** An ec2.Port, also one of another aws-cdk-lib copy: what security-group rules are made of. */
function isPort(value: unknown): value is ec2.Port {
  return value instanceof ec2.Port || (typeof value === 'object' && value !== null && typeof (value as { toRuleJson?: unknown }).toRuleJson === 'function');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasKind(value: unknown, kind: PropKind): boolean {
  if (kind === 'duration') return isDuration(value);
  if (kind === 'strings') return Array.isArray(value) && value.every((v) => typeof v === 'string');
  if (kind === 'port') return isPort(value);
  if (kind === 'subnets') return isPlainObject(value);
  return typeof value === kind;
}

/**
 * The fix for a number given where an ec2.Port belongs: the same port
 * wrapped (`ec2.Port.tcp(6432)`) when it is one, else the example.
 */
function portKindFix(value: unknown): string {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  const inRange = typeof n === 'number' && Number.isInteger(n) && n >= PORT_RANGE[0] && n <= PORT_RANGE[1];
  if (!inRange)
    return `${EXAMPLES.port}${typeof n === 'number' ? `; ${String(value)} is not a port (a whole number from ${PORT_RANGE[0]} to ${PORT_RANGE[1]})` : ''}`;
  return `an ec2.Port: ec2.Port.tcp(${n})`;
}

/** What is wrong with an ec2.Port for a database: not TCP, or a bound outside 1 to 65535 or not whole; undefined when nothing (a token bound is known only at deploy time). */
function portProblem(port: ec2.Port): string | undefined {
  const rule = port.toRuleJson() as { ipProtocol?: string; fromPort?: number; toPort?: number };
  const shown = `ec2.Port ${port.toString()} (${rule.ipProtocol === '-1' ? 'all traffic' : `${rule.ipProtocol} ${rule.fromPort === rule.toPort ? rule.fromPort : `${rule.fromPort} to ${rule.toPort}`}`})`;
  if (rule.ipProtocol !== 'tcp') return `is ${shown}; the database is reached over TCP: pass ec2.Port.tcp(<its port>), e.g. ec2.Port.tcp(5432)`;
  const outside = [rule.fromPort, rule.toPort].find(
    (n) => !Token.isUnresolved(n) && !(n !== undefined && Number.isInteger(n) && n >= PORT_RANGE[0] && n <= PORT_RANGE[1]),
  );
  if (outside === undefined) return undefined;
  return `is ${shown}, and ${outside} is not a port (a whole number from ${PORT_RANGE[0]} to ${PORT_RANGE[1]}); pass the database's port, e.g. ec2.Port.tcp(5432)`;
}

/** What is wrong with a SubnetSelection: a subnetType that is no ec2.SubnetType, or only fields a SubnetSelection does not have (ignored by CDK: the default subnets). */
function subnetsProblem(selection: Record<string, unknown>): string | undefined {
  const types = Object.values(ec2.SubnetType) as string[];
  if (selection.subnetType !== undefined && !types.includes(selection.subnetType as string)) {
    const named = Object.entries(ec2.SubnetType).find(([key]) => key === selection.subnetType)?.[1];
    return (
      `has subnetType ${described(selection.subnetType)}, which is no ec2.SubnetType (their values are ${types.map((t) => JSON.stringify(t)).join(', ')}); ` +
      `pass ${named === undefined ? `e.g. ${SUBNETS_EXAMPLE}` : `{ subnetType: ec2.SubnetType.${String(selection.subnetType)} } (its value is ${JSON.stringify(named)})`}`
    );
  }
  const keys = Object.keys(selection);
  if (keys.length === 0 || keys.some((key) => SUBNET_SELECTION_FIELDS.includes(key))) return undefined;
  return (
    `has ${keys.map((k) => `"${k}"`).join(', ')} and none of the fields of an ec2.SubnetSelection (${SUBNET_SELECTION_FIELDS.join(', ')}), so CDK would pick its default subnets; ` +
    `pass e.g. ${SUBNETS_EXAMPLE}`
  );
}

/** The message's tail (after the owner and the prop) for a value given, or undefined when it is right. */
function problemOf(value: unknown, kind: PropKind): string | undefined {
  if (!hasKind(value, kind)) return `is ${described(value)}; pass ${kind === 'port' ? portKindFix(value) : EXAMPLES[kind]}`;
  if (kind === 'number' && Token.isUnresolved(value)) {
    return "is a number known only at deploy time (a token, such as a CfnParameter's valueAsNumber); pass a number known at synth: it is checked, and used, there";
  }
  if (kind === 'port') return portProblem(value as ec2.Port);
  if (kind === 'subnets') return subnetsProblem(value as Record<string, unknown>);
  return undefined;
}

/**
 * Throws, naming the owner, the prop, the value and the fix, for the first
 * prop given (not undefined) of the wrong kind, or of the right kind and
 * unusable in itself: a number known only at deploy time, a port that is no
 * TCP port from 1 to 65535, a subnet selection that selects nothing it says.
 */
export function refuseWrongKinds(owner: string, props: object, kinds: Readonly<Record<string, PropKind>>): void {
  for (const [name, kind] of Object.entries(kinds)) {
    const value = (props as Record<string, unknown>)[name];
    if (value === undefined) continue;
    const problem = problemOf(value, kind);
    if (problem !== undefined) throw new Error(`${owner}: "${name}" ${problem}`);
  }
}

/**
 * Throws `<owner>: "<name>" is <value>; <fix>` unless `value` (when given) is
 * a whole number from `min` to `max`: for a number prop that nothing else
 * bounds (NaN, 1.5 or -1 would reach the template as they are).
 */
export function refuseUnlessWhole(owner: string, name: string, value: number | undefined, [min, max]: readonly [number, number], fix: string): void {
  if (value === undefined || (Number.isInteger(value) && value >= min && value <= max)) return;
  throw new Error(`${owner}: "${name}" is ${value}; ${fix}`);
}
