/**
 * Lambda entry points of the SchemaMigrations custom resource (onEvent,
 * isComplete), of its operator function (operator) and of SchemaGuard's scheduled function (guard), one bundle.
 * The export names are the constants the constructs configure (constants.ts).
 */
import type { GUARD_HANDLER_NAME, IS_COMPLETE_HANDLER_NAME, ON_EVENT_HANDLER_NAME, OPERATOR_HANDLER_NAME } from './constants';
import { createGuardHandler } from './guard/scheduled';
import { createHandlers } from './handler';

const handlers = createHandlers();

export const onEvent = handlers.onEvent;
export const isComplete = handlers.isComplete;
/** The operator function (the CLI's `--function`): operator commands only, with permissions of its own. */
export const operator = handlers.operator;
/** The scheduled guard (SchemaGuard): same bundle, same files, another entry point. */
export const guard = createGuardHandler();

/** Renaming an export or a constant without the other fails to compile here. */
export const handlerExports = { onEvent, isComplete, operator, guard } satisfies Record<
  typeof ON_EVENT_HANDLER_NAME | typeof IS_COMPLETE_HANDLER_NAME | typeof OPERATOR_HANDLER_NAME | typeof GUARD_HANDLER_NAME,
  unknown
>;
