/**
 * What the Provider framework of aws-cdk-lib/custom-resources passes to the
 * user handlers and expects back, and the facts the handler derives from a
 * request: whether it is one at all, its physical id, and the name it writes
 * in the state table's `applied_by`.
 */
import { InputError } from '../engine/errors/errors';
import { FLEET_EXECUTION_FIELD, PHYSICAL_ID_PREFIX, REQUEST_STARTED_FIELD, ROLLBACK_REPORTED_FIELD } from './constants';
import { OPERATOR_COMMANDS } from './operator-protocol';

export type RequestType = 'Create' | 'Update' | 'Delete';

/** What the Provider framework passes to the user onEvent handler. */
export interface OnEventRequest {
  RequestType: RequestType;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  ResourceType: string;
  ResourceProperties: Record<string, unknown>;
  OldResourceProperties?: Record<string, unknown>;
  PhysicalResourceId?: string;
  ResponseURL?: string;
  ServiceToken?: string;
}

/** isComplete receives the onEvent request merged with onEvent's response. */
export interface IsCompleteRequest extends OnEventRequest {
  PhysicalResourceId: string;
  /** From onEvent's response. */
  [REQUEST_STARTED_FIELD]?: number;
  /** From onEvent's response: it reported a rollback's problem already. */
  [ROLLBACK_REPORTED_FIELD]?: boolean;
  /** From onEvent's response: the fleet rollout it started. */
  [FLEET_EXECUTION_FIELD]?: string;
  Data?: Record<string, unknown>;
}

export interface OnEventResponse {
  PhysicalResourceId: string;
  /** When the request's first invocation began (epoch ms), for its isComplete invocations. */
  [REQUEST_STARTED_FIELD]?: number;
  /** Attributes, for a resource that is done in onEvent (the guard role, a rollback's reported problem). */
  Data?: Record<string, string>;
  /** Set when onEvent reported a rollback's problem: its isComplete answers done at once. */
  [ROLLBACK_REPORTED_FIELD]?: boolean;
  /** With a fleet: the rollout's execution, which isComplete describes. */
  [FLEET_EXECUTION_FIELD]?: string;
}

export interface IsCompleteResponse {
  IsComplete: boolean;
  Data?: Record<string, string>;
}

/** The part of the Lambda context the handler uses. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
  awsRequestId?: string;
  /** The function's CloudWatch log stream of this invocation, named in a failure where its detail is left out. */
  logStreamName?: string;
}

/** The framework's marker for a Create that failed; the Delete that follows must do nothing. */
export const CREATE_FAILED_MARKER = 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED';

const FRAMEWORK_ONLY = `invoke this function through the Provider framework only, or with the CLI: schemaguard ${Object.keys(OPERATOR_COMMANDS).join('|')} --function NAME (the onEvent function; isComplete takes no command)`;

/** Refuse anything that is not a framework request, before any work. */
export function validateRequest(event: OnEventRequest): void {
  if (!['Create', 'Update', 'Delete'].includes(event?.RequestType)) {
    throw new InputError(`RequestType "${String(event?.RequestType)}" is not Create, Update or Delete`, {
      value: String(event?.RequestType),
      fix: FRAMEWORK_ONLY,
    });
  }
  if (!event.LogicalResourceId || !event.RequestId) {
    throw new InputError('the event has no LogicalResourceId or RequestId', { fix: FRAMEWORK_ONLY });
  }
}

/**
 * The physical id onEvent answers. Stable across updates: the same resource
 * keeps its id, so CloudFormation never sees a replacement.
 */
export function physicalResourceId(event: OnEventRequest): string {
  switch (event.RequestType) {
    case 'Create':
      return `${PHYSICAL_ID_PREFIX}-${event.LogicalResourceId}`;
    case 'Update':
      // CloudFormation sends it on every Update; an event without one keeps the id its Create gave.
      return event.PhysicalResourceId ?? `${PHYSICAL_ID_PREFIX}-${event.LogicalResourceId}`;
    case 'Delete':
      return event.PhysicalResourceId ?? CREATE_FAILED_MARKER;
  }
}

/** `applied_by` of the state rows this request writes: stack, resource and request, so a response can tell its own. */
export function appliedBy(event: OnEventRequest): string {
  const stack = event.StackId.split('/')[1] ?? event.StackId;
  return `cloudformation:${stack}/${event.LogicalResourceId}/${event.RequestId}`;
}

/** What is logged of a request. The ResponseURL is a presigned URL: never logged. */
export function loggedRequest(event: OnEventRequest): Record<string, unknown> {
  return {
    resourceProperties: event?.ResourceProperties,
    oldResourceProperties: event?.OldResourceProperties,
    physicalResourceId: event?.PhysicalResourceId,
  };
}
