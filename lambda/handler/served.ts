/**
 * What a function answers, fixed at synth in its configuration
 * (`SCHEMAGUARD_SERVES`, written by the constructs): the custom resources it
 * was made for — stack, logical id, type — and, for each, the properties
 * that decide what a run may change (a baseline, role names, secrets,
 * schemas, extensions, the fleet's state machine). Invoke permission is not authority: an event for
 * another resource, or whose deciding properties differ from the function's
 * own copy, is refused before anything reads a secret or connects, the
 * message naming the property (it becomes CloudFormation's reason).
 *
 * A Delete is answered for any resource: it never touches the database, and
 * CloudFormation deletes a resource that left the app after the function
 * was updated without it.
 */
import { InputError } from '../engine/errors/errors';
import { GUARD_ROLE_PROP, GUARD_ROLE_RESOURCE_TYPE, MIGRATIONS_RESOURCE_TYPE, MIGRATOR_ROLE_PROP, MIGRATOR_ROLE_RESOURCE_TYPE, PROP } from './constants';
import type { OnEventRequest } from './request';

/** One resource a function was made for. */
export interface ServedResource {
  /** The resource's type. */
  type: string;
  /** Its stack's name (the event's StackId is `arn:…:stack/<name>/<id>`). @default - any stack */
  stack?: string;
  /** Its logical id. @default - any */
  id?: string;
  /** Its deciding properties as synth set them; one absent here must be absent from the event too. */
  fixed: Record<string, unknown>;
}

export type Served = ServedResource[];

/** The properties of each type that decide what a run changes; the others only make CloudFormation send an Update. */
export const DECIDING_PROPS: Readonly<Record<string, readonly string[]>> = {
  // The fleet's state machine: the one the deploy starts (an event naming another would start any the role may).
  [MIGRATIONS_RESOURCE_TYPE]: [PROP.baselineVersion, PROP.baselineFrom, PROP.baselineReason, PROP.fleetStateMachine],
  [MIGRATOR_ROLE_RESOURCE_TYPE]: [MIGRATOR_ROLE_PROP.roleName, MIGRATOR_ROLE_PROP.secretArn, MIGRATOR_ROLE_PROP.schemas, MIGRATOR_ROLE_PROP.extensions],
  [GUARD_ROLE_RESOURCE_TYPE]: [GUARD_ROLE_PROP.roleName, GUARD_ROLE_PROP.secretArn, GUARD_ROLE_PROP.migratorRole],
};

/** Without a configuration (a function wired by hand, a test): the migrations resource, without a baseline. */
export const DEFAULT_SERVED: Served = [{ type: MIGRATIONS_RESOURCE_TYPE, fixed: {} }];

const FIX = "these are fixed when the app is synthesised: change the construct's props and deploy (CloudFormation then sends the new values)";

/** The configuration's value, checked; undefined is DEFAULT_SERVED. */
export function servedBy(value: unknown, variable: string): Served {
  if (value === undefined) return DEFAULT_SERVED;
  const ok =
    Array.isArray(value) &&
    value.every(
      (r: Partial<ServedResource>) =>
        typeof r === 'object' &&
        r !== null &&
        typeof r.type === 'string' &&
        (r.stack === undefined || typeof r.stack === 'string') &&
        (r.id === undefined || typeof r.id === 'string') &&
        typeof r.fixed === 'object' &&
        r.fixed !== null,
    );
  if (!ok)
    throw new InputError(`${variable} is not a list of { type, stack, id, fixed }`, { fix: 'deploy the function through its construct, which writes it' });
  return value as Served;
}

/** Refuse a resource event this function was not made for, or whose deciding properties differ from the function's. */
export function refuseUnserved(event: OnEventRequest, served: Served): void {
  if (event.RequestType === 'Delete') return;
  const resource = servedResource(event, served);
  for (const prop of DECIDING_PROPS[event.ResourceType] ?? []) {
    const given = event.ResourceProperties?.[prop];
    const fixed = resource.fixed[prop];
    if (same(given, fixed)) continue;
    throw new InputError(
      `the ${event.ResourceType} request's ${prop} is ${shown(given)}, and this function was deployed with ${shown(fixed)}: refused, nothing was changed`,
      { value: shown(given), fix: FIX },
    );
  }
}

function servedResource(event: OnEventRequest, served: Served): ServedResource {
  const ofType = served.filter((r) => r.type === event.ResourceType);
  if (ofType.length === 0) {
    throw new InputError(
      `this function does not serve ${shown(event.ResourceType)} resources (it serves ${[...new Set(served.map((r) => r.type))].join(', ')}): refused, nothing was changed`,
      { value: String(event.ResourceType), fix: 'send each resource to the function its construct made for it' },
    );
  }
  const stack = stackName(event.StackId);
  const match = ofType.find((r) => (r.id === undefined || r.id === event.LogicalResourceId) && (r.stack === undefined || r.stack === stack));
  if (match) return match;
  const known = ofType.map((r) => `${r.stack ?? '*'}/${r.id ?? '*'}`).join(', ');
  throw new InputError(
    `the ${event.ResourceType} resource ${stack}/${event.LogicalResourceId} is not the one this function was made for (${known}): refused, nothing was changed`,
    { value: `${stack}/${event.LogicalResourceId}`, fix: 'send each resource to the function its construct made for it' },
  );
}

/** The stack's name in a StackId (`arn:aws:cloudformation:<region>:<account>:stack/<name>/<id>`). */
function stackName(stackId: unknown): string {
  return typeof stackId === 'string' ? (stackId.split('/')[1] ?? stackId) : String(stackId);
}

/** Equal as CloudFormation delivers them: an empty list may arrive as no property at all, which the handlers read as empty too. */
function same(a: unknown, b: unknown): boolean {
  const delivered = (v: unknown) => (Array.isArray(v) && v.length === 0 ? undefined : v);
  return JSON.stringify(delivered(a)) === JSON.stringify(delivered(b));
}

function shown(v: unknown): string {
  return v === undefined ? 'not set' : JSON.stringify(v);
}
