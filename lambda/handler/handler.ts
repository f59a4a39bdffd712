/**
 * The SchemaMigrations custom-resource handler, for the Provider framework of
 * aws-cdk-lib/custom-resources (asynchronous: onEvent starts, isComplete
 * finishes):
 *
 * - Create / Update: onEvent runs the engine until the invocation's time runs
 *   short; isComplete continues (the engine stops before `reserveMs` is left
 *   and reports `partial`), and when nothing is pending verifies the schema
 *   and answers IsComplete with `Data` (< 4 KB) saying what this request
 *   applied.
 * - An Update whose files are older than the database (a CloudFormation
 *   rollback after a later resource failed) succeeds, changes nothing and
 *   says so (Outcome `database-ahead`).
 * - Delete never touches the database (nor reads the secret, nor needs the
 *   configuration). A Delete after a failed Create is answered by the
 *   framework itself; it is a no-op here too.
 * - An Update that fails while CloudFormation rolls the stack back (an
 *   unreachable database, a contract broken since, drift with failOnDrift)
 *   succeeds and reports the failure instead (rollback-report.ts): a failed
 *   rollback would leave the stack in UPDATE_ROLLBACK_FAILED.
 * - Duplicate delivery is harmless: the engine's lock serialises runners and
 *   its state table makes the second run find nothing pending.
 * - A failure throws (the framework turns it into FAILED): the message names
 *   the migration, the line, the SQLSTATE and the log groups, cut to fit.
 *
 * This file is the adapter, the Provider framework's shape: it parses the
 * event, refuses what the function does not serve (served.ts), hands each
 * kind of request to its module in requests/ (onEvent, isComplete, the role
 * resources, a direct invocation, a backfill's slice; a fleet's tenant item
 * and tally to fleet/), and turns the answer or the failure into the
 * response (failure.ts, rollback-report.ts).
 */
import { MigrationError } from '../engine/errors/errors';
import { Redactor } from '../engine/errors/redact';
import type { TenantReport } from '../engine/fleet/tenant-result';
import { isBackfillSliceEvent, type BackfillSliceEvent, type BackfillSliceResult } from './backfill/protocol';
import { readConfig, type HandlerConfig } from './config';
import { createConnector, type ConnectorDependencies } from './connection';
import { ROLLBACK_REPORTED_FIELD } from './constants';
import { reasonBudgetBytes, toFailure } from './failure';
import { isFleetTallyEvent, isFleetTenantEvent, type FleetTally, type FleetTallyEvent, type FleetTenantEvent } from './fleet/protocol';
import { tallyWave } from './fleet/tally';
import { runTenantItem } from './fleet/tenant';
import { createLogger, stdoutWriter, type LineWriter } from './log';
import type { OperatorRunner } from './operator';
import { isOperatorRequest, type OperatorRequest, type OperatorResult } from './operator-protocol';
import {
  CREATE_FAILED_MARKER,
  loggedRequest,
  physicalResourceId,
  validateRequest,
  type InvocationContext,
  type IsCompleteRequest,
  type IsCompleteResponse,
  type OnEventRequest,
  type OnEventResponse,
} from './request';
import { sliceInvocation } from './requests/backfill-slice';
import type { Invocation, RollbackAnswer, Wiring } from './requests/invocation';
import { isComplete } from './requests/is-complete';
import { onEvent } from './requests/on-event';
import { operatorEntry, operatorRefused } from './requests/operator-request';
import { ROLE_HANDLERS } from './requests/roles';
import { rollbackProblemData } from './response';
import { cloudFormationClient, reportIfRollingBack, type StackStatusClient } from './rollback-report';
import { secretsManagerClient, type SecretsClient } from './secret';
import { refuseUnserved } from './served';
import { stepFunctionsClient, type BackfillStarter, type StepFunctionsClient } from './step-functions';

export { CREATE_FAILED_MARKER, type InvocationContext, type IsCompleteRequest, type IsCompleteResponse, type OnEventRequest, type OnEventResponse };
export type { RequestType } from './request';

export interface HandlerDependencies extends ConnectorDependencies {
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default - one JSON line per record on stdout */
  write?: LineWriter;
  /** Runs a direct invocation's command (operator.ts). @default - the operator bundle beside the handler's (bundledOperator) */
  operator?: OperatorRunner;
  /** Asked whether the stack is rolling back when an Update fails. @default - a CloudFormationClient for the function's region, created on first use */
  stacks?: StackStatusClient;
  /** Starts and describes a fleet's rollout. @default - an SFNClient for the function's region, created on first use */
  stepFunctions?: StepFunctionsClient;
  /** Starts a backfill's workflow. @default - an SFNClient for the function's region, created on first use */
  backfillStarter?: BackfillStarter;
}

export interface Handlers {
  onEvent(event: OnEventRequest, context: InvocationContext): Promise<OnEventResponse>;
  /** A direct invocation (the CLI's --function) sent here: refused, naming the operator function. */
  onEvent(event: OperatorRequest, context: InvocationContext): Promise<OperatorResult>;
  /** A fleet rollout's tenant item (its workflow's Task): the tenant migrated. */
  onEvent(event: FleetTenantEvent, context: InvocationContext): Promise<TenantReport>;
  /** A fleet rollout's tally after a wave: whether it stops. */
  onEvent(event: FleetTallyEvent, context: InvocationContext): Promise<FleetTally>;
  /** A slice of a backfill's workflow (the state machine's Task): where the backfill stands. */
  onEvent(event: BackfillSliceEvent, context: InvocationContext): Promise<BackfillSliceResult>;
  isComplete(event: IsCompleteRequest, context: InvocationContext): Promise<IsCompleteResponse>;
  /** The operator function's entry (the CLI's --function): operator commands only. */
  operator(event: unknown, context: InvocationContext): Promise<OperatorResult>;
}

export function createHandlers(deps: HandlerDependencies = {}): Handlers {
  let secrets: Promise<SecretsClient> | undefined = deps.secrets && Promise.resolve(deps.secrets);
  let stacks: Promise<StackStatusClient> | undefined = deps.stacks && Promise.resolve(deps.stacks);
  let stepFunctions: Promise<StepFunctionsClient> | undefined = deps.stepFunctions && Promise.resolve(deps.stepFunctions);
  let starter: Promise<BackfillStarter> | undefined = deps.backfillStarter && Promise.resolve(deps.backfillStarter);
  const wiring: Wiring = {
    env: deps.env ?? process.env,
    write: deps.write ?? stdoutWriter,
    connector: createConnector(deps),
    secrets: () => (secrets ??= secretsManagerClient()),
    connectorDeps: { secrets: deps.secrets, dataApi: deps.dataApi, applicationName: deps.applicationName, authRetryDelayMs: deps.authRetryDelayMs },
    operator: deps.operator,
    stacks: () => (stacks ??= cloudFormationClient()),
    stepFunctions: () => (stepFunctions ??= stepFunctionsClient()),
    // One SDK client for both workflows, unless a test passes a starter of its own.
    backfillStarter: () => (starter ??= wiring.stepFunctions()),
  };
  // The roles (the guard's, the migrator's) are resources told apart by their type, done in onEvent; the role
  // provisioner is this same code with the master secret as its database secret.
  const roleHandler = (event: OnEventRequest) => ROLE_HANDLERS[event?.ResourceType];
  const onEventOf = (
    event: OnEventRequest | OperatorRequest | FleetTenantEvent | FleetTallyEvent | BackfillSliceEvent,
    context: InvocationContext,
  ): Promise<OnEventResponse | OperatorResult | TenantReport | FleetTally | BackfillSliceResult> => {
    if (isOperatorRequest(event)) return Promise.resolve(operatorRefused(wiring, context));
    if (isFleetTenantEvent(event)) return runTenantItem(event, wiring, context);
    if (isFleetTallyEvent(event)) return Promise.resolve(tallyWave(event.fleetTally));
    if (isBackfillSliceEvent(event)) return sliceInvocation(wiring, event, context);
    const role = roleHandler(event);
    return role
      ? guarded(wiring, 'onEvent', event, context, (inv) => role.onEvent({ ...inv, secrets: wiring.secrets }), role.rollbackAnswer)
      : guarded(wiring, 'onEvent', event, context, onEvent, onEventRollbackAnswer);
  };
  return {
    onEvent: onEventOf as Handlers['onEvent'],
    isComplete: (event, context) =>
      roleHandler(event) ? Promise.resolve({ IsComplete: true }) : guarded(wiring, 'isComplete', event, context, isComplete, isCompleteRollbackAnswer),
    operator: (event, context) => operatorEntry(wiring, event, context),
  };
}

/** onEvent reports the rollback's problem itself; its isComplete then answers done at once, the Data kept by the framework. */
const onEventRollbackAnswer: RollbackAnswer<OnEventResponse> = (problem, inv) => ({
  PhysicalResourceId: physicalResourceId(inv.event),
  Data: rollbackProblemData(problem, inv.known),
  [ROLLBACK_REPORTED_FIELD]: true,
});

const isCompleteRollbackAnswer: RollbackAnswer<IsCompleteResponse> = (problem, inv) => ({ IsComplete: true, Data: rollbackProblemData(problem, inv.known) });

/**
 * Log the request, refuse a malformed one, run `body`, and turn any failure
 * into the message CloudFormation shows — or, for an Update while the stack
 * rolls back, into `onRollback`'s answer (rollback-report.ts).
 */
async function guarded<T>(
  wiring: Wiring,
  phase: string,
  event: OnEventRequest,
  context: InvocationContext,
  body: (inv: Invocation) => Promise<T>,
  onRollback: RollbackAnswer<T>,
): Promise<T> {
  const redactor = new Redactor();
  const log = createLogger(redactor, wiring.write, {
    phase,
    requestType: event.RequestType,
    requestId: event.RequestId,
    logicalResourceId: event.LogicalResourceId,
  });
  log.info('request', loggedRequest(event));
  const parsed = parseConfig(wiring.env);
  const inv: Invocation = {
    event,
    context,
    log,
    redactor,
    connector: wiring.connector,
    env: wiring.env,
    config: () => parsed.config ?? failWith(parsed.error),
    stepFunctions: wiring.stepFunctions,
    backfillStarter: wiring.backfillStarter,
  };
  try {
    validateRequest(event);
    // Before anything reads a secret or connects: only the resources the function was made for, as synth set them.
    if (event.RequestType !== 'Delete') refuseUnserved(event, inv.config().serves);
    const out = await body(inv);
    log.info('response', { response: out });
    return out;
  } catch (e) {
    // A bad configuration leaves no log groups to name: the failure itself says what is wrong.
    const logStream = context.logStreamName ?? wiring.env.AWS_LAMBDA_LOG_STREAM_NAME;
    const failure = toFailure(e, redactor, {
      ...parsed.config?.logGroups,
      logStream,
      stateSchema: parsed.config?.run.stateSchema,
      budgetBytes: reasonBudgetBytes(event),
    });
    log.error('failed', { error: failure.message, ...(e instanceof MigrationError ? { fields: e.toJSON() } : {}) });
    const problem = await reportIfRollingBack(event, failure.message, {
      client: wiring.stacks,
      log,
      write: wiring.write,
      functionName: wiring.env.AWS_LAMBDA_FUNCTION_NAME,
    });
    if (problem === undefined) throw failure;
    const out = onRollback(problem, inv);
    log.info('response', { response: out });
    return out;
  }
}

/** The environment, parsed once per invocation; the error is kept for the request that needs the settings. */
function parseConfig(env: NodeJS.ProcessEnv): { config: HandlerConfig; error?: never } | { config?: never; error: unknown } {
  try {
    return { config: readConfig(env) };
  } catch (error) {
    return { error };
  }
}

function failWith(error: unknown): never {
  throw error;
}
