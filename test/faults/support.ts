/**
 * Shared pieces of the fault suite: a migration set whose effects can be
 * counted, the consistency assertion every fault test ends with, a way to
 * kill a backend at a marked statement, and a transcript of everything the
 * runs printed (scanned for secrets at the end of each file).
 */
import type pg from 'pg';
import { expect } from 'vitest';
import { advisoryLockKey } from '../../lambda/driver/pg/advisory-lock';
import { quoteIdent } from '../../lambda/engine/state/identifiers';
import { rows, withClient } from '../support/db';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * `n` migrations; migration k creates table `step_k` and writes one row
 * `k` into `ledger`. `extra[k]` is appended to migration k (e.g. a slow,
 * marked statement to kill it at). What was really applied is then readable
 * from the database itself and can be compared with the state table.
 */
export function steps(n: number, extra: Record<number, string> = {}): Record<string, string> {
  const files: Record<string, string> = {};
  for (let k = 1; k <= n; k++) {
    files[`${k}_step${k}.sql`] = [
      'CREATE TABLE IF NOT EXISTS ledger (version int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());',
      `CREATE TABLE step_${k} (id int);`,
      `INSERT INTO ledger (version) VALUES (${k});`,
      extra[k] ?? '',
    ].join('\n');
  }
  return files;
}

/** Creates the sequence `sleepFirstRun` counts with: goes in a file that runs before the sleeping one. */
export const COUNT_RUNS = 'CREATE SEQUENCE sleep_runs;';

/**
 * pg_sleep(seconds) the first time it runs, pg_sleep(0) after: a sequence's
 * nextval is not rolled back, so the rerun after a fault does not wait again.
 * Needs COUNT_RUNS in an earlier file.
 */
export function sleepFirstRun(seconds: number): string {
  return `pg_sleep(CASE WHEN nextval('sleep_runs') = 1 THEN ${seconds} ELSE 0 END)`;
}

export interface Observed {
  /** Versions in the state table. */
  recorded: number[];
  /** Versions whose `step_k` table exists. */
  tables: number[];
  /** Versions in `ledger` (duplicates kept: each one is an execution). */
  ledger: number[];
}

export async function observe(url: string, stateSchema = 'schemaguard'): Promise<Observed> {
  return withClient(url, (c) => observeOn(c, stateSchema));
}

async function observeOn(c: pg.Client, stateSchema: string): Promise<Observed> {
  const exists = async (name: string) => (await c.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [name])).rows[0]!.t !== null;
  const state = `${quoteIdent(stateSchema)}.applied_migrations`;
  const recorded = (await exists(state))
    ? (await c.query<{ v: string }>(`SELECT version::text AS v FROM ${state} ORDER BY version`)).rows.map((r) => Number(r.v))
    : [];
  const tables = (
    await c.query<{ v: string }>("SELECT substr(tablename, 6) AS v FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^step_[0-9]+$'")
  ).rows
    .map((r) => Number(r.v))
    .sort((a, b) => a - b);
  const ledger = (await exists('public.ledger'))
    ? (await c.query<{ v: number }>('SELECT version AS v FROM public.ledger ORDER BY version')).rows.map((r) => r.v)
    : [];
  return { recorded, tables, ledger };
}

/**
 * The invariant after any fault: the state table lists exactly the
 * migrations whose effects are in the database, each executed once, and
 * nothing is left behind (no INVALID index, no runner lock, no open
 * transaction of a runner).
 */
export async function expectConsistent(url: string, expected: number[], stateSchema = 'schemaguard'): Promise<void> {
  await withClient(url, async (c) => {
    const o = await observeOn(c, stateSchema);
    expect(o, 'state table = tables created = ledger rows').toEqual({ recorded: expected, tables: expected, ledger: expected });
    expect((await c.query('SELECT indexrelid::regclass::text AS index FROM pg_index WHERE NOT indisvalid')).rows, 'INVALID indexes').toEqual([]);
    // A dead runner's backend may take a moment to notice; its lock and transaction go with it.
    let left: unknown[] = [];
    for (let i = 0; i < 100; i++) {
      left = (
        await c.query(`SELECT pid, state, left(query, 60) AS query FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name LIKE 'schemaguard%' AND application_name <> 'schemaguard-test'`)
      ).rows;
      const locks = (
        await c.query(
          `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
          [advisoryLockKey(stateSchema)],
        )
      ).rows;
      if (left.length === 0 && locks.length === 0) return;
      await sleep(50);
    }
    expect(left, 'runner sessions still open 5 s after the run').toEqual([]);
  });
}

/**
 * Poll until a backend of this database runs a statement containing
 * `marker`, then terminate it. Resolves to the pids killed (empty when the
 * marker never showed up within `timeoutMs`).
 */
export async function killAtMarker(url: string, marker: string, timeoutMs = 10_000, o: { inSleep?: boolean } = {}): Promise<number[]> {
  const until = Date.now() + timeoutMs;
  // inSleep: only once the backend is inside pg_sleep — a message of many statements shows its whole text
  // (the marker included) from its first statement on, so the marker alone can be seen before the marked statement runs.
  const sleeping = o.inSleep ? " AND wait_event = 'PgSleep'" : '';
  while (Date.now() < until) {
    // The kill in the select list, which runs only on the rows every condition kept. In WHERE, the
    // planner put pg_terminate_backend before the wait_event and datname conditions (EXPLAIN VERBOSE,
    // PostgreSQL 18): it ended a backend that had not reached the sleep yet, in any database.
    const killed = await rows<{ pid: number; killed: boolean }>(
      url,
      `SELECT pid, pg_terminate_backend(pid) AS killed FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE $1 AND query NOT LIKE '%pg_stat_activity%'${sleeping}`,
      [`%${marker}%`],
    );
    const pids = killed.filter((k) => k.killed).map((k) => k.pid);
    if (pids.length) return pids;
    await sleep(25);
  }
  return [];
}

/**
 * Wait until some backend runs a statement containing `marker`; with
 * `inSleep`, until it is inside that statement's pg_sleep (see killAtMarker).
 */
export async function waitForMarker(url: string, marker: string, timeoutMs = 10_000, o: { inSleep?: boolean } = {}): Promise<number> {
  const until = Date.now() + timeoutMs;
  const sleeping = o.inSleep ? " AND wait_event = 'PgSleep'" : '';
  while (Date.now() < until) {
    const found = await rows<{ pid: number }>(
      url,
      `SELECT pid FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE $1 AND query NOT LIKE '%pg_stat_activity%'${sleeping}`,
      [`%${marker}%`],
    );
    if (found.length) return found[0]!.pid;
    await sleep(25);
  }
  throw new Error(`no backend ran a statement marked ${marker} within ${timeoutMs} ms`);
}

/** Wait until no backend of this database runs a statement containing `marker` (throws after `timeoutMs`). */
export async function waitUntilNoBackend(url: string, marker: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const found = await rows(
      url,
      `SELECT pid FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE $1 AND query NOT LIKE '%pg_stat_activity%'`,
      [`%${marker}%`],
    );
    if (found.length === 0) return;
    await sleep(25);
  }
  throw new Error(`a backend still ran a statement marked ${marker} after ${timeoutMs} ms`);
}

/** Pid of the session that holds the runner lock for `stateSchema`, once someone does. */
export async function lockHolderPid(url: string, stateSchema = 'schemaguard', timeoutMs = 10_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const r = await rows<{ pid: number }>(
      url,
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
      [advisoryLockKey(stateSchema)],
    );
    if (r.length) return r[0]!.pid;
    await sleep(25);
  }
  throw new Error('nobody took the runner lock');
}

/**
 * Everything a file's runs printed or answered. The last test of each fault
 * file asserts that none of it holds a password or a URL with a password.
 */
export class Transcript {
  readonly texts: string[] = [];
  /** Passwords created along the way, to look for. */
  readonly secrets: string[] = [];
  add(...texts: (string | undefined)[]): void {
    for (const t of texts) if (t) this.texts.push(t);
  }
}

/**
 * `scheme://user:password@` with anything but the mask (or the documentation
 * placeholder `password`, as in the help text's example URL) as the password.
 */
export const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]*:(?!\*\*\*\*@|password@)[^\s@'"/]+@/i;

export function leaks(texts: string[], secrets: string[]): string[] {
  const needles = secrets.flatMap((s) => [s, encodeURIComponent(s)]);
  return texts.filter((t) => URL_WITH_PASSWORD.test(t) || needles.some((n) => t.includes(n)));
}

/**
 * The CLI in process: `main(argv, io)` is what bin/schemaguard.cjs runs, minus
 * the Node start-up — the fault suite uses it where the process itself is not
 * what is under test (SIGKILL and connect tests spawn the real executable).
 */
export async function cliInProcess(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = await import('../../bin/cli/main');
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    out: (t) => {
      stdout += t.endsWith('\n') ? t : `${t}\n`;
    },
    err: (t) => {
      stderr += t.endsWith('\n') ? t : `${t}\n`;
    },
    env,
  });
  return { code, stdout, stderr };
}
