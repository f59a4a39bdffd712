/**
 * A stand-in for the RDS Data API service: an object with the client's
 * `send(command)` for ExecuteStatement, BeginTransaction, CommitTransaction and
 * RollbackTransaction that runs every call on a REAL PostgreSQL (node-postgres)
 * with the service's semantics, so the Data API driver — and through it the
 * engine's whole integration suite — is tested against real SQL behaviour.
 *
 * What it reproduces, and the documentation it follows:
 * - Named parameters `:name` bound from `SqlParameter { name, value, typeHint }`
 *   (API_ExecuteStatement, API_SqlParameter). A `stringValue` without a type
 *   hint is bound as `varchar` — which is why the service needs the UUID /
 *   TIMESTAMP / DATE / TIME / DECIMAL / JSON hints (API_SqlParameter: "typeHint
 *   … the corresponding String parameter value is sent as an object of … type
 *   to the database"); longValue binds as bigint, doubleValue as double
 *   precision, booleanValue as boolean, blobValue as bytea, isNull as NULL.
 * - One statement per call (the service rejects multi-statement text; here the
 *   extended protocol refuses it the same way).
 * - Calls without `transactionId` autocommit and share no session state: each
 *   runs on a pooled connection that is reset with `DISCARD ALL` afterwards, so
 *   a `SET` or a session-level advisory lock does not outlive the call.
 * - `BeginTransaction` returns an id bound to a dedicated connection; calls with
 *   that id run on it; Commit/Rollback end it. An unknown or ended id, a
 *   transaction idle for more than 3 minutes (`transactionIdleMs`), or one that
 *   a failed statement aborted → `TransactionNotFoundException` "Transaction
 *   <id> is not found", the cause appended (Aurora user guide, data-api.troubleshooting: "The
 *   transaction may have expired … Make sure that each transactional call runs
 *   within three minutes of the previous one"; "The transaction was aborted due
 *   to an error from a previous call").
 * - Results as typed `Field`s with `columnMetadata` (typeName = PostgreSQL type
 *   name, arrays as `_elem`) when `includeResultMetadata`, or `formattedRecords`
 *   JSON when `formatRecordsAs: 'JSON'`; `resultSetOptions.longReturnType` /
 *   `decimalReturnType`; `numberOfRecordsUpdated` for DML. Timestamps come back
 *   as UTC text without offset ("YYYY-MM-DD HH:MM:SS[.ffffff]").
 * - SQL errors as `DatabaseErrorException` (Serverless v2 / provisioned; v1 used
 *   BadRequestException) whose message is the PostgreSQL error as the pgjdbc
 *   driver prints it plus the SQLSTATE:
 *   `ERROR: <message>\n  Detail: …\n  Hint: …\n  Position: N\n  Where: …; SQLState: XXXXX`.
 * - The synchronous limit (`syncLimitMs`, 45 s): a call that runs longer fails
 *   with `StatementTimeoutException`; the statement is cancelled unless
 *   `continueAfterTimeout`, in which case it keeps running (a transaction is
 *   busy until it ends: "Transaction is still running a query").
 * - The 1 MiB response limit: "Database response exceeded size limit".
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  BadRequestException,
  BeginTransactionCommand,
  CommitTransactionCommand,
  DatabaseErrorException,
  ExecuteStatementCommand,
  RollbackTransactionCommand,
  StatementTimeoutException,
  TransactionNotFoundException,
  type BeginTransactionCommandOutput,
  type ColumnMetadata,
  type CommitTransactionCommandOutput,
  type ExecuteStatementCommandInput,
  type ExecuteStatementCommandOutput,
  type Field,
  type RollbackTransactionCommandOutput,
  type SqlParameter,
} from '@aws-sdk/client-rds-data';

export interface StandinOptions {
  /** Call-time limit before StatementTimeoutException. @default 45000 */
  syncLimitMs?: number;
  /** A transaction idle this long is rolled back and forgotten. @default 180000 */
  transactionIdleMs?: number;
  /** Response size limit in bytes. @default 1048576 */
  maxResponseBytes?: number;
  /** Pooled connections for non-transactional calls. @default 10 */
  poolSize?: number;
}

interface Tx {
  client: pg.Client;
  pid: number;
  busy: boolean;
  idleTimer?: NodeJS.Timeout;
}

type Command = ExecuteStatementCommand | BeginTransactionCommand | CommitTransactionCommand | RollbackTransactionCommand;

const meta = { $metadata: {} };

// Types come back as text; the stand-in converts them to Fields itself.
const rawTypes = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig;

export class DataApiStandin {
  readonly calls: { command: string; sql?: string; transactionId?: string }[] = [];
  private readonly pool: pg.Pool;
  private readonly txs = new Map<string, Tx>();
  /** Why each ended transaction ended: the service appends it to "Transaction <id> is not found". */
  private readonly ended = new Map<string, string>();
  private readonly typeNames = new Map<number, string>();
  private readonly syncLimitMs: number;
  private readonly transactionIdleMs: number;
  private readonly maxResponseBytes: number;
  private closed = false;

  constructor(
    private readonly url: string,
    options: StandinOptions = {},
  ) {
    this.syncLimitMs = options.syncLimitMs ?? 45_000;
    this.transactionIdleMs = options.transactionIdleMs ?? 180_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 1024 * 1024;
    this.pool = new pg.Pool({ ...this.clientConfig(), max: options.poolSize ?? 10, idleTimeoutMillis: 1000, allowExitOnIdle: true });
    this.pool.on('error', () => undefined);
    // A checked-out client whose backend is terminated (the fault tests do that)
    // emits 'error' outside any query; the service would just drop it.
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  private clientConfig(): pg.ClientConfig {
    return { connectionString: this.url, application_name: 'rds-data-api', options: '-c TimeZone=UTC', types: rawTypes };
  }

  async send(command: ExecuteStatementCommand): Promise<ExecuteStatementCommandOutput>;
  async send(command: BeginTransactionCommand): Promise<BeginTransactionCommandOutput>;
  async send(command: CommitTransactionCommand): Promise<CommitTransactionCommandOutput>;
  async send(command: RollbackTransactionCommand): Promise<RollbackTransactionCommandOutput>;
  async send(command: Command): Promise<unknown> {
    if (this.closed) throw new Error('stand-in closed');
    if (command instanceof ExecuteStatementCommand) {
      this.calls.push({ command: 'ExecuteStatement', sql: command.input.sql, transactionId: command.input.transactionId });
      return this.execute(command.input);
    }
    if (command instanceof BeginTransactionCommand) {
      this.calls.push({ command: 'BeginTransaction' });
      return this.begin();
    }
    if (command instanceof CommitTransactionCommand) {
      this.calls.push({ command: 'CommitTransaction', transactionId: command.input.transactionId });
      await this.finish(command.input.transactionId!, 'COMMIT');
      return { ...meta, transactionStatus: 'Transaction Committed' };
    }
    if (command instanceof RollbackTransactionCommand) {
      this.calls.push({ command: 'RollbackTransaction', transactionId: command.input.transactionId });
      await this.finish(command.input.transactionId!, 'ROLLBACK');
      return { ...meta, transactionStatus: 'Rollback Complete' };
    }
    throw new Error(`stand-in: unsupported command ${(command as object).constructor.name}`);
  }

  /** Open transactions (for tests that check nothing leaks). */
  get openTransactions(): number {
    return this.txs.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const [id, tx] of this.txs) {
      clearTimeout(tx.idleTimer);
      this.txs.delete(id);
      await tx.client.end().catch(() => undefined);
    }
    await this.pool.end().catch(() => undefined);
  }

  // --- transactions -------------------------------------------------------

  private async begin(): Promise<BeginTransactionCommandOutput> {
    const client = new pg.Client(this.clientConfig());
    client.on('error', () => undefined);
    await client.connect();
    const pid = Number((await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    await client.query('BEGIN');
    // Ids look like the service's: opaque base64-ish text.
    const id = randomBytes(24).toString('base64');
    const tx: Tx = { client, pid, busy: false };
    this.txs.set(id, tx);
    this.touch(id, tx);
    return { ...meta, transactionId: id };
  }

  private touch(id: string, tx: Tx): void {
    clearTimeout(tx.idleTimer);
    tx.idleTimer = setTimeout(() => void this.expire(id), this.transactionIdleMs);
    tx.idleTimer.unref();
  }

  private async expire(id: string): Promise<void> {
    const tx = this.txs.get(id);
    if (!tx || tx.busy) return;
    this.txs.delete(id);
    this.ended.set(id, 'the transaction expired (no call for 3 minutes)');
    await tx.client.query('ROLLBACK').catch(() => undefined);
    await tx.client.end().catch(() => undefined);
  }

  private tx(id: string): Tx {
    const tx = this.txs.get(id);
    if (!tx) {
      const why = this.ended.get(id) ?? 'no BeginTransaction returned this id';
      throw new TransactionNotFoundException({ ...meta, message: `Transaction ${id} is not found: ${why}` });
    }
    if (tx.busy) throw new DatabaseErrorException({ ...meta, message: 'Transaction is still running a query' });
    return tx;
  }

  private async finish(id: string, verb: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    const tx = this.tx(id);
    clearTimeout(tx.idleTimer);
    this.txs.delete(id);
    this.ended.set(id, `a previous call ended it (${verb === 'COMMIT' ? 'CommitTransaction' : 'RollbackTransaction'})`);
    try {
      await tx.client.query(verb);
    } catch (e) {
      throw this.databaseError(e);
    } finally {
      await tx.client.end().catch(() => undefined);
    }
  }

  // --- statements ---------------------------------------------------------

  private async execute(input: ExecuteStatementCommandInput): Promise<ExecuteStatementCommandOutput> {
    if (!input.resourceArn || !input.secretArn) {
      throw new BadRequestException({ ...meta, message: 'resourceArn and secretArn are required' });
    }
    const { text, values } = bindParameters(input.sql ?? '', input.parameters ?? []);
    if (input.transactionId !== undefined) {
      const id = input.transactionId;
      const tx = this.tx(id);
      tx.busy = true;
      clearTimeout(tx.idleTimer);
      try {
        const r = await this.run(tx.client, tx.pid, text, values, input.continueAfterTimeout ?? false, () => {
          tx.busy = false;
          this.touch(id, tx);
        });
        tx.busy = false;
        this.touch(id, tx);
        return await this.output(r, input, tx.client);
      } catch (e) {
        if (e instanceof StatementTimeoutException) throw e;
        tx.busy = false;
        // An error aborts the transaction: the service rolls it back and forgets the id.
        clearTimeout(tx.idleTimer);
        this.txs.delete(id);
        this.ended.set(id, 'it was aborted by the error of a previous call');
        await tx.client.query('ROLLBACK').catch(() => undefined);
        await tx.client.end().catch(() => undefined);
        throw this.databaseError(e);
      }
    }
    const client = await this.pool.connect();
    let release = true;
    try {
      const pid = Number((await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
      const r = await this.run(client, pid, text, values, input.continueAfterTimeout ?? false, () => {
        void client
          .query('DISCARD ALL')
          .catch(() => undefined)
          .finally(() => client.release());
      });
      return await this.output(r, input, client);
    } catch (e) {
      if (e instanceof StatementTimeoutException && input.continueAfterTimeout) release = false; // released when it ends
      if (e instanceof StatementTimeoutException) throw e;
      throw this.databaseError(e);
    } finally {
      if (release) {
        await client.query('DISCARD ALL').catch(() => undefined);
        client.release();
      }
    }
  }

  /** Run with the synchronous call limit; `onLateEnd` runs when a continued statement finally ends. */
  private async run(
    client: pg.ClientBase,
    pid: number,
    text: string,
    values: unknown[],
    continueAfterTimeout: boolean,
    onLateEnd: () => void,
  ): Promise<pg.QueryResult> {
    // queryMode 'extended' refuses multi-statement text, as the service does.
    const running = client.query({ text, values, queryMode: 'extended', rowMode: 'array' } as pg.QueryArrayConfig);
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.syncLimitMs);
    });
    try {
      const first = await Promise.race([running, limit]);
      if (first !== 'timeout') return first;
    } finally {
      clearTimeout(timer);
    }
    if (continueAfterTimeout) {
      running.then(onLateEnd, onLateEnd);
    } else {
      await this.cancel(pid);
      await running.catch(() => undefined);
    }
    throw new StatementTimeoutException({
      ...meta,
      message: `The statement timed out after ${this.syncLimitMs / 1000} seconds${continueAfterTimeout ? ' and continues to run' : ''}`,
      dbConnectionId: pid,
    });
  }

  private async cancel(pid: number): Promise<void> {
    const c = new pg.Client({ connectionString: this.url });
    c.on('error', () => undefined);
    await c.connect();
    try {
      await c.query('SELECT pg_cancel_backend($1)', [pid]);
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  private async output(r: pg.QueryResult, input: ExecuteStatementCommandInput, client: pg.ClientBase): Promise<ExecuteStatementCommandOutput> {
    const isSelect = Array.isArray(r.fields) && r.fields.length > 0;
    const out: ExecuteStatementCommandOutput = { ...meta, numberOfRecordsUpdated: isSelect ? 0 : (r.rowCount ?? 0) };
    if (!isSelect) return out;
    const types = await this.resolveTypes(
      client,
      r.fields.map((f) => f.dataTypeID),
    );
    const options = input.resultSetOptions ?? {};
    const columns: ColumnMetadata[] = r.fields.map((f) => ({ name: f.name, label: f.name, typeName: types.get(f.dataTypeID) }));
    const rows = r.rows as unknown as (string | null)[][];
    const records = rows.map((row) => r.fields.map((_f, i) => toField(row[i] ?? null, columns[i]!.typeName!, options)));
    let size: number;
    if (input.formatRecordsAs === 'JSON') {
      out.formattedRecords = JSON.stringify(records.map((rec) => Object.fromEntries(rec.map((v, i) => [columns[i]!.label, jsonOf(v)]))));
      size = Buffer.byteLength(out.formattedRecords);
    } else {
      out.records = records;
      size = Buffer.byteLength(JSON.stringify(records));
    }
    if (size > this.maxResponseBytes) {
      throw new DatabaseErrorException({ ...meta, message: 'Database response exceeded size limit' });
    }
    if (input.includeResultMetadata) out.columnMetadata = columns;
    return out;
  }

  /** Type names by OID, looked up on the call's own connection (a second pool connection could deadlock a full pool). */
  private async resolveTypes(client: pg.ClientBase, oids: number[]): Promise<Map<number, string>> {
    const missing = [...new Set(oids)].filter((o) => !this.typeNames.has(o));
    if (missing.length) {
      const r = await client.query('SELECT oid::int AS oid, typname FROM pg_type WHERE oid = ANY($1::oid[])', [missing]);
      for (const row of r.rows as { oid: string; typname: string }[]) this.typeNames.set(Number(row.oid), row.typname);
    }
    return this.typeNames;
  }

  /** PostgreSQL error → DatabaseErrorException with pgjdbc's message layout and the SQLSTATE. */
  private databaseError(e: unknown): Error {
    if (e instanceof TransactionNotFoundException || e instanceof DatabaseErrorException) return e;
    const pgErr = e as pg.DatabaseError;
    if (!pgErr || typeof pgErr.code !== 'string') {
      return new DatabaseErrorException({ ...meta, message: e instanceof Error ? e.message : String(e) });
    }
    let message = `${pgErr.severity ?? 'ERROR'}: ${pgErr.message}`;
    if (pgErr.detail) message += `\n  Detail: ${pgErr.detail}`;
    if (pgErr.hint) message += `\n  Hint: ${pgErr.hint}`;
    if (pgErr.position) message += `\n  Position: ${pgErr.position}`;
    if (pgErr.where) message += `\n  Where: ${pgErr.where}`;
    message += `; SQLState: ${pgErr.code}`;
    return new DatabaseErrorException({ ...meta, message });
  }
}

/** `:name` → `$k` with the type the service would give the value. Skips literals and comments. */
export function bindParameters(sql: string, params: SqlParameter[]): { text: string; values: unknown[] } {
  const byName = new Map(params.map((p) => [p.name!, p]));
  const order: string[] = [];
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const rest = sql.slice(i);
    const skip = /^(?:'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\/|(\$[A-Za-z_]?[A-Za-z0-9_]*\$)[\s\S]*?\1)/.exec(rest);
    if (skip && (c === "'" || c === '"' || c === '-' || c === '/' || c === '$')) {
      out += skip[0];
      i += skip[0].length;
      continue;
    }
    const named = c === ':' && sql[i - 1] !== ':' ? /^:([A-Za-z_][A-Za-z0-9_]*)/.exec(rest) : null;
    if (named) {
      const name = named[1]!;
      const p = byName.get(name);
      if (!p) {
        throw new BadRequestException({ ...meta, message: `No value specified for parameter ${name}` });
      }
      let k = order.indexOf(name);
      if (k < 0) k = order.push(name) - 1;
      out += `$${k + 1}${castOf(p)}`;
      i += named[0].length;
      continue;
    }
    out += c;
    i++;
  }
  return { text: out, values: order.map((n) => parameterValue(byName.get(n)!)) };
}

function castOf(p: SqlParameter): string {
  const v = p.value ?? {};
  if ('isNull' in v && v.isNull) return '';
  if ('longValue' in v && v.longValue !== undefined) return '::bigint';
  if ('doubleValue' in v && v.doubleValue !== undefined) return '::double precision';
  if ('booleanValue' in v && v.booleanValue !== undefined) return '::boolean';
  if ('blobValue' in v && v.blobValue !== undefined) return '::bytea';
  switch (p.typeHint) {
    case 'UUID':
      return '::uuid';
    case 'TIMESTAMP':
      return '::timestamp';
    case 'DATE':
      return '::date';
    case 'TIME':
      return '::time';
    case 'DECIMAL':
      return '::numeric';
    case 'JSON':
      return '::json';
    default:
      return '::varchar';
  }
}

function parameterValue(p: SqlParameter): unknown {
  const v = (p.value ?? {}) as Record<string, unknown>;
  if (v.isNull) return null;
  if (v.longValue !== undefined) return String(v.longValue);
  if (v.doubleValue !== undefined) return String(v.doubleValue);
  if (v.booleanValue !== undefined) return v.booleanValue;
  if (v.blobValue !== undefined) return Buffer.from(v.blobValue as Uint8Array);
  if (v.stringValue !== undefined) return v.stringValue;
  throw new DatabaseErrorException({ ...meta, message: `ERROR: unsupported parameter value for ${p.name}; SQLState: 22023` });
}

const INT = new Set(['int2', 'int4', 'int8', 'oid', 'xid']);
const FLOAT = new Set(['float4', 'float8']);

/** One text value from PostgreSQL as the service's Field. */
function toField(text: string | null, typeName: string, options: { longReturnType?: string; decimalReturnType?: string }): Field {
  if (text === null) return { isNull: true };
  if (typeName.startsWith('_')) return { arrayValue: toArray(parseArray(text), typeName.slice(1)) } as unknown as Field;
  if (INT.has(typeName)) return options.longReturnType === 'STRING' ? { stringValue: text } : { longValue: Number(text) };
  if (FLOAT.has(typeName)) return { doubleValue: Number(text) };
  if (typeName === 'numeric' && options.decimalReturnType === 'DOUBLE_OR_LONG') {
    return /^-?\d+$/.test(text) ? { longValue: Number(text) } : { doubleValue: Number(text) };
  }
  if (typeName === 'bool') return { booleanValue: text === 't' };
  if (typeName === 'bytea') return { blobValue: Buffer.from(text.replace(/^\\x/, ''), 'hex') };
  if (typeName === 'timestamptz') return { stringValue: text.replace(/[+-]\d\d(?::\d\d)?$/, '') };
  return { stringValue: text };
}

type Nested = (string | null | Nested)[];

function toArray(items: Nested, elem: string): Record<string, unknown> {
  if (items.some((x) => Array.isArray(x))) return { arrayValues: items.map((x) => toArray(x as Nested, elem)) };
  const flat = items as (string | null)[];
  if (INT.has(elem)) return { longValues: flat.map((x) => (x === null ? null : Number(x))) };
  if (FLOAT.has(elem)) return { doubleValues: flat.map((x) => (x === null ? null : Number(x))) };
  if (elem === 'bool') return { booleanValues: flat.map((x) => (x === null ? null : x === 't')) };
  return { stringValues: flat };
}

/** PostgreSQL's array text format (`{a,"b c",NULL,{1,2}}`). */
function parseArray(text: string): Nested {
  let i = 0;
  const parse = (): Nested => {
    const out: Nested = [];
    i++; // {
    while (i < text.length && text[i] !== '}') {
      if (text[i] === '{') out.push(parse());
      else if (text[i] === '"') {
        let s = '';
        i++;
        while (text[i] !== '"') {
          if (text[i] === '\\') i++;
          s += text[i++];
        }
        i++;
        out.push(s);
      } else {
        let s = '';
        while (text[i] !== ',' && text[i] !== '}') s += text[i++];
        out.push(s === 'NULL' ? null : s);
      }
      if (text[i] === ',') i++;
    }
    i++; // }
    return out;
  };
  return text.startsWith('{') ? parse() : [];
}

function jsonOf(f: Field): unknown {
  const v = f as unknown as Record<string, unknown>;
  if (v.isNull) return null;
  for (const k of ['stringValue', 'longValue', 'doubleValue', 'booleanValue']) if (v[k] !== undefined) return v[k];
  if (v.arrayValue) return Object.values(v.arrayValue as object)[0];
  return null;
}
