/**
 * Direct invocations of the migration function: the CLI's `--function`
 * sends a command (`OperatorRequest`) to the deployed onEvent function, which
 * runs it against its own database with its own deployed files and answers
 * with what the command printed (`OperatorResult`), for the CLI to print as
 * the local command would. Invoke permission (lambda:InvokeFunction on the
 * function) is the access control; the function runs only the commands of
 * OPERATOR_COMMANDS with the flags of OPERATOR_FLAGS, the writing ones only
 * when SchemaMigrations `operatorCommands.writes` set SCHEMAGUARD_OPERATOR_WRITES.
 *
 * The commands are the CLI's own code, bundled apart (bin/operator.ts →
 * dist/handler/operator.js, beside index.js) and loaded only when such a
 * request comes: a deploy's invocations never load it.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ConnectorDependencies } from './connection';
import { readKey } from './contract';
import type { Logger } from './log';
import type { OperatorRequest, OperatorResult } from './operator-protocol';

/**
 * What the function gives the command: plain values and functions only. The
 * operator bundle reads the settings and connects with its own copy of the
 * handler's code (config.ts, connection.ts), so the errors it meets are of its
 * own classes and are said as the CLI says them.
 */
export interface OperatorSetup {
  /** The function's environment: its settings (config.ts), `operatorWrites`, AWS_LAMBDA_FUNCTION_NAME. */
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Clients for the connection (tests give stand-ins). */
  connector: ConnectorDependencies;
}

/** Whether the function may run `baseline` and `repair` (SchemaMigrations `operatorCommands.writes`). */
export function operatorWrites(env: NodeJS.ProcessEnv): boolean {
  return readKey(env, 'operatorWrites') === true;
}

export type OperatorRunner = (request: OperatorRequest, setup: OperatorSetup) => Promise<OperatorResult>;

/** The name of the operator bundle, beside the handler's index.js (scripts/build-handler.mjs writes it). */
export const OPERATOR_BUNDLE = 'operator.js';

/** The runner of the deployed bundle: dist/handler/operator.js in the function's directory (LAMBDA_TASK_ROOT). */
export function bundledOperator(env: NodeJS.ProcessEnv): OperatorRunner {
  const root = env.LAMBDA_TASK_ROOT;
  if (!root) throw new Error(`no ${OPERATOR_BUNDLE} to run operator commands with: LAMBDA_TASK_ROOT is not set (not in Lambda)`);
  // Loaded by path at run time, not bundled into index.js: a deploy never pays for the CLI's code.
  const load = createRequire(join(root, 'index.js'));
  return (load(`./${OPERATOR_BUNDLE}`) as { runOperatorCommand: OperatorRunner }).runOperatorCommand;
}
