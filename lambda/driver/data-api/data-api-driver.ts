/**
 * The RDS Data API driver (Aurora PostgreSQL): the engine's Session over
 * ExecuteStatement / BeginTransaction / CommitTransaction / RollbackTransaction.
 * No VPC access needed from the caller; no database session either, which
 * shapes these decisions:
 *
 * - The runner lock is a lease row (`lease-lock.ts`), not an advisory
 *   lock; every transaction this driver commits while the lease is held is
 *   fenced (the lease row is checked FOR UPDATE just before COMMIT).
 * - `pid` exists only while a transaction is open (the service keeps a
 *   transaction on one database connection; `pg_backend_pid()` is read in the
 *   same call that sets the timeouts). The lease's session serves as the
 *   monitor, so a lock-timeout error still names the sessions that blocked it.
 * - Session-level `SET` does not survive a call. Outside a transaction
 *   (no-transaction files) each statement runs in its own one-statement
 *   transaction with `SET LOCAL` timeouts (set_config(…, true)); statements
 *   PostgreSQL refuses in a transaction block (CREATE INDEX CONCURRENTLY,
 *   VACUUM, …) and those that end transactions themselves (CALL, a DO block
 *   that commits) run as a bare call: PostgreSQL applies no lock_timeout to
 *   them; past the call limit this driver enforces the lock and statement
 *   timeouts (it cancels the statement), and learns how the statement ended
 *   only where that shows (`confirmBareCall`).
 * - A statement that fails ends its transaction: the service rolls it back
 *   and forgets its id, so no savepoint can recover from the error
 *   (`errorEndsTransaction`); a caller that goes on begins a new transaction.
 * - Nothing a migration sets in its session reaches the next one: each
 *   migration is its own Data API transaction, and the service resets a
 *   connection (DISCARD ALL) before it reuses it, as the stand-in the tests
 *   use does. Inside the transaction, a file's SET ROLE would still apply to
 *   its state row and the lease fence: `resetSql` resets the role first (one
 *   call per migration).
 *
 * Service limits: a call returns after at most 45 s. Statements that write or
 * change the schema are sent with `continueAfterTimeout` and tagged with a
 * leading comment; when the call times out the driver waits for the tagged
 * statement to finish (polling pg_stat_activity) before it goes on. A
 * transaction idle for 3 minutes is rolled back by the service; a response is
 * at most 1 MiB (64 KB per row).
 */
import { randomBytes } from 'node:crypto';
import {
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RDSDataClient,
  RollbackTransactionCommand,
  type BeginTransactionCommandOutput,
  type CommitTransactionCommandOutput,
  type ExecuteStatementCommandInput,
  type ExecuteStatementCommandOutput,
  type RollbackTransactionCommandOutput,
} from '@aws-sdk/client-rds-data';
import { ConnectionError, InputError, MigrationError, sqlstateOf, type Blocker } from '../../engine/errors/errors';
import type { Driver, LockOptions, MigrationLock, QueryResult, Session, SessionCapabilities, TransactionSettings } from '../../engine/ports';
import { sleep } from '../../engine/runtime/sleep';
import type { Migration } from '../../engine/files/source';
import { classifySql, concurrentIndexTarget, mayEndTransactions, refusesTransactionBlock } from '../../engine/sql/classify';
import { sampleBlockers } from '../../engine/lock/blockers';
import { DataApiSqlError, decodeRecords, parseSqlErrorMessage, translateStatement } from './data-api-codec';
import { LeaseLock, type LeaseTimings } from './lease-lock';
import { dropStaleMarkers, markDoBlock, markerName, refuseWhileStaleBlockRuns, refuseWithoutMarkerPrivilege, type MarkedStatement } from './outcome-marker';
import { quoteIdent } from '../../engine/state/identifiers';
import { DOCS_POINTERS } from '../../engine/errors/docs-pointers';
import {
  CONNECTION_FAILURE,
  IDLE_IN_TRANSACTION_SESSION_TIMEOUT,
  INSUFFICIENT_PRIVILEGE,
  IN_FAILED_SQL_TRANSACTION,
  LOCK_NOT_AVAILABLE,
  PROGRAM_LIMIT_EXCEEDED,
  QUERY_CANCELED,
} from '../../engine/errors/sqlstate';
import { present } from '../../engine/errors/present';

/** How long connecting to the Data API endpoint may take (each SDK attempt). */
const DATA_API_CONNECTION_TIMEOUT_MS = 5_000;

/** The part of RDSDataClient the driver uses (a test stand-in implements the same). */
export interface DataApiClient {
  send(command: ExecuteStatementCommand): Promise<ExecuteStatementCommandOutput>;
  send(command: BeginTransactionCommand): Promise<BeginTransactionCommandOutput>;
  send(command: CommitTransactionCommand): Promise<CommitTransactionCommandOutput>;
  send(command: RollbackTransactionCommand): Promise<RollbackTransactionCommandOutput>;
}

export interface DataApiDriverOptions {
  /** Aurora cluster ARN (`arn:aws:rds:<region>:<account>:cluster:<id>`). */
  resourceArn: string;
  /** Secrets Manager ARN of the database credentials. Never printed. */
  secretArn: string;
  /** Database name. */
  database: string;
  /** @default - an RDSDataClient for the cluster's region */
  client?: DataApiClient;
  /** Send writes and DDL with continueAfterTimeout and wait for them past the 45 s call limit. @default true */
  continueAfterTimeout?: boolean;
  /** Longest wait for a statement that outlived its call, when no statement_timeout bounds it. @default 900000 (15 min) */
  maxStatementWaitMs?: number;
  /** How often a continued statement is polled. @default 1000 */
  statementPollMs?: number;
  /** How long to keep retrying while a paused Serverless v2 cluster resumes. @default 60000 */
  resumeWaitMs?: number;
  /** Lease timings for the runner lock. @default - LeaseLock defaults (60 s TTL) */
  lease?: LeaseTimings;
}

const CLUSTER_ARN = /^arn:aws[a-z-]*:rds:([a-z0-9-]+):\d{12}:cluster:[A-Za-z][A-Za-z0-9-]{0,62}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;

/**
 * Statements sent as a bare call, outside any transaction: those PostgreSQL
 * refuses inside a transaction block, and those that may end transactions
 * themselves (CALL, a DO block that commits its batches).
 */
export function needsOwnCall(sql: string): boolean {
  const { kind } = classifySql(sql);
  return refusesTransactionBlock(kind) || mayEndTransactions(kind);
}

/** Statements worth continuing past the call limit: anything that is not a plain read. */
export function isWrite(sql: string): boolean {
  const { kind } = classifySql(sql);
  return kind !== 'query' && kind !== 'read';
}

export class DataApiDriver implements Driver {
  readonly kind = 'data-api';
  readonly target: string;
  readonly client: DataApiClient;
  /** The lease of the runner using this driver, for fencing commits. */
  lease?: LeaseLock;
  /** The runner's state schema, where a long DO block's outcome marker is made (`outcome-marker.ts`). */
  stateSchema?: string;
  private probed = false;

  constructor(readonly options: DataApiDriverOptions) {
    const region = CLUSTER_ARN.exec(options.resourceArn)?.[1];
    if (!region) {
      throw new InputError(`data-api: resourceArn "${options.resourceArn}" is not an Aurora cluster ARN`, {
        value: options.resourceArn,
        fix: 'use the cluster ARN, e.g. arn:aws:rds:eu-west-1:123456789012:cluster:my-cluster (the Data API exists only for Aurora clusters)',
      });
    }
    if (!SECRET_ARN.test(options.secretArn)) {
      throw new InputError('data-api: secretArn is not a Secrets Manager ARN', {
        fix: 'pass the ARN of the cluster secret, e.g. arn:aws:secretsmanager:eu-west-1:123456789012:secret:name-AbCdEf',
      });
    }
    if (!options.database) throw new InputError('data-api: database is empty', { fix: 'pass the database name' });
    // A connection timeout only: a statement may rightly run long (the Data API answers after up to 45 s), but an
    // endpoint the function cannot reach must fail well before the Lambda timeout.
    this.client = options.client ?? new RDSDataClient({ region, requestHandler: { connectionTimeout: DATA_API_CONNECTION_TIMEOUT_MS } });
    this.target = `data-api://${options.resourceArn}/${options.database}`;
  }

  createLock(options: LockOptions): MigrationLock {
    this.stateSchema = options.stateSchema;
    this.lease = new LeaseLock(this, { stateSchema: options.stateSchema, owner: options.owner, ...this.options.lease });
    return this.lease;
  }

  async connect(): Promise<Session> {
    const session = new DataApiSession(this);
    if (!this.probed) {
      // A call that proves the ARNs, the secret and the permissions before anything else runs.
      try {
        await session.query('SELECT 1');
      } catch (e) {
        throw e instanceof ConnectionError
          ? e
          : new ConnectionError(`cannot reach ${this.target}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      this.probed = true;
    }
    return session;
  }

  /**
   * Under the runner lock, before any migration runs: a pending DO block
   * that gets an outcome marker is refused, with the GRANT, when the role may
   * not create the marker in the state schema; a run is refused while the
   * DO block of a runner that died mid-call still runs; the markers of
   * runners that died mid-call are dropped (`outcome-marker.ts`). A run with nothing to
   * apply changes nothing.
   */
  async assertRunnable(pending: Migration[]): Promise<void> {
    const schema = this.stateSchema;
    if (schema === undefined || pending.length === 0) return;
    const session = await this.connect();
    try {
      if (this.options.continueAfterTimeout ?? true) await refuseWithoutMarkerPrivilege(session, schema, pending);
      await refuseWhileStaleBlockRuns(session, schema);
      await dropStaleMarkers(session, schema);
    } finally {
      await session.close();
    }
  }

  async end(): Promise<void> {
    // Stateless HTTP client: nothing pooled.
  }

  /** One ExecuteStatement with the driver's ARNs; SDK errors become engine errors. */
  async execute(input: Omit<ExecuteStatementCommandInput, 'resourceArn' | 'secretArn' | 'database'>): Promise<ExecuteStatementCommandOutput> {
    return this.call(
      () =>
        this.client.send(
          new ExecuteStatementCommand({
            ...input,
            resourceArn: this.options.resourceArn,
            secretArn: this.options.secretArn,
            database: this.options.database,
          }),
        ),
      input.transactionId === undefined,
    );
  }

  async beginTransaction(): Promise<string> {
    const r = await this.call(
      () =>
        this.client.send(
          new BeginTransactionCommand({
            resourceArn: this.options.resourceArn,
            secretArn: this.options.secretArn,
            database: this.options.database,
          }),
        ),
      true,
    );
    return present(r.transactionId);
  }

  async endTransaction(transactionId: string, commit: boolean): Promise<void> {
    const input = { resourceArn: this.options.resourceArn, secretArn: this.options.secretArn, transactionId };
    await this.call(() => (commit ? this.client.send(new CommitTransactionCommand(input)) : this.client.send(new RollbackTransactionCommand(input))), false);
  }

  /** Retries while a paused cluster resumes (only calls that can be repeated safely). */
  private async call<T>(fn: () => Promise<T>, retriable: boolean): Promise<T> {
    const until = Date.now() + (this.options.resumeWaitMs ?? 60_000);
    let delay = 1000;
    for (;;) {
      try {
        return await fn();
      } catch (e) {
        const name = (e as { name?: string })?.name;
        if (retriable && name === 'DatabaseResumingException' && Date.now() + delay < until) {
          await sleep(delay);
          delay = Math.min(delay * 2, 10_000);
          continue;
        }
        throw translateError(e, this.target);
      }
    }
  }
}

/** SDK exception → the error the engine understands (SQLSTATE-carrying, or a ConnectionError). */
export function translateError(e: unknown, target: string): Error {
  if (!(e instanceof Error)) return new Error(String(e));
  const name = e.name;
  switch (name) {
    case 'DatabaseErrorException':
    case 'BadRequestException': {
      const f = parseSqlErrorMessage(e.message);
      if (f.message === 'Database response exceeded size limit' || /exceeded size limit|packet for query is too large/i.test(f.message)) {
        return new DataApiSqlError(
          `${f.message}: a Data API response is limited to 1 MiB (64 KB per row); return fewer or smaller rows`,
          name,
          { code: PROGRAM_LIMIT_EXCEEDED },
          e,
        );
      }
      return new DataApiSqlError(f.message, name, f, e);
    }
    case 'StatementTimeoutException':
      return new DataApiSqlError('canceling statement: the Data API call ran past its 45-second limit', name, { code: QUERY_CANCELED }, e);
    case 'TransactionNotFoundException':
      return new DataApiSqlError(
        `${e.message}: a Data API transaction ends after 3 minutes without a call, on COMMIT/ROLLBACK, or when one of its statements fails`,
        name,
        { code: IDLE_IN_TRANSACTION_SESSION_TIMEOUT },
        e,
      );
    case 'DatabaseUnavailableException':
    case 'DatabaseResumingException':
    case 'ServiceUnavailableError':
    case 'InternalServerErrorException':
    case 'TimeoutError':
      return new DataApiSqlError(`${name}: ${e.message}`, name, { code: CONNECTION_FAILURE }, e);
    case 'AccessDeniedException':
    case 'ForbiddenException':
      return new ConnectionError(`${target}: ${name}: ${e.message}`, {
        cause: e,
        fix: 'grant the caller rds-data:ExecuteStatement/BeginTransaction/CommitTransaction/RollbackTransaction on the cluster and secretsmanager:GetSecretValue on the secret',
      });
    case 'InvalidSecretException':
    case 'SecretsErrorException':
      return new ConnectionError(`${target}: ${name}: ${e.message}`, {
        cause: e,
        fix: 'check that the secret holds the cluster credentials (username/password) and that the caller may read it',
      });
    case 'HttpEndpointNotEnabledException':
      return new ConnectionError(`${target}: the Data API is not enabled on the cluster`, {
        cause: e,
        fix: 'enable it (CDK: enableDataApi: true on the DatabaseCluster; CLI: aws rds enable-http-endpoint)',
      });
    case 'DatabaseNotFoundException':
    case 'NotFoundException':
      return new ConnectionError(`${target}: ${name}: ${e.message}`, { cause: e, fix: 'check the cluster ARN and the database name' });
    default:
      return e;
  }
}

const TAG_PREFIX = '/*schemaguard-';

/** The Data API's response size limit. */
export const DATA_API_RESPONSE_LIMIT_BYTES = 1024 * 1024;

class DataApiSession implements Session {
  /** The backend of the open transaction (a Data API transaction stays on one connection); undefined between transactions. */
  pid?: number;
  /** The service rolls a transaction back and forgets it when one of its statements fails. */
  readonly errorEndsTransaction = true;
  /** A response is at most 1 MiB (Aurora user guide, Data API limitations: "The response size limit is 1 MiB"). */
  readonly responseLimitBytes = DATA_API_RESPONSE_LIMIT_BYTES;
  /** A call is one statement, and BEGIN and COMMIT are calls of their own: no script, beginWith or commitWith. */
  readonly capabilities: SessionCapabilities = { pipelines: false };
  private transactionId?: string;
  private timeouts: TransactionSettings = { lockTimeoutMs: 0, statementTimeoutMs: 0 };
  private txSettings: TransactionSettings = { lockTimeoutMs: 0, statementTimeoutMs: 0 };
  private closed = false;

  constructor(private readonly driver: DataApiDriver) {}

  get broken(): boolean {
    return this.closed;
  }

  get inTransaction(): boolean {
    return this.transactionId !== undefined;
  }

  async query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    if (this.transactionId !== undefined) return this.run<R>(sql, params, this.transactionId, this.txSettings);
    const t = this.timeouts;
    if ((t.lockTimeoutMs > 0 || t.statementTimeoutMs > 0) && !needsOwnCall(sql)) {
      // SET does not outlive a call: one-statement transaction with SET LOCAL.
      await this.begin(t);
      try {
        const r = await this.run<R>(sql, params, present(this.transactionId), t);
        await this.commit();
        return r;
      } catch (e) {
        await this.rollback().catch(() => undefined);
        throw e;
      }
    }
    return this.run<R>(sql, params, undefined, t);
  }

  private async run<R>(
    sql: string,
    params: readonly unknown[] | undefined,
    transactionId: string | undefined,
    settings: TransactionSettings,
  ): Promise<QueryResult<R>> {
    const cont = (this.driver.options.continueAfterTimeout ?? true) && isWrite(sql);
    const tag = cont ? `${TAG_PREFIX}${randomBytes(8).toString('hex')}*/ ` : '';
    const marker = cont && transactionId === undefined ? await this.outcomeMarker(sql) : undefined;
    const translated = translateStatement(marker?.statement.sql ?? sql, params ?? []);
    const started = Date.now();
    try {
      const r = await this.driver.execute({
        sql: tag + translated.sql,
        parameters: translated.parameters.length ? translated.parameters : undefined,
        transactionId,
        includeResultMetadata: true,
        continueAfterTimeout: cont || undefined,
        resultSetOptions: { longReturnType: 'STRING', decimalReturnType: 'STRING' },
      });
      const rows = decodeRecords<R>(r.records, r.columnMetadata);
      return { rows, rowCount: r.records ? rows.length : (r.numberOfRecordsUpdated ?? 0) };
    } catch (e) {
      if (e instanceof DataApiSqlError && e.exception === 'StatementTimeoutException' && cont) {
        await this.awaitContinued(sql, tag.trim(), transactionId, settings, started, marker?.table);
        return { rows: [], rowCount: 0 };
      }
      if (e instanceof DataApiSqlError && tag && e.position !== undefined) {
        // Positions count from the start of what was sent: take the tag (and a marker's rewrite) back off.
        let p = Number(e.position) - tag.length;
        if (marker && p > marker.statement.at) p -= marker.statement.shift;
        e.position = p > 0 ? String(p) : undefined;
      }
      // A failed statement may have ended the transaction on the service's side; the
      // transaction id is kept so that rollback() ends it either way (it tolerates
      // TransactionNotFoundException) and no transaction is left holding locks.
      throw e;
    } finally {
      if (marker) await this.driver.execute({ sql: `DROP TABLE IF EXISTS ${marker.table}` }).catch(() => undefined);
    }
  }

  /**
   * For a DO block that commits its batches, sent as a bare call: an empty
   * marker table in the state schema, and the block rewritten to drop it at
   * its end (`outcome-marker.ts`). Undefined outside a runner (no state
   * schema), for other statements, or when the table cannot be made.
   */
  private async outcomeMarker(sql: string): Promise<{ table: string; statement: MarkedStatement } | undefined> {
    const schema = this.driver.stateSchema;
    if (schema === undefined) return undefined;
    const id = randomBytes(8).toString('hex');
    const table = `${quoteIdent(schema)}.${quoteIdent(markerName(id, this.driver.lease?.holderId))}`;
    const statement = markDoBlock(sql, table, `sgw_${id}`);
    if (!statement) return undefined;
    try {
      await this.driver.execute({ sql: `CREATE TABLE ${table} ()` });
    } catch (e) {
      // The runner refuses this before anything runs (`refuseWithoutMarkerPrivilege`); CREATE revoked since: said, not run unmarked.
      if (sqlstateOf(e) === INSUFFICIENT_PRIVILEGE) throw markerRefused(schema, await this.role().catch(() => undefined), e);
      return undefined;
    }
    return { table, statement };
  }

  private async role(): Promise<string | undefined> {
    const r = await this.driver.execute({ sql: 'SELECT current_user::text AS role', includeResultMetadata: true });
    return decodeRecords<{ role: string }>(r.records, r.columnMetadata)[0]?.role;
  }

  /**
   * The call returned at the service's limit but the statement goes on: wait
   * until no backend is running it, bounded by statement_timeout (or
   * maxStatementWaitMs), and cancel it when that runs out. A bare call (no
   * transaction, so no `SET LOCAL lock_timeout`) that waits for a lock — or,
   * CREATE INDEX CONCURRENTLY, for older transactions — longer than the
   * lock timeout is cancelled as PostgreSQL would (55P03), naming who blocked it.
   * Then its outcome, which the Data API never returns (`confirmBareCall`).
   */
  private async awaitContinued(
    sql: string,
    tag: string,
    transactionId: string | undefined,
    settings: TransactionSettings,
    started: number,
    marker?: string,
  ): Promise<void> {
    const limit = settings.statementTimeoutMs > 0 ? settings.statementTimeoutMs : (this.driver.options.maxStatementWaitMs ?? 900_000);
    const poll = this.driver.options.statementPollMs ?? 1000;
    const pattern = `${tag.replace(/[%_\\]/g, '\\$&')}%`;
    let lockWaitSince: number | undefined;
    for (;;) {
      const rows = await this.continuedBackends(pattern);
      const running = rows.filter((x) => x.state === 'active');
      if (running.length === 0) {
        if (transactionId === undefined) return this.confirmBareCall(sql, marker);
        if (rows.some((x) => x.state === 'idle in transaction (aborted)')) {
          throw new DataApiSqlError(
            'the statement failed after its Data API call returned at the 45-second limit; its error is in the PostgreSQL log (the transaction is rolled back)',
            'DatabaseErrorException',
            { code: IN_FAILED_SQL_TRANSACTION },
          );
        }
        return;
      }
      const waiting = running.find((x) => x.wait_event_type === 'Lock');
      lockWaitSince = waiting ? (lockWaitSince ?? Date.now()) : undefined;
      const lockedOut =
        transactionId === undefined && waiting !== undefined && settings.lockTimeoutMs > 0 && Date.now() - present(lockWaitSince) >= settings.lockTimeoutMs;
      if (lockedOut || Date.now() - started >= limit) {
        const blockers = waiting ? await sampleBlockers(new DataApiSession(this.driver), Number(waiting.pid)).catch(() => []) : [];
        await this.driver.execute({
          sql: `SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE :p1 AND state = 'active'`,
          parameters: [{ name: 'p1', value: { stringValue: pattern } }],
        });
        throw lockedOut ? continuedLockTimeout(settings.lockTimeoutMs, blockers) : continuedStatementTimeout(limit, waiting !== undefined, blockers);
      }
      await sleep(poll);
    }
  }

  /** The backends running the tagged statement (or idle after it), with what they wait for. */
  private async continuedBackends(pattern: string): Promise<{ pid: string; state: string; wait_event_type: string | null }[]> {
    const r = await this.driver.execute({
      sql: `SELECT pid::text AS pid, state, wait_event_type FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE :p1 AND state <> 'idle'`,
      parameters: [{ name: 'p1', value: { stringValue: pattern } }],
      includeResultMetadata: true,
    });
    return decodeRecords<{ pid: string; state: string; wait_event_type: string | null }>(r.records, r.columnMetadata);
  }

  /**
   * A bare call that outlived its call has ended: the Data API returns nothing
   * of it, neither its result nor its error, and nothing PostgreSQL keeps
   * outside the session tells a failed statement from a finished one
   * (pg_stat_activity shows both idle; a DO block cannot catch its error and
   * still COMMIT its batches). A DO block sent with an outcome marker
   * (`outcome-marker.ts`) succeeded when its marker table is gone; a
   * concurrent index build shows its outcome in the catalog (a valid index);
   * for anything else the outcome is unknown, and the statement is reported
   * as not confirmed, so its file is not recorded.
   */
  private async confirmBareCall(sql: string, marker: string | undefined): Promise<void> {
    if (marker !== undefined) {
      const r = await this.driver.execute({
        sql: 'SELECT to_regclass(:p1) IS NULL AS done',
        parameters: [{ name: 'p1', value: { stringValue: marker } }],
        includeResultMetadata: true,
      });
      if (decodeRecords<{ done: boolean }>(r.records, r.columnMetadata)[0]?.done === true) return;
      throw unconfirmedOutcome('did not reach its end (it raised an error, or RETURNed before it)');
    }
    const target = classifySql(sql).kind === 'concurrently' ? concurrentIndexTarget(sql) : undefined;
    if (!target) throw unconfirmedOutcome();
    const r = await this.driver.execute({
      sql: `SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = to_regclass(:p1) AND c.relname = :p2`,
      parameters: [
        { name: 'p1', value: { stringValue: target.table } },
        { name: 'p2', value: { stringValue: identifierName(target.index) } },
      ],
      includeResultMetadata: true,
    });
    const valid = decodeRecords<{ indisvalid: boolean }>(r.records, r.columnMetadata)[0]?.indisvalid;
    if (valid === true) return;
    throw new DataApiSqlError(
      `the index build failed after its Data API call returned at the 45-second limit: ${target.index} is ${valid === false ? 'INVALID' : 'missing'} (the Data API returns no error for a statement that outlived its call; PostgreSQL logged it: on a UNIQUE index the usual cause is duplicate keys, SQLSTATE 23505)`,
      'StatementTimeoutException',
      {
        fix: `find the cause in the PostgreSQL log (for a UNIQUE index: SELECT the key columns FROM ${target.table} GROUP BY them HAVING count(*) > 1), repair it and run again; or run this file with the CLI over a direct connection (--database-url), which reports the build's own error`,
      },
    );
  }

  async begin(settings: TransactionSettings): Promise<void> {
    if (this.transactionId !== undefined) throw new Error('data-api: a transaction is already open on this session');
    this.transactionId = await this.driver.beginTransaction();
    this.txSettings = settings;
    try {
      const r = await this.driver.execute({
        sql: `SELECT pg_backend_pid() AS pid, set_config('lock_timeout', :p1, true), set_config('statement_timeout', :p2, true)`,
        parameters: [
          { name: 'p1', value: { stringValue: String(int(settings.lockTimeoutMs)) } },
          { name: 'p2', value: { stringValue: String(int(settings.statementTimeoutMs)) } },
        ],
        transactionId: this.transactionId,
        includeResultMetadata: true,
      });
      this.pid = decodeRecords<{ pid: number }>(r.records, r.columnMetadata)[0]?.pid;
    } catch (e) {
      await this.rollback().catch(() => undefined);
      throw e;
    }
  }

  async commit(): Promise<void> {
    const id = this.transactionId;
    if (id === undefined) throw new Error('data-api: COMMIT without a transaction');
    // Fencing: while a lease is held, no transaction commits unless the lease is still ours.
    const lease = this.driver.lease;
    if (lease?.fencing) await lease.fence(this);
    await this.driver.endTransaction(id, true);
    this.transactionId = undefined;
    this.pid = undefined;
  }

  async rollback(): Promise<void> {
    const id = this.transactionId;
    this.transactionId = undefined;
    this.pid = undefined;
    if (id === undefined) return;
    try {
      await this.driver.endTransaction(id, false);
    } catch (e) {
      // Already ended by the service (an error, or 3 idle minutes): nothing left to roll back.
      if (e instanceof DataApiSqlError && e.exception === 'TransactionNotFoundException') return;
      throw e;
    }
  }

  async setTimeouts(settings: TransactionSettings): Promise<void> {
    this.timeouts = settings;
  }

  /** Outside a transaction nothing outlives a call; inside one, only the role matters to what follows (state row, fence). */
  resetSql(within?: TransactionSettings): string | undefined {
    return within ? 'SET SESSION AUTHORIZATION DEFAULT' : undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.rollback().catch(() => undefined);
    this.closed = true;
  }
}

/** A bare call that waited for a lock past the lock timeout, which the driver enforces for it. */
function continuedLockTimeout(lockTimeoutMs: number, blockers: Blocker[]): DataApiSqlError {
  return new DataApiSqlError(
    `canceling statement due to lock timeout (${lockTimeoutMs} ms, enforced by the Data API driver: the statement outlived its 45-second call waiting for a lock${blockers.length ? ` held by pid ${blockers.map((b) => b.pid).join(', ')}` : ''}; CREATE INDEX CONCURRENTLY also waits so for older transactions)`,
    'StatementTimeoutException',
    { code: LOCK_NOT_AVAILABLE, blockers },
  );
}

/** A continued statement cancelled at its statement timeout; when it was waiting for a lock (or older transactions), who held it. */
function continuedStatementTimeout(limitMs: number, waiting: boolean, blockers: Blocker[]): DataApiSqlError {
  const who = blockers
    .map(
      (b) =>
        `pid ${b.pid}${b.application ? ` (${b.application})` : ''}${b.user ? ` user ${b.user}` : ''}${b.state ? ` ${b.state}` : ''}${b.locks ? `, holding ${b.locks}` : ''}`,
    )
    .join('; ');
  return new DataApiSqlError(
    `canceling statement due to statement timeout (${limitMs} ms, enforced by the Data API driver)${waiting ? `; it was waiting for a lock or for older transactions${who ? `, held by ${who}` : ''}` : ''}`,
    'StatementTimeoutException',
    {
      code: QUERY_CANCELED,
      blockers,
      fix: waiting
        ? 'the statement was not slow but waiting: let the blocking transactions finish or end them (SELECT pg_terminate_backend(pid)), then run again'
        : undefined,
    },
  );
}

/** A bare call that outlived its call and ended: the Data API does not say how. */
function unconfirmedOutcome(how = 'ended'): DataApiSqlError {
  return new DataApiSqlError(
    `the statement ran past the Data API's 45-second call limit and ${how}, but its outcome could not be confirmed through the Data API (it returns no result and no error for a statement that outlived its call, and PostgreSQL keeps none outside the session): the file is not recorded as applied`,
    'StatementTimeoutException',
    {
      fix: 'check by hand whether the statement did all its work (a DO block that raised keeps the batches it committed before the error); then run this file with the CLI over a direct connection (schemaguard migrate --database-url …), which sees its error, or make each such statement end within 45 s (smaller batches: a resumable backfill is recorded by the next run, which finds nothing left to do)',
    },
  );
}

/** The marker could not be made: the role may not create tables in the state schema. */
function markerRefused(schema: string, role: string | undefined, cause: unknown): MigrationError {
  return new MigrationError(
    `a DO block that commits its batches runs through the Data API with an outcome marker, a table made in the state schema ${schema} for the call, and role ${role ?? "(the secret's)"} may not create tables there (${cause instanceof Error ? cause.message : String(cause)}); the block was not run`,
    {
      cause,
      sqlstate: INSUFFICIENT_PRIVILEGE,
      fix: `GRANT CREATE ON SCHEMA ${quoteIdent(schema)} TO ${role ? quoteIdent(role) : '<the role of the cluster secret>'};  (${DOCS_POINTERS.longNoTransaction})`,
    },
  );
}

/** A name as the catalog spells it: unquoted and case-folded, or a quoted identifier's text. */
function identifierName(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name.toLowerCase();
}

function int(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) return 0;
  return Math.min(Math.floor(ms), 2_147_483_647);
}
