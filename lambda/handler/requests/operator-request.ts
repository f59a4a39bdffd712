/** A direct invocation (the CLI's --function): run on the operator function, refused on the migration function. */
import { InputError } from '../../engine/errors/errors';
import { Redactor } from '../../engine/errors/redact';
import { createLogger, type Logger } from '../log';
import { bundledOperator, operatorWrites } from '../operator';
import { isOperatorRequest, OPERATOR_PROTOCOL_VERSION, OPERATOR_RESULT_FIELD, type OperatorRequest, type OperatorResult } from '../operator-protocol';
import type { InvocationContext, OnEventRequest } from '../request';
import type { Wiring } from './invocation';

/**
 * The operator function's entry: a direct invocation's command, run by the
 * operator bundle against this function's database, logged with who the
 * caller says it is (unchecked: Lambda tells a function nothing of who
 * invoked it). Anything else — a CloudFormation event — is refused.
 */
export async function operatorEntry(wiring: Wiring, event: unknown, context: InvocationContext): Promise<OperatorResult> {
  const log = createLogger(new Redactor(), wiring.write, { phase: 'operator', requestId: context.awsRequestId });
  if (!isOperatorRequest(event)) {
    log.error('refused: not an operator request', { requestType: (event as Partial<OnEventRequest> | null)?.RequestType });
    throw new InputError(
      'the operator function runs operator commands only (schemaguard COMMAND --function NAME); a CloudFormation event goes to the migration function',
      {
        fix: 'invoke it with the CLI: schemaguard status --function NAME',
      },
    );
  }
  return operatorInvocation(wiring, event, log);
}

/** An operator request sent to a function that serves CloudFormation: refused, with the function to use instead. */
export function operatorRefused(wiring: Wiring, context: InvocationContext): OperatorResult {
  const log = createLogger(new Redactor(), wiring.write, { phase: 'operator', requestId: context.awsRequestId });
  const message = `${wiring.env.AWS_LAMBDA_FUNCTION_NAME || 'this function'} serves CloudFormation only: operator commands go to the operator function (SchemaMigrations.operatorFunction), whose permissions and inputs are their own`;
  log.error('refused: operator request', { message });
  return {
    [OPERATOR_RESULT_FIELD]: OPERATOR_PROTOCOL_VERSION,
    exitCode: 2,
    output: [[1, `error: ${message}\n  fix: pass --function the operator function's name or ARN (the OperatorFunctionName output)\n`]],
  };
}

async function operatorInvocation(wiring: Wiring, request: OperatorRequest, log: Logger): Promise<OperatorResult> {
  log.info('operator command', {
    command: request.command,
    args: request.args,
    flags: request.flags,
    caller: request.caller,
    callerVerified: false,
    writesAllowed: operatorWrites(wiring.env),
  });
  const started = Date.now();
  const run = wiring.operator ?? bundledOperator(wiring.env);
  const result = await run(request, { env: wiring.env, log, connector: wiring.connectorDeps });
  const bytes = result.output.reduce((n, [, text]) => n + Buffer.byteLength(text), 0);
  log.info('operator command finished', { command: request.command, exitCode: result.exitCode, outputBytes: bytes, elapsedMs: Date.now() - started });
  return result;
}
