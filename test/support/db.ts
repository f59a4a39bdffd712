/**
 * Per-test-file databases on the run's servers: `freshDatabase(target)` makes
 * an empty database and returns its URL; it is dropped in afterAll by
 * `dropDatabases()`.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { databaseUrl, withClient } from './system-postgres';
import type { Target } from './targets';

/**
 * The server most integration files run on (`describe.each(targets)`):
 * PostgreSQL 18, the newest. What differs by major runs on `allMajors`; the
 * full matrix (`SCHEMAGUARD_TEST_MAJORS=all`) adds 15 here.
 */
export const targets: Target[] = inject('targets');

/**
 * PostgreSQL 18 and 15, for the files whose tests expect something else
 * before a major between them, where every major would cost too much: the
 * files on roles (from 16 a CREATEROLE role changes and grants only the
 * roles it holds WITH ADMIN OPTION, which it gets on the roles it creates;
 * before, nearly any role but a superuser), and the lint rules and gates
 * that branch on `target.major` (18's NOT NULL constraints, functions new
 * in 16 and 17, what each major refuses).
 */
export const versionPair: Target[] = inject('versionPair');

/**
 * A server of every major RDS and Aurora run, 13 to 18, oldest first: a
 * version-sensitive file opts in with `describe.each(allMajors)` (the
 * title's `$name` names the version).
 */
export const allMajors: Target[] = inject('majors');

/**
 * The servers of the files whose behaviour does not differ by major: 18
 * (`targets`) in `npm test`, every major (`allMajors`) in the full matrix,
 * `SCHEMAGUARD_TEST_MAJORS=all npm test`. What differs by major (the runner
 * lock, drift, the catalog reads, doctor and guard, lock forms, the syntax
 * gates, the Data API's state table, the shipped fixes) runs on `allMajors`.
 */
export const fullMatrixMajors: Target[] = inject('fullMatrix') ? allMajors : targets;

const created: { target: Target; name: string }[] = [];

export { withClient };

/**
 * `fn(pid)` while another session (application_name `application`, as a
 * migration's would be named) holds what `lockSql` takes in an open
 * transaction, rolled back after: the reads that must not wait behind a
 * migration's ACCESS EXCLUSIVE.
 */
export async function whileHeld(url: string, lockSql: string, fn: (pid: number) => Promise<void>, application = 'a_migration'): Promise<void> {
  await withClient(
    url,
    async (holder) => {
      await holder.query('BEGIN');
      await holder.query(lockSql);
      const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      try {
        await fn(pid);
      } finally {
        await holder.query('ROLLBACK');
      }
    },
    application,
  );
}

export function urlFor(target: Target, database: string): string {
  return databaseUrl(target.adminUrl, database);
}

export async function freshDatabase(target: Target, label = 'db'): Promise<string> {
  const name = `sg_${label
    .replace(/[^a-z0-9_]/gi, '_')
    .toLowerCase()
    .slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  await admin(target).query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE template0${copyStrategy(target)}`);
  created.push({ target, name });
  return urlFor(target, name);
}

/**
 * One admin session per server for CREATE and DROP DATABASE, closed after
 * ten seconds without use: a whole run's helpers made 4,292 connections, 42 ms
 * each on average (a run of the integration project, timed in withClient),
 * and one in four of them was freshDatabase's or dropDatabases' own; with a
 * second, test/lambda/checks and test/bin/cli still opened 507.
 */
const adminPools = new Map<string, pg.Pool>();

function admin(target: Target): pg.Pool {
  let pool = adminPools.get(target.adminUrl);
  if (!pool) {
    pool = new pg.Pool({ connectionString: target.adminUrl, application_name: 'schemaguard-test', max: 1, idleTimeoutMillis: 10_000, allowExitOnIdle: true });
    pool.on('error', () => undefined);
    adminPools.set(target.adminUrl, pool);
  }
  return pool;
}

/**
 * FILE_COPY where the server has the choice (PostgreSQL 15+; its default,
 * WAL_LOG, writes every page of the template to the WAL). On the test servers
 * (fsync off) that makes CREATE DATABASE 12 ms instead of 19–38 on 18, and
 * 41–44 instead of 47–70 on 15; six database-heavy test files took 96–101 s
 * instead of 108–113. Not for a DATABASE_URL server (major 0: not known).
 */
function copyStrategy(target: Target): string {
  return target.major >= 15 ? ' STRATEGY FILE_COPY' : '';
}

/** Drops the file's databases, on the server's admin session. */
export async function dropDatabases(): Promise<void> {
  for (const { target, name } of created.splice(0)) {
    await admin(target)
      .query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`)
      .catch(() => undefined);
  }
}

/** Rows of a query as plain objects. */
export async function rows<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  return withClient(url, async (c) => (await c.query(sql, params)).rows as T[]);
}
