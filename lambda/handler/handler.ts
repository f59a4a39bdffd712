/**
 * The SchemaMigrations custom-resource handler, for the Provider framework of
 * aws-cdk-lib/custom-resources (asynchronous: onEvent starts, isComplete
 * finishes):
 *
 * - Create / Update: onEvent runs the engine until the invocation's time runs
 *   short; isComplete continues (the engine stops before `reserveMs` is left
 *   and reports `partial`), and when nothing is pending answers IsComplete
 *   with `Data` (< 4 KB) saying what this request applied.
 * - An Update whose files are older than the database (a CloudFormation
 *   rollback after a later resource failed) succeeds, changes nothing and
 *   says so (Outcome `database-ahead`).
 * - Delete never touches the database (nor reads the secret). A Delete after a
 *   failed Create is answered by the framework itself; it is a no-op here too.
 * - Duplicate delivery is harmless: the engine's lock serialises runners and
 *   its state table makes the second run find nothing pending.
 * - A failure throws (the framework turns it into FAILED): the message names
 *   the migration, the line, the SQLSTATE and the log groups, cut to fit.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { PgDriver } from '../driver/pg/pg-driver';
import type { DataApiClient } from '../driver/data-api/data-api-driver';
import type { Driver } from '../engine/ports';
import { DatabaseAheadError, InputError, MigrationError } from '../engine/errors';
import { Redactor } from '../engine/redact';
import { inspect, migrate, type MigrateResult, type RunEvent } from '../engine/runner';
import { loadMigrations, type Migration } from '../engine/source';
import { readApplied } from '../engine/state';
import { readConfig, type HandlerConfig } from './config';
import { ATTR, VERIFY_ATTR, DATA_MAX_BYTES, ENV, OUTCOME, PHYSICAL_ID_PREFIX, PROP } from './constants';
import { toFailure } from './failure';
import { summariseFiles } from './files-hash';
import { createLogger, stdoutWriter, type LineWriter, type Logger } from './log';
import { readCredentials, type SecretsClient } from './secret';
import { readVerifySettings, verifySchema, type VerifyData } from './verify';

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
  Data?: Record<string, unknown>;
}

export interface OnEventResponse {
  PhysicalResourceId: string;
}

export interface IsCompleteResponse {
  IsComplete: boolean;
  Data?: Record<string, string>;
}

/** The part of the Lambda context the handler uses. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
  awsRequestId?: string;
}

export interface HandlerDependencies {
  /** @default - a SecretsManagerClient for the function's region */
  secrets?: SecretsClient;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Used when SCHEMAGUARD_CLUSTER_ARN is set. @default - an RDSDataClient for the cluster's region */
  dataApi?: DataApiClient;
  /** @default - one JSON line per record on stdout */
  write?: LineWriter;
}

export interface Handlers {
  onEvent(event: OnEventRequest, context: InvocationContext): Promise<OnEventResponse>;
  isComplete(event: IsCompleteRequest, context: InvocationContext): Promise<IsCompleteResponse>;
}

/** The framework's marker for a Create that failed; the Delete that follows must do nothing. */
export const CREATE_FAILED_MARKER = 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED';

const AUTH_ATTEMPTS = 3;
const AUTH_RETRY_DELAY_MS = 5000;

interface RunOutcome {
  result: MigrateResult;
  rollback: boolean;
  ahead: number[];
}

export function createHandlers(deps: HandlerDependencies = {}): Handlers {
  const env = deps.env ?? process.env;
  const write = deps.write ?? stdoutWriter;
  let secrets = deps.secrets;
  let caCache: { path: string; pem: string } | undefined;

  function setup(event: OnEventRequest, phase: string): { log: Logger; redactor: Redactor } {
    const redactor = new Redactor();
    const log = createLogger(redactor, write, {
      phase, requestType: event.RequestType, requestId: event.RequestId, logicalResourceId: event.LogicalResourceId,
    });
    return { log, redactor };
  }

  function validate(event: OnEventRequest): void {
    if (!['Create', 'Update', 'Delete'].includes(event?.RequestType)) {
      throw new InputError(`RequestType "${String(event?.RequestType)}" is not Create, Update or Delete`, {
        value: String(event?.RequestType), fix: 'invoke this function through the Provider framework only',
      });
    }
    if (!event.LogicalResourceId || !event.RequestId) {
      throw new InputError('the event has no LogicalResourceId or RequestId', { fix: 'invoke this function through the Provider framework only' });
    }
  }

  function tlsOptions(cfg: HandlerConfig, host: string): ConnectionOptions | false {
    if (cfg.tls === 'disable') return false;
    if (!caCache || caCache.path !== cfg.caBundle) {
      let pem: string;
      try {
        pem = readFileSync(cfg.caBundle, 'utf8');
      } catch (cause) {
        throw new InputError(`cannot read the CA bundle ${cfg.caBundle} (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, {
          value: cfg.caBundle, cause, fix: 'the Node.js 20+ Lambda runtimes ship the Amazon CA certificates in /var/runtime/ca-cert.pem; point SCHEMAGUARD_CA_BUNDLE at a PEM bundle that holds the RDS CA',
        });
      }
      caCache = { path: cfg.caBundle, pem };
    }
    // Verify the chain against the bundle and the name against the host (Node's default check).
    return { ca: caCache.pem, rejectUnauthorized: true, servername: host };
  }

  async function connectDriver(cfg: HandlerConfig, log: Logger, redactor: Redactor): Promise<Driver> {
    if (cfg.clusterArn) {
      // Aurora through the Data API: the service reads the secret itself. Loaded on first use, like the SDKs.
      const { DataApiDriver } = await import('../driver/data-api/data-api-driver');
      return new DataApiDriver({
        resourceArn: cfg.clusterArn, secretArn: cfg.secretArn, database: cfg.databaseName ?? 'postgres', client: deps.dataApi,
      });
    }
    // The SDK is loaded on first use, not at import: cold start pays only for what runs.
    secrets ??= new (await import('@aws-sdk/client-secrets-manager')).SecretsManagerClient({});
    const creds = await readCredentials(secrets, cfg.secretArn);
    redactor.add(creds.password);
    const host = cfg.host ?? creds.host;
    if (!host) {
      throw new InputError(`no database host: the secret has no "host" and ${ENV.host} is not set`, {
        fix: 'attach the secret to the instance or cluster (the construct does), or pass the host to the construct',
      });
    }
    const ssl = tlsOptions(cfg, host);
    return new PgDriver({
      config: {
        host,
        port: cfg.port ?? creds.port ?? 5432,
        user: creds.username,
        password: creds.password,
        database: cfg.databaseName ?? creds.dbname ?? 'postgres',
      },
      ssl,
      applicationName: 'schemaguard-cfn',
      connectRetry: { attempts: cfg.connectAttempts, initialDelayMs: 1000 },
      redactor,
      onConnectRetry: (attempt, delayMs, message) => log.warn('database not reachable yet; retrying', { attempt, delayMs, error: message }),
    });
  }

  /**
   * Connect once before the run. A password refused (28P01) is read again
   * from Secrets Manager a bounded number of times: a rotation that is
   * between setting the new password and promoting it to AWSCURRENT ends
   * within seconds.
   */
  async function connectChecked(cfg: HandlerConfig, log: Logger, redactor: Redactor): Promise<Driver> {
    for (let attempt = 1; ; attempt++) {
      const driver = await connectDriver(cfg, log, redactor);
      try {
        const session = await driver.connect();
        await session.close();
        return driver;
      } catch (e) {
        if (!(e instanceof MigrationError) || e.sqlstate !== '28P01' || attempt >= AUTH_ATTEMPTS) throw e;
        log.warn('password refused; reading the secret again (a rotation may be in progress)', { attempt, delayMs: AUTH_RETRY_DELAY_MS });
        await new Promise((r) => setTimeout(r, AUTH_RETRY_DELAY_MS));
      }
    }
  }

  function appliedBy(event: OnEventRequest): string {
    const stack = event.StackId.split('/')[1] ?? event.StackId;
    return `cloudformation:${stack}/${event.LogicalResourceId}/${event.RequestId}`;
  }

  function logRunEvent(log: Logger, e: RunEvent): void {
    switch (e.type) {
      case 'lock-wait': log.info('waiting for another runner', { holders: e.holders.map((h) => h.pid) }); break;
      case 'lock-acquired': log.info('runner lock acquired', { waitedMs: e.waitedMs }); break;
      case 'plan': log.info('plan', { pending: e.pending, applied: e.applied }); break;
      case 'migration-start': log.info('migration started', { file: e.migration.file }); break;
      case 'migration-applied': log.info('migration applied', { file: e.migration.file, executionMs: e.executionMs, attempts: e.attempts }); break;
      case 'retry': log.warn('lock timeout; retrying', { file: e.migration.file, attempt: e.attempt, delayMs: e.delayMs, error: e.message }); break;
      case 'note': log.info(e.message); break;
      case 'deadline': log.info('stopping before the invocation runs out of time; the next isComplete continues', { remaining: e.remaining.map((m) => m.file) }); break;
    }
  }

  /**
   * A rollback Update: CloudFormation sends the old properties to the old
   * code, so the files are older than the database. Recognised when nothing is
   * pending and every version the files do not know is newer than all of them.
   */
  async function isRollback(driver: Driver, migrations: Migration[], cfg: HandlerConfig): Promise<number[] | undefined> {
    const plan = await inspect({ driver, migrations, stateSchema: cfg.stateSchema });
    if (plan.unknown.length === 0 || plan.pending.length > 0 || plan.changed.length > 0) return undefined;
    const newestFile = migrations.reduce((max, m) => Math.max(max, m.version), 0);
    const ahead = plan.unknown.map((u) => u.version);
    return ahead.every((v) => v > newestFile) ? ahead : undefined;
  }

  async function run(event: OnEventRequest, context: InvocationContext, log: Logger, redactor: Redactor): Promise<RunOutcome & { driver: Driver; cfg: HandlerConfig; migrations: Migration[] }> {
    const started = Date.now();
    const deadline = started + context.getRemainingTimeInMillis();
    const cfg = readConfig(env);
    const migrations = loadMigrations(cfg.migrationsDir);
    const files = summariseFiles(cfg.migrationsDir, cfg.contractsDir);
    const expected = event.ResourceProperties?.[PROP.filesHash];
    if (typeof expected === 'string' && expected !== files.hash) {
      // Not fatal: in a rollback the properties and the code can be restored in either order.
      log.warn('the bundled files differ from the files the template was synthesised with', { bundled: files.hash, template: expected });
    }
    const driver = await connectChecked(cfg, log, redactor);
    let ahead = event.RequestType === 'Update' ? await isRollback(driver, migrations, cfg) : undefined;
    if (ahead) {
      log.info('the database is ahead of these files (a CloudFormation rollback to older code): nothing will be changed', { aheadVersions: ahead });
    }
    const apply = () => migrate({
      driver, migrations, stateSchema: cfg.stateSchema,
      appliedBy: appliedBy(event),
      allowAhead: ahead !== undefined,
      deadline, reserveMs: cfg.reserveMs,
      lockTimeoutMs: cfg.lockTimeoutMs,
      lockWaitMs: Math.max(0, Math.min(cfg.lockWaitMs, deadline - Date.now() - cfg.reserveMs)),
      onEvent: (e) => logRunEvent(log, e),
    });
    let result: MigrateResult;
    try {
      result = await apply();
    } catch (e) {
      // The rollback check above ran before the runner lock. A rollback Update
      // can arrive while the update being rolled back still holds it; the
      // versions that update committed meanwhile make the database ahead.
      // Decide again now, with the state as the lock holder left it.
      if (!(e instanceof DatabaseAheadError) || event.RequestType !== 'Update' || ahead) throw e;
      ahead = await isRollback(driver, migrations, cfg);
      if (!ahead) throw e;
      log.info('the database moved ahead of these files while this request waited for the lock (a CloudFormation rollback to older code): nothing will be changed', { aheadVersions: ahead });
      result = await apply();
    }
    log.info('run finished', {
      outcome: result.outcome, applied: result.applied.map((a) => a.file), remaining: result.remaining,
      currentVersion: result.currentVersion, appliedCount: result.appliedCount, elapsedMs: Date.now() - started,
    });
    return { result, rollback: ahead !== undefined, ahead: ahead ?? [], driver, cfg, migrations };
  }

  async function appliedByThisRequest(driver: Driver, cfg: HandlerConfig, event: OnEventRequest): Promise<number[]> {
    const session = await driver.connect();
    try {
      const me = appliedBy(event);
      return (await readApplied(session, cfg.stateSchema)).filter((a) => a.appliedBy === me).map((a) => a.version);
    } finally {
      await session.close();
    }
  }

  async function guarded<T>(event: OnEventRequest, phase: string, body: (log: Logger, redactor: Redactor) => Promise<T>): Promise<T> {
    const { log, redactor } = setup(event, phase);
    log.info('request', {
      // ResponseURL is a presigned URL: never logged.
      resourceProperties: event?.ResourceProperties, oldResourceProperties: event?.OldResourceProperties, physicalResourceId: event?.PhysicalResourceId,
    });
    try {
      validate(event);
      const out = await body(log, redactor);
      log.info('response', { response: out });
      return out;
    } catch (e) {
      let cfg: Partial<HandlerConfig> = {};
      try { cfg = readConfig(env); } catch { /* the failure itself may be the configuration */ }
      const failure = toFailure(e, redactor, { handlerLogGroup: cfg.handlerLogGroup, databaseLogGroup: cfg.databaseLogGroup });
      log.error('failed', { error: failure.message, ...(e instanceof MigrationError ? { fields: e.toJSON() } : {}) });
      throw failure;
    }
  }

  return {
    onEvent: (event, context) => guarded(event, 'onEvent', async (log, redactor) => {
      if (event.RequestType === 'Delete') {
        log.info(event.PhysicalResourceId === CREATE_FAILED_MARKER
          ? 'delete after a failed create: nothing to do'
          : 'delete: the database and its schema are left as they are');
        return { PhysicalResourceId: event.PhysicalResourceId ?? CREATE_FAILED_MARKER };
      }
      // Stable across updates: the same resource keeps its id, so CloudFormation never sees a replacement.
      const physicalId = event.RequestType === 'Create'
        ? `${PHYSICAL_ID_PREFIX}-${event.LogicalResourceId}`
        : event.PhysicalResourceId!;
      await run(event, context, log, redactor);
      return { PhysicalResourceId: physicalId };
    }),

    isComplete: (event, context) => guarded(event, 'isComplete', async (log, redactor) => {
      if (event.RequestType === 'Delete') return { IsComplete: true };
      const { result, rollback, ahead, driver, cfg, migrations } = await run(event, context, log, redactor);
      if (result.outcome === 'partial') return { IsComplete: false };
      // Contracts and drift: a failed contract throws (FAILED → rollback). A rollback runs older files
      // against a newer schema: there is nothing to verify, and failing would block the rollback.
      const verified: VerifyData = rollback
        ? { [VERIFY_ATTR.contracts]: 'skipped (rollback)', [VERIFY_ATTR.drift]: 'skipped (rollback)' }
        : await verifySchema(driver, migrations, readVerifySettings(env, cfg.contractsDir, cfg.stateSchema), log);
      const mine = await appliedByThisRequest(driver, cfg, event);
      return { IsComplete: true, Data: { ...responseData(result, mine, rollback, ahead), ...verified } };
    }),
  };
}

function list(versions: number[], budget: number): string {
  const all = versions.join(',');
  if (all.length <= budget) return all;
  let out = '';
  let k = 0;
  for (; k < versions.length; k++) {
    const next = out ? `${out},${versions[k]}` : String(versions[k]);
    if (next.length > budget - 16) break;
    out = next;
  }
  return `${out},…(+${versions.length - k})`;
}

/** The response `Data`: strings only (GetAtt values), always every attribute, under DATA_MAX_BYTES. */
export function responseData(result: MigrateResult, mine: number[], rollback: boolean, ahead: number[]): Record<string, string> {
  const outcome = mine.length > 0 ? OUTCOME.applied : rollback ? OUTCOME.databaseAhead : OUTCOME.upToDate;
  const current = result.currentVersion === null ? 'none' : String(result.currentVersion);
  const message = outcome === OUTCOME.applied
    ? `applied ${mine.length} migration${mine.length === 1 ? '' : 's'}; the database is at version ${current}`
    : outcome === OUTCOME.databaseAhead
      ? `the database is ahead of these files (versions ${list(ahead, 200)} are not in them): a rollback to older code; nothing was changed`
      : `nothing to apply; the database is at version ${current}`;
  const data: Record<string, string> = {
    [ATTR.outcome]: outcome,
    [ATTR.currentVersion]: current,
    [ATTR.appliedCount]: String(result.appliedCount),
    [ATTR.appliedThisRun]: String(mine.length),
    [ATTR.appliedVersions]: list(mine, 600),
    [ATTR.aheadVersions]: list(ahead, 300),
    [ATTR.message]: message,
  };
  if (Buffer.byteLength(JSON.stringify(data)) > DATA_MAX_BYTES) data[ATTR.message] = data[ATTR.message]!.slice(0, 200);
  return data;
}
