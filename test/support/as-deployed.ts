/**
 * The handlers as a deploy configures them for the resource each event is
 * for: the function's SCHEMAGUARD_SERVES names that very resource (type,
 * stack, logical id) with its deciding properties, as
 * lib/served-resources.ts writes them from the properties the resource is
 * made with. For tests whose subject is what a legitimate event does (a
 * baseline, a role); test/lambda/handler/invoke-authority.int.test.ts runs
 * the functions with the configuration a template gives them instead, and
 * sends them events the deploy never would.
 */
import { ENV } from '../../lambda/handler/constants';
import { createHandlers, type HandlerDependencies, type Handlers, type OnEventRequest } from '../../lambda/handler/handler';
import { DECIDING_PROPS, type Served } from '../../lambda/handler/served';

/** What the construct would have written for a function serving `event`'s resource. */
export function servedFor(event: OnEventRequest): Served {
  const props = event.ResourceProperties ?? {};
  const fixed = Object.fromEntries((DECIDING_PROPS[event.ResourceType] ?? []).filter((p) => props[p] !== undefined).map((p) => [p, props[p]]));
  return [{ type: event.ResourceType, id: event.LogicalResourceId, stack: event.StackId?.split('/')[1], fixed }];
}

export function asDeployed(deps: HandlerDependencies): Handlers {
  // The handlers read their environment on every invocation: set for the event before each.
  const env: NodeJS.ProcessEnv = { ...(deps.env ?? {}) };
  const handlers = createHandlers({ ...deps, env });
  const configuredFor = (event: OnEventRequest) => {
    env[ENV.serves] = JSON.stringify(servedFor(event));
  };
  return {
    onEvent: ((event: OnEventRequest, context: Parameters<Handlers['isComplete']>[1]) => {
      configuredFor(event);
      return handlers.onEvent(event, context);
    }) as Handlers['onEvent'],
    isComplete: (event, context) => {
      configuredFor(event);
      return handlers.isComplete(event, context);
    },
    operator: handlers.operator,
  };
}
