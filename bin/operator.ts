/**
 * Entry point of dist/handler/operator.js, beside the handler's index.js in
 * the migration function: the CLI's commands for a direct invocation
 * (`schemaguard … --function`), loaded by the handler only when one comes
 * (lambda/handler/operator.ts), so a deploy's invocations never load them.
 */
export { runOperatorCommand } from './cli/in-function';
