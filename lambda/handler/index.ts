/**
 * Lambda entry points of the SchemaMigrations custom resource. The export
 * names are the constants the construct configures (constants.ts).
 */
import { IS_COMPLETE_HANDLER_NAME, ON_EVENT_HANDLER_NAME } from './constants';
import { createHandlers } from './handler';

const handlers = createHandlers();

export const onEvent = handlers.onEvent;
export const isComplete = handlers.isComplete;

/** Renaming an export or a constant without the other fails to compile here. */
export const handlerExports = { onEvent, isComplete } satisfies Record<typeof ON_EVENT_HANDLER_NAME | typeof IS_COMPLETE_HANDLER_NAME, unknown>;
