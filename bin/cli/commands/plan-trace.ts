/**
 * `plan --trace`: the server the copy is made on (the embedded one, or the
 * server `--trace-database` names), a database of its own there for the
 * copy, created before and dropped after (`DROP DATABASE … WITH (FORCE)`,
 * also when the trace fails), and the trace itself (`lambda/checks/trace`).
 * The target is only read; the database `--trace-database` names is only
 * where schemaguard connects to create the copy's, and may not be the
 * target's.
 */
import { randomBytes } from 'node:crypto';
import { PgDriver } from '../../../lambda/driver/pg/pg-driver';
import type { Migration } from '../../../lambda/engine/files/source';
import type { Session } from '../../../lambda/engine/ports';
import { planLocks, type LockPlan, type LockPlanOptions } from '../../../lambda/checks/locks/plan-locks';
import { tracePlan, type PlanTrace } from '../../../lambda/checks/trace';
import { maskUrl } from '../../../lambda/engine/errors/redact';
import { quoteIdent } from '../../../lambda/engine/state/identifiers';
import { sqlstateOf } from '../../../lambda/engine/errors/errors';
import { UsageError } from '../errors';
import type { ContextOf } from './context';

/** What plan prints of the trace: the trace, and where it ran. */
export interface TraceReport extends PlanTrace {
  /** The trace server, for a reader: `the embedded server (.schemaguard/)`, or the masked URL. */
  where: string;
  /** The target's major version, when it differs from the copy's (whose locks the trace compares). */
  targetMajor?: number;
}

/** What the trace needs from plan: the pending files, the plan and how it was made (to predict again for another major), the target's session. */
export interface TraceInput {
  pending: Migration[];
  locks: LockPlan;
  lockOptions: LockPlanOptions;
  /** The target's major version (its catalog's, or --server-version offline, or 18). */
  targetMajor: number;
  /** The target's session; none offline (the copy starts empty). */
  source?: Session;
  stateSchema: string;
}

/** The trace server's URL and how to name it: --trace-database, else the embedded server's. */
async function traceServer(ctx: ContextOf<'plan'>): Promise<{ url: string; where: string; embedded: boolean }> {
  if (ctx.opts.traceDatabase !== undefined) return { url: ctx.opts.traceDatabase, where: maskUrl(ctx.opts.traceDatabase), embedded: false };
  const { startEmbedded } = await import('../embedded');
  const server = await startEmbedded({ dir: ctx.opts.embeddedDir, onProgress: ctx.progress });
  ctx.onEmbedded(server);
  ctx.redactor.add(server.password);
  return { url: server.url, where: `the embedded server (${ctx.opts.embeddedDir}/)`, embedded: true };
}

const IDENTITY_SQL = `SELECT pg_postmaster_start_time()::text AS started, current_database() AS database,
  (SELECT oid::int8 FROM pg_database WHERE datname = current_database()) AS oid, current_setting('server_version_num')::int AS version`;

/** Refuses a --trace-database that is the target itself (the same server, started at the same moment, and the same database). */
async function refuseTarget(trace: Session, target: Session | undefined): Promise<number> {
  const mine = (await trace.query<{ started: string; database: string; oid: string; version: number }>(IDENTITY_SQL)).rows[0];
  const theirs = target ? (await target.query<{ started: string; database: string; oid: string }>(IDENTITY_SQL)).rows[0] : undefined;
  if (theirs && theirs.started === mine.started && theirs.oid === mine.oid) {
    throw new UsageError(`--trace-database names the target database (${mine.database}): plan --trace never runs a migration there`, {
      value: mine.database,
      fix: 'name a scratch server (plan --trace makes a database of its own there, and drops it after), or drop --trace-database to use the embedded server',
    });
  }
  return Math.floor(Number(mine.version) / 10000);
}

/** A database of its own on the trace server; the role needs CREATEDB. */
async function createCopyDatabase(admin: Session, where: string): Promise<string> {
  const name = `schemaguard_trace_${randomBytes(6).toString('hex')}`;
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`);
  } catch (e) {
    if (sqlstateOf(e) !== '42501') throw e;
    throw new UsageError(`plan --trace cannot create its copy's database on ${where}: the role may not CREATE DATABASE (42501)`, {
      cause: e,
      fix: 'give the role CREATEDB on that scratch server (ALTER ROLE … CREATEDB), or drop --trace-database to use the embedded server',
    });
  }
  return name;
}

function urlOf(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

export async function traceOfPlan(ctx: ContextOf<'plan'>, input: TraceInput): Promise<TraceReport> {
  const server = await traceServer(ctx);
  const tls = server.embedded ? { ssl: false as const } : {};
  const admin = new PgDriver({ connectionString: server.url, redactor: ctx.redactor, ...tls, connectTimeoutMs: ctx.opts.connectTimeoutMs });
  try {
    const adminSession = await admin.connect();
    try {
      const major = await refuseTarget(adminSession, input.source);
      const database = await createCopyDatabase(adminSession, server.where);
      try {
        ctx.progress(`plan --trace: copying the schema to ${database} on ${server.where} (PostgreSQL ${major})`);
        const trace = await traceOnCopy(ctx, input, urlOf(server.url, database), tls, major);
        return { ...trace, where: server.where, ...(major !== input.targetMajor ? { targetMajor: input.targetMajor } : {}) };
      } finally {
        await adminSession.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
      }
    } finally {
      await adminSession.close();
    }
  } finally {
    await admin.end();
  }
}

async function traceOnCopy(ctx: ContextOf<'plan'>, input: TraceInput, url: string, tls: { ssl?: false }, major: number): Promise<PlanTrace> {
  const driver = new PgDriver({ connectionString: url, redactor: ctx.redactor, ...tls, connectTimeoutMs: ctx.opts.connectTimeoutMs });
  try {
    const session = await driver.connect();
    try {
      // The rows are compared with what the model says of the copy server's version.
      const locks = major === input.targetMajor ? input.locks : await planLocks(input.pending, { ...input.lockOptions, serverMajor: major });
      return await tracePlan(locks, input.pending, {
        copy: { driver, session, major },
        ...(input.source ? { source: input.source } : {}),
        stateSchema: input.stateSchema,
      });
    } finally {
      await session.close();
    }
  } finally {
    await driver.end();
  }
}
