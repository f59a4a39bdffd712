/**
 * Props checked for their kind at run time, before anything uses them. The
 * TypeScript types say the same, but a JavaScript app, a value read from
 * context (`-c memorySize=512` is the string "512") or a cast reaches the
 * constructor unchecked: a number where a Duration belongs failed deep in the
 * construct with "d.toSeconds is not a function", a number for a name with
 * Node's own Buffer error, and a string "512" was reported as "is 512; use an
 * integer" — the value looked right and the kind was not said.
 */
import { Duration } from 'aws-cdk-lib';

/** What a prop must be, by name. */
export type PropKind = 'string' | 'number' | 'boolean' | 'duration' | 'strings';

const EXAMPLES: Record<PropKind, string> = {
  string: 'a string',
  number: 'a number (a value from context is a string: Number(…) it)',
  boolean: 'true or false (a value from context is a string: compare it with \'true\')',
  duration: 'a Duration from aws-cdk-lib, e.g. Duration.minutes(5)',
  strings: 'an array of strings, e.g. [\'rdsadmin\']',
};

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

function hasKind(value: unknown, kind: PropKind): boolean {
  if (kind === 'duration') return isDuration(value);
  if (kind === 'strings') return Array.isArray(value) && value.every((v) => typeof v === 'string');
  return typeof value === kind;
}

/** Throws, naming the owner, the prop, the value and its kind, for the first prop given (not undefined) of the wrong kind. */
export function refuseWrongKinds(owner: string, props: object, kinds: Readonly<Record<string, PropKind>>): void {
  for (const [name, kind] of Object.entries(kinds)) {
    const value = (props as Record<string, unknown>)[name];
    if (value === undefined || hasKind(value, kind)) continue;
    throw new Error(`${owner}: "${name}" is ${described(value)}; pass ${EXAMPLES[kind]}`);
  }
}
