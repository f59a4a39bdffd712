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
 * Each step lives in its own module: config.ts (the environment),
 * connection.ts (secret, TLS, retries), rollback.ts, verify.ts, response.ts,
 * failure.ts.
 */
import type { Driver } from '../engine/ports';
import { replicationCheck } from '../checks/replication/refusal';
import { waitForStandbys } from '../checks/replication/standbys';
import {
  BackfillPendingError,
  InputError,
  isConnectionLoss,
  LockLostError,
  LockWaitTimeoutError,
  MigrationError,
  StatementError,
} from '../engine/errors/errors';
import { Redactor } from '../engine/errors/redact';
import { migrate, type MigrateResult } from '../engine/runner';
import { loadMigrations, runsOutsideTransaction, type Migration } from '../engine/files/source';
import { readConfig, type HandlerConfig } from './config';
import { isBackfillSliceEvent, type BackfillSliceEvent, type BackfillSliceResult } from './backfill/protocol';
import { backfillSlice } from './backfill/slice';
import { startBackfillWorkflows } from './backfill/start';
import { stepFunctionsStarter, type BackfillStarter } from './backfill/step-functions';
import { waitForBackfill } from './backfill/wait';
import { createConnector, type Connector, type ConnectorDependencies } from './connection';
import {
  FLEET_EXECUTION_FIELD,
  GUARD_ROLE_ATTR,
  GUARD_ROLE_PHYSICAL_ID_PREFIX,
  GUARD_ROLE_PROP,
  GUARD_ROLE_RESOURCE_TYPE,
  MIGRATOR_ROLE_RESOURCE_TYPE,
  OUTCOME,
  PROP,
  REQUEST_STARTED_FIELD,
  ROLLBACK_REPORTED_FIELD,
} from './constants';
import { bundledOperator, operatorWrites, type OperatorRunner } from './operator';
import { isOperatorRequest, OPERATOR_PROTOCOL_VERSION, OPERATOR_RESULT_FIELD, type OperatorRequest, type OperatorResult } from './operator-protocol';
import { refuseUnserved } from './served';
import { reasonBudgetBytes, toFailure } from './failure';
import { summariseFiles } from './files-hash';
import { guardRoleOnEvent } from './guard/role';
import { migratorRoleOnEvent } from './migrator/role';
import { connectionLost, lockBusy } from './lock-busy';
import { createLogger, logRunEvent, logRunFinished, stdoutWriter, type LineWriter, type Logger } from './log';
import {
  appliedBy,
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
import { loadBundledMigrations } from './bundle';
import { adoptBeforeMigrate, baselineOutcome, baselineSetting, type BaselineSetting } from './adoption';
import { existingSchemaCheck } from './first-deploy';
import { migrateUnlessRollback } from './rollback';
import { cloudFormationClient, reportIfRollingBack, type StackStatusClient } from './rollback-report';
import { requestState, responseData, rollbackProblemData, type KnownState } from './response';
import { secretsManagerClient, type SecretsClient } from './secret';
import { SKIPPED_ON_ROLLBACK, verifySchema } from './verify';
import { isFleetTallyEvent, isFleetTenantEvent, type FleetTally, type FleetTallyEvent, type FleetTenantEvent } from './fleet/protocol';
import { rolloutData, rolloutStatus, startRollout, type RolloutContext } from './fleet/rollout';
import { stepFunctionsClient, type StepFunctionsClient } from './fleet/step-functions';
import { tallyWave } from './fleet/tally';
import { runTenantItem } from './fleet/tenant';
import type { TenantReport } from '../engine/fleet/tenant-result';
import type { Fleet } from '../engine/fleet/fleet-spec';

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

/** What every invocation of one container shares. */
interface Wiring {
  env: NodeJS.ProcessEnv;
  write: LineWriter;
  connector: Connector;
  /** The Secrets Manager client, made on first use (the guard role's secret). */
  secrets(): Promise<SecretsClient>;
  /** What a direct invocation's command connects with (the operator bundle makes its own connector from them). */
  connectorDeps: ConnectorDependencies;
  operator?: OperatorRunner;
  /** The CloudFormation client, made on first use (is a failing Update a rollback?). */
  stacks(): Promise<StackStatusClient>;
  /** The Step Functions client, made on first use (a fleet's rollout). */
  stepFunctions(): Promise<StepFunctionsClient>;
  /** The Step Functions client, made on first use (a backfill's workflow started). */
  backfillStarter(): Promise<BackfillStarter>;
}

/** One invocation: its request, its log and redactor, and its settings. */
interface Invocation {
  event: OnEventRequest;
  context: InvocationContext;
  log: Logger;
  redactor: Redactor;
  connector: Connector;
  /** The function's environment (Lambda's own variables included). */
  env: NodeJS.ProcessEnv;
  /** The parsed environment; throws what was wrong with it. Delete never asks. */
  config(): HandlerConfig;
  /** What the database was at when last reached, for a rollback's report. */
  known?: KnownState;
  stepFunctions(): Promise<StepFunctionsClient>;
  backfillStarter(): Promise<BackfillStarter>;
}

/** What a body answers instead of failing when the stack is rolling back. */
type RollbackAnswer<T> = (problem: string, inv: Invocation) => T;

/** What one run of the engine left behind, for isComplete's answer. */
interface Run {
  result: MigrateResult;
  /** Set when the request is a rollback: the versions the database has beyond the files. */
  ahead?: number[];
  driver: Driver;
  migrations: Migration[];
  /** When the invocation's time ends (epoch ms). */
  deadline: number;
  /** SchemaMigrations `baseline`, from the request. */
  baseline?: BaselineSetting;
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
    backfillStarter: () => (starter ??= stepFunctionsStarter()),
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

/** The migrator's role keeps its physical id during a rollback: a changed one would make CloudFormation delete the role. */
const migratorRoleRollbackAnswer: RollbackAnswer<OnEventResponse> = (_problem, inv) => ({ PhysicalResourceId: physicalResourceId(inv.event) });

/** The guard role keeps its physical id (the role's name) and says the rollback met a problem. */
const guardRoleRollbackAnswer: RollbackAnswer<OnEventResponse> = (_problem, inv) => {
  const roleName = inv.event.ResourceProperties?.[GUARD_ROLE_PROP.roleName];
  const named = typeof roleName === 'string' ? roleName : '';
  return {
    PhysicalResourceId: named ? `${GUARD_ROLE_PHYSICAL_ID_PREFIX}-${named}` : physicalResourceId(inv.event),
    Data: { [GUARD_ROLE_ATTR.roleName]: named, [GUARD_ROLE_ATTR.outcome]: OUTCOME.rollbackProblem },
  };
};

/** The role resources of the provider, by their type: what onEvent does, and what a rollback answers instead of failing. */
const ROLE_HANDLERS: Record<string, { onEvent: typeof guardRoleOnEvent; rollbackAnswer: RollbackAnswer<OnEventResponse> } | undefined> = {
  [GUARD_ROLE_RESOURCE_TYPE]: { onEvent: guardRoleOnEvent, rollbackAnswer: guardRoleRollbackAnswer },
  [MIGRATOR_ROLE_RESOURCE_TYPE]: { onEvent: migratorRoleOnEvent, rollbackAnswer: migratorRoleRollbackAnswer },
};

/** onEvent: a Delete is answered at once; a Create or Update starts migrating (isComplete finishes). */
async function onEvent(inv: Invocation): Promise<OnEventResponse> {
  const { event, log } = inv;
  if (event.RequestType === 'Delete') {
    log.info(
      event.PhysicalResourceId === CREATE_FAILED_MARKER
        ? 'delete after a failed create: nothing to do'
        : 'delete: the database and its schema are left as they are',
    );
    return { PhysicalResourceId: physicalResourceId(event) };
  }
  const startedAt = Date.now();
  const cfg = inv.config();
  logReplacedDatabase(event, log);
  if (cfg.fleet) {
    const started = await startRollout(rolloutContext(inv, cfg as FleetConfig));
    return {
      PhysicalResourceId: physicalResourceId(event),
      [REQUEST_STARTED_FIELD]: startedAt,
      ...(started ? { [FLEET_EXECUTION_FIELD]: started.executionArn } : {}),
    };
  }
  const done = await run(inv, cfg);
  // isComplete follows whatever happened here: it continues, or tries for the lock (or the connection) again.
  if ('busy' in done) lockBusy(done.busy, event, cfg.run, log);
  if ('lost' in done) connectionLost(done.lost, event, cfg.run, log);
  if ('waiting' in done) await awaitBackfill(inv, cfg, done.waiting);
  return { PhysicalResourceId: physicalResourceId(event), [REQUEST_STARTED_FIELD]: startedAt };
}

/** An Update whose database identity changed: the instance or cluster was replaced, and the new one starts empty. */
function logReplacedDatabase(event: OnEventRequest, log: Logger): void {
  if (event.RequestType !== 'Update') return;
  const before = event.OldResourceProperties?.[PROP.databaseIdentity];
  const now = event.ResourceProperties?.[PROP.databaseIdentity];
  if (before === undefined || now === undefined || before === now) return;
  log.info('the database was replaced (its identity changed): the new one is migrated from its first pending migration', {
    oldDatabaseIdentity: before,
    databaseIdentity: now,
  });
}

/** isComplete: continue migrating; when nothing is left, verify the schema and say what this request applied. */
async function isComplete(inv: Invocation): Promise<IsCompleteResponse> {
  if (inv.event.RequestType === 'Delete') return { IsComplete: true };
  // onEvent reported a rollback's problem: the framework keeps its Data.
  if ((inv.event as IsCompleteRequest)[ROLLBACK_REPORTED_FIELD]) return { IsComplete: true };
  const cfg = inv.config();
  if (cfg.fleet) return fleetIsComplete(inv, cfg as FleetConfig);
  const done = await run(inv, cfg);
  if ('busy' in done) {
    lockBusy(done.busy, inv.event, cfg.run, inv.log);
    return { IsComplete: false };
  }
  if ('lost' in done) {
    connectionLost(done.lost, inv.event, cfg.run, inv.log);
    return { IsComplete: false };
  }
  if ('waiting' in done) {
    await awaitBackfill(inv, cfg, done.waiting);
    return { IsComplete: false };
  }
  if (done.result.outcome === 'partial') return { IsComplete: false };
  // A failed contract throws here (FAILED → the stack rolls back before the new code runs).
  const verified = done.ahead ? SKIPPED_ON_ROLLBACK : await verifySchema(done.driver, done.migrations, cfg.verify, inv.log, done.deadline);
  const { mine, rows } = await requestState(done.driver, cfg.run.stateSchema, appliedBy(inv.event));
  const baseline = baselineOutcome(done.baseline, rows, appliedBy(inv.event));
  const standbys = mine.length && !done.ahead ? await standbysAfter(done, cfg.run, inv.log) : {};
  if (!done.ahead) await startWorkflows(inv, done.driver, cfg);
  return { IsComplete: true, Data: { ...responseData(done.result, mine, done.ahead !== undefined, done.ahead ?? [], baseline), ...verified, ...standbys } };
}

type FleetConfig = HandlerConfig & { fleet: Fleet };

function rolloutContext(inv: Invocation, cfg: FleetConfig): RolloutContext {
  return { event: inv.event, cfg, connector: inv.connector, log: inv.log, redactor: inv.redactor, stepFunctions: inv.stepFunctions };
}

/** A fleet's isComplete: how its rollout's execution stands (none was started for a fleet without tenants). */
async function fleetIsComplete(inv: Invocation, cfg: FleetConfig): Promise<IsCompleteResponse> {
  const event = inv.event as IsCompleteRequest;
  const migrations = loadBundle(inv, cfg);
  const executionArn = event[FLEET_EXECUTION_FIELD];
  if (!executionArn) return { IsComplete: true, Data: rolloutData(undefined, migrations) };
  const started = Number(event[REQUEST_STARTED_FIELD]);
  return rolloutStatus(rolloutContext(inv, cfg), executionArn, migrations, Number.isFinite(started) ? Date.now() - started : undefined);
}

/**
 * The operator function's entry: a direct invocation's command, run by the
 * operator bundle against this function's database, logged with who the
 * caller says it is (unchecked: Lambda tells a function nothing of who
 * invoked it). Anything else — a CloudFormation event — is refused.
 */
async function operatorEntry(wiring: Wiring, event: unknown, context: InvocationContext): Promise<OperatorResult> {
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
function operatorRefused(wiring: Wiring, context: InvocationContext): OperatorResult {
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

/**
 * A slice of a backfill's workflow (backfill/slice.ts): the function's own
 * database and settings, logged as the workflow's; a bad configuration
 * throws, failing the slice and the execution.
 */
async function sliceInvocation(wiring: Wiring, event: BackfillSliceEvent, context: InvocationContext): Promise<BackfillSliceResult> {
  const redactor = new Redactor();
  const log = createLogger(redactor, wiring.write, { phase: 'backfill', requestId: context.awsRequestId });
  const config = readConfig(wiring.env);
  return backfillSlice(event, context, {
    config,
    migrations: () => loadBundledMigrations(config, wiring.env),
    connector: wiring.connector,
    log,
    redactor,
    write: wiring.write,
    functionName: wiring.env.AWS_LAMBDA_FUNCTION_NAME ?? 'unknown',
  });
}

/** The backfills' state machine this resource starts executions of (a property: the state machine invokes this function). */
function backfillStateMachine(event: OnEventRequest): string | undefined {
  const arn = event.ResourceProperties?.[PROP.backfillStateMachine];
  return typeof arn === 'string' && arn ? arn : undefined;
}

/** The workflow of each backfill not done, started once (backfill/start.ts); nothing without a state machine. */
async function startWorkflows(inv: Invocation, driver: Driver, cfg: HandlerConfig): Promise<void> {
  const stateMachineArn = backfillStateMachine(inv.event);
  if (!stateMachineArn) return;
  const session = await driver.connect();
  try {
    const identity = inv.event.ResourceProperties?.[PROP.databaseIdentity];
    await startBackfillWorkflows(session, cfg.run.stateSchema, {
      stateMachineArn,
      ...(typeof identity === 'string' ? { databaseIdentity: identity } : {}),
      starter: inv.backfillStarter,
      log: inv.log,
    });
  } finally {
    await session.close();
  }
}

/** A file waits for a backfill: its workflow started (if it was not), then wait for it (isComplete runs again) or refuse (backfill/wait.ts). */
async function awaitBackfill(inv: Invocation, cfg: HandlerConfig, e: BackfillPendingError): Promise<void> {
  const workflow = backfillStateMachine(inv.event) !== undefined;
  if (workflow && e.awaited?.state !== 'failed') {
    const driver = await inv.connector.connect(cfg.database, inv.log, inv.redactor);
    try {
      await startWorkflows(inv, driver, cfg);
    } finally {
      await driver.end().catch(() => undefined);
    }
  }
  waitForBackfill(e, inv.event, cfg.run, workflow, inv.log);
}

/**
 * After this request applied migrations: wait for the standbys to replay
 * them, within the invocation's time less the reserve, and say how they did
 * (`Standbys`, at most a few hundred characters). A standby still behind is
 * a warning, or the request's failure with the strict setting.
 */
async function standbysAfter(done: Run, run: HandlerConfig['run'], log: Invocation['log']): Promise<{ Standbys?: string }> {
  const session = await done.driver.connect();
  try {
    const timeoutMs = Math.max(0, Math.min(run.standbyWaitMs, done.deadline - Date.now() - run.reserveMs));
    const report = await waitForStandbys(session, {
      timeoutMs,
      strict: run.standbyStrict,
      settings: { wait: 'the standbys.wait prop', strict: 'the standbys.strict prop' },
      onProgress: (line) => log.info('standbys', { progress: line.trim() }),
    });
    if (report.standbys.length === 0) return {};
    if (report.caughtUp) log.info('standbys', { summary: report.summary, standbys: report.standbys });
    else log.warn('standbys', { summary: report.summary, standbys: report.standbys });
    return { Standbys: report.summary.length > 300 ? `${report.summary.slice(0, 299)}…` : report.summary };
  } finally {
    await session.close();
  }
}

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

/** Another runner held the lock for the whole of this invocation's wait: nothing was applied. */
interface Busy {
  busy: LockWaitTimeoutError;
}

/** The connection was lost while a transactional migration ran: nothing of it is left half done. */
interface Lost {
  lost: MigrationError;
}

/** A file waits for a backfill not done (`after-backfill`): the files before it are applied. */
interface Waiting {
  waiting: BackfillPendingError;
}

/** Load the bundled files, connect, migrate (or recognise a rollback) until the time runs short. */
async function run(inv: Invocation, cfg: HandlerConfig): Promise<Run | Busy | Lost | Waiting> {
  try {
    return await migrateInTime(inv, cfg);
  } catch (e) {
    if (e instanceof LockWaitTimeoutError) return { busy: e };
    if (e instanceof BackfillPendingError) return { waiting: e };
    // The lock's connection lost (the same failover): the run stopped between migrations, each that committed recorded.
    if (lostInTransaction(e, cfg) || e instanceof LockLostError) return { lost: e };
    throw e;
  }
}

/**
 * A statement or check of a transactional migration cut off by a lost
 * connection (its message says so): safe to run again. Not a no-transaction
 * file, whose statements before the cut stay and may not run twice; not a
 * failure to connect (a wrong password must fail now, not after totalTimeout).
 */
function lostInTransaction(e: unknown, cfg: HandlerConfig): e is StatementError {
  // The cause, not the message: a RAISE whose text says "connection lost" must fail, not be retried until totalTimeout.
  if (!(e instanceof StatementError) || !isConnectionLoss(e.cause) || !e.file) return false;
  const m = loadMigrations(cfg.migrationsDir, { layout: cfg.migrationsLayout }).find((x) => x.file === e.file);
  return m !== undefined && !runsOutsideTransaction(m);
}

async function migrateInTime(inv: Invocation, cfg: HandlerConfig): Promise<Run> {
  const started = Date.now();
  const deadline = started + inv.context.getRemainingTimeInMillis();
  const migrations = loadBundle(inv, cfg);
  const baseline = baselineSetting(inv.event.ResourceProperties);
  const driver = await inv.connector.connect(cfg.database, inv.log, inv.redactor);
  const lockWaitMs = Math.max(0, Math.min(cfg.run.lockWaitMs, deadline - Date.now() - cfg.run.reserveMs));
  await adoptBeforeMigrate({
    driver,
    migrations,
    stateSchema: cfg.run.stateSchema,
    setting: baseline,
    appliedBy: appliedBy(inv.event),
    lockWaitMs,
    log: inv.log,
  });
  const check = { requestType: inv.event.RequestType, driver, migrations, stateSchema: cfg.run.stateSchema, log: inv.log };
  const { result, ahead } = await migrateUnlessRollback(check, (allowAhead) =>
    migrate({
      driver,
      migrations,
      allowAhead,
      deadline,
      stateSchema: cfg.run.stateSchema,
      appliedBy: appliedBy(inv.event),
      // Without a baseline, a first run onto tables already there is refused; `version: 'none'` runs every file, another tool's history or not.
      firstRunCheck: baseline ? undefined : existingSchemaCheck(cfg.run.stateSchema, migrations),
      ignoreForeignHistory: baseline !== undefined && 'none' in baseline,
      reserveMs: cfg.run.reserveMs,
      lockTimeoutMs: cfg.run.lockTimeoutMs,
      // The lock wait must leave the reserve, like every other step.
      lockWaitMs: Math.max(0, Math.min(cfg.run.lockWaitMs, deadline - Date.now() - cfg.run.reserveMs)),
      deadlineFix: deadlineFix(deadline - started),
      checks: [replicationCheck({ planned: cfg.run.replicationPlanned, plannedSetting: 'the replicationPlanned prop of SchemaMigrations' })],
      // A deploy waits for a backfill's expand and first batch, not its end: the rest is a later run's (see docs/guide/backfills.md).
      backfills: 'start',
      backfillSettings: cfg.run.backfill,
      backfillFix: BACKFILL_FIX,
      onEvent: (e) => logRunEvent(inv.log, e),
    }),
  );
  logRunFinished(inv.log, result, Date.now() - started);
  inv.known = { currentVersion: result.currentVersion === null ? 'none' : String(result.currentVersion), appliedCount: String(result.appliedCount) };
  return { result, ahead, driver, migrations, deadline, baseline };
}

/** What a deploy refused for a backfill not done says to do. */
const BACKFILL_FIX =
  'let the backfill finish — its Step Functions workflow goes on after this deploy (`schemaguard status` shows it), or `schemaguard migrate` against this database runs it to the end after its last committed batch — then deploy again; a failed backfill: fix its cause first (its reason names it)';

/**
 * A statement cut by the invocation's deadline although its migration had
 * nearly the whole invocation (a later one is left for the next isComplete):
 * the function's timeout is what bounds it, not the file's directive.
 */
function deadlineFix(invocationMs: number): string {
  return (
    `raise the SchemaMigrations handlerTimeout (this invocation had ${Math.round(invocationMs / 1000)} s; at most 15 minutes), ` +
    'or split the migration into smaller files that each fit in one invocation'
  );
}

/** The migrations bundled with the function, with a warning when they are not the files the template was made from. */
function loadBundle(inv: Invocation, cfg: HandlerConfig): Migration[] {
  const migrations = loadBundledMigrations(cfg, inv.env);
  const files = summariseFiles(cfg.migrationsDir, cfg.contractsDir, cfg.migrationsLayout);
  const expected = inv.event.ResourceProperties?.[PROP.filesHash];
  if (typeof expected === 'string' && expected !== files.hash) {
    // Not fatal: in a rollback the properties and the code can be restored in either order.
    inv.log.warn('the bundled files differ from the files the template was synthesised with', { bundled: files.hash, template: expected });
  }
  return migrations;
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
