/**
 * Memory: one migration as large as schemaguard accepts (MAX_FILE_BYTES,
 * 16 MiB) of single-row INSERTs, and the peak resident memory of each whole
 * process that reads it:
 *   - `schemaguard migrate` applying it to an empty database;
 *   - `schemaguard lint` and `schemaguard plan --offline` over it (the SQL parser),
 *     three runs each, the highest peak reported;
 *   - psql running the same file in one transaction (`-1`), for scale;
 * and then (`one_insert`) a file of the same size holding one INSERT of many
 * rows, as `pg_dump --inserts --rows-per-insert` writes a table: migrate,
 * lint and plan --offline once more; and (`one_token`) a file of the same
 * size that is mostly one function's body (one dollar-quoted token); and
 * (`tiny_statements`) a file of the same size of `SELECT 1;` lines, the most
 * statements the size holds: lint and plan --offline only (what they keep
 * per statement), not migrate.
 * Peak RSS from `/usr/bin/time` (ru_maxrss); each run checks its outcome
 * (every row inserted and recorded; lint and plan exit 0 or 1 with a report).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_FILE_BYTES } from '../lambda/engine/files/source';
import { CLI, PSQL } from './apply';
import { bigInsertText, bigMigrationText, bigTokenText, tinyStatementsText } from './lib/generate';
import { NODE, measureProcess, mustSucceed, TIME, type MeasuredProc } from './lib/proc';
import { createDatabase, dropDatabase, withClient } from './lib/server';
import { round } from './lib/stats';

export interface MemoryOptions {
  adminUrl: string;
  /** Size of the one migration file. @default MAX_FILE_BYTES */
  bytes?: number;
  /** Runs of lint and of plan, the highest peak reported (one run hid a peak that came in some runs only). @default 3 */
  runs?: number;
  onProgress?: (line: string) => void;
}

export interface MemoryResult {
  file_bytes: number;
  statements: number;
  /** Peak RSS of `schemaguard migrate`, MB. */
  migrate_rss_mb: number;
  migrate_ms: number;
  /** Peak RSS of `schemaguard lint`, MB: the highest of its runs. */
  lint_rss_mb: number;
  lint_ms: number;
  /** Peak RSS of `schemaguard plan --offline`, MB: the highest of its runs. */
  plan_rss_mb: number;
  plan_ms: number;
  /** Each run's peak, MB. */
  samples: { lint_rss_mb: number[]; plan_rss_mb: number[] };
  psql_rss_mb: number | null;
  psql_ms: number | null;
  /** The same size as one multi-row INSERT: each command's peak (the highest of its runs) and time. */
  one_insert: { rows: number; migrate_rss_mb: number; migrate_ms: number; lint_rss_mb: number; lint_ms: number; plan_rss_mb: number; plan_ms: number };
  /** The same size as one function's body (one dollar-quoted token): each command's peak (the highest of its runs) and time. */
  one_token: { migrate_rss_mb: number; migrate_ms: number; lint_rss_mb: number; lint_ms: number; plan_rss_mb: number; plan_ms: number };
  /** The same size as `SELECT 1;` lines: lint's and plan --offline's peaks (the highest of their runs) and times; plan prints the run as one row. */
  tiny_statements: { statements: number; lint_rss_mb: number; lint_ms: number; plan_rss_mb: number; plan_ms: number };
  note?: string;
}

export async function benchMemory(o: MemoryOptions): Promise<MemoryResult | { note: string }> {
  if (!existsSync(TIME)) return { note: `${TIME} not found (Debian package "time"): memory not measured` };
  const bytes = o.bytes ?? MAX_FILE_BYTES;
  const dir = mkdtempSync(join(tmpdir(), 'schemaguard-bench-memory-'));
  try {
    const big = bigMigrationText(bytes);
    const file = join(dir, '1_big.sql');
    writeFileSync(file, big.text);
    const say = (what: string, r: MeasuredProc) => o.onProgress?.(`memory: ${what} ${Math.round(r.rssMb)} MB peak, ${Math.round(r.ms)} ms`);
    const runs = o.runs ?? 3;
    const many = await measureFile(o.adminUrl, dir, big, runs, say);
    const psql = existsSync(PSQL) ? await psqlRun(o.adminUrl, file, big.rows) : undefined;
    if (psql) say('psql -1', psql);
    const insert = bigInsertText(bytes);
    writeFileSync(file, insert.text);
    const one = await measureFile(o.adminUrl, dir, insert, runs, (what, r) => say(`one INSERT: ${what}`, r));
    const token = bigTokenText(bytes);
    writeFileSync(file, token.text);
    const body = await measureFile(o.adminUrl, dir, token, runs, (what, r) => say(`one function body: ${what}`, r));
    const tiny = tinyStatementsText(bytes);
    writeFileSync(file, tiny.text);
    const least = await measureLintPlan(dir, runs, new RegExp(`^1_big\\.sql:1-${tiny.statements} `, 'm'), (what, r) => say(`SELECT 1 lines: ${what}`, r));
    return {
      file_bytes: bytes,
      statements: big.statements,
      migrate_rss_mb: round(many.migrate.rssMb),
      migrate_ms: round(many.migrate.ms),
      lint_rss_mb: round(many.lint.rssMb),
      lint_ms: round(many.lint.ms),
      plan_rss_mb: round(many.plan.rssMb),
      plan_ms: round(many.plan.ms),
      samples: { lint_rss_mb: many.lints.map((r) => round(r.rssMb)), plan_rss_mb: many.plans.map((r) => round(r.rssMb)) },
      psql_rss_mb: psql ? round(psql.rssMb) : null,
      psql_ms: psql ? round(psql.ms) : null,
      one_insert: {
        rows: insert.rows,
        migrate_rss_mb: round(one.migrate.rssMb),
        migrate_ms: round(one.migrate.ms),
        lint_rss_mb: round(one.lint.rssMb),
        lint_ms: round(one.lint.ms),
        plan_rss_mb: round(one.plan.rssMb),
        plan_ms: round(one.plan.ms),
      },
      one_token: {
        migrate_rss_mb: round(body.migrate.rssMb),
        migrate_ms: round(body.migrate.ms),
        lint_rss_mb: round(body.lint.rssMb),
        lint_ms: round(body.lint.ms),
        plan_rss_mb: round(body.plan.rssMb),
        plan_ms: round(body.plan.ms),
      },
      tiny_statements: {
        statements: tiny.statements,
        lint_rss_mb: round(least.lint.rssMb),
        lint_ms: round(least.lint.ms),
        plan_rss_mb: round(least.plan.rssMb),
        plan_ms: round(least.plan.ms),
      },
      ...(psql ? {} : { note: `${PSQL} not found: psql not measured` }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** migrate once, then lint and plan --offline `runs` times each (the highest peak kept), on the file in `dir`. */
async function measureFile(
  adminUrl: string,
  dir: string,
  big: { statements: number; rows: number; lastLine?: number },
  runs: number,
  say: (what: string, r: MeasuredProc) => void,
): Promise<{ migrate: MeasuredProc } & LintPlanRuns> {
  const migrate = await migrateRun(adminUrl, dir, big.rows);
  say('migrate', migrate);
  // The statement table's last row (the file's first line is a comment), on its own or ending a run of statements alike: the whole report was printed.
  return { migrate, ...(await measureLintPlan(dir, runs, new RegExp(`^1_big\\.sql:(\\d+-)?${big.lastLine ?? big.statements + 1} `, 'm'), say)) };
}

interface LintPlanRuns {
  lint: MeasuredProc;
  plan: MeasuredProc;
  lints: MeasuredProc[];
  plans: MeasuredProc[];
}

/** lint and plan --offline `runs` times each (the highest peak kept); plan's report must show `lastRow`. */
async function measureLintPlan(dir: string, runs: number, lastRow: RegExp, say: (what: string, r: MeasuredProc) => void): Promise<LintPlanRuns> {
  const lints: MeasuredProc[] = [];
  const plans: MeasuredProc[] = [];
  for (let k = 0; k < runs; k++) {
    lints.push(cliRun('lint', await measureProcess(NODE, [CLI, 'lint', '--dir', dir, '--quiet']), /lint: 1 file/));
    say('lint', lints.at(-1)!);
    plans.push(cliRun('plan --offline', await measureProcess(NODE, [CLI, 'plan', '--offline', '--dir', dir, '--quiet']), lastRow));
    say('plan --offline', plans.at(-1)!);
  }
  return { lint: highest(lints), plan: highest(plans), lints, plans };
}

/** The run with the highest peak. */
function highest(runs: MeasuredProc[]): MeasuredProc {
  return runs.reduce((a, b) => (b.rssMb > a.rssMb ? b : a));
}

async function migrateRun(adminUrl: string, dir: string, rows: number): Promise<MeasuredProc> {
  const db = await createDatabase(adminUrl, 'memory');
  try {
    const r = mustSucceed(
      'schemaguard migrate (16 MiB file)',
      await measureProcess(NODE, [CLI, 'migrate', '--database-url', db.url, '--dir', dir, '--quiet'], {
        env: { ...process.env, SCHEMAGUARD_APPLIED_BY: 'bench' },
      }),
    );
    await expectRows(db.url, rows, 'schemaguard', 'SELECT count(*) AS n FROM bench_big');
    await expectRows(db.url, 1, 'schemaguard', 'SELECT count(*) AS n FROM schemaguard.applied_migrations');
    return r;
  } finally {
    await dropDatabase(adminUrl, db.name);
  }
}

async function psqlRun(adminUrl: string, file: string, rows: number): Promise<MeasuredProc> {
  const db = await createDatabase(adminUrl, 'memory_psql');
  try {
    const r = mustSucceed('psql -1', await measureProcess(PSQL, ['-X', '-q', '-1', '-v', 'ON_ERROR_STOP=1', '-d', db.url, '-f', file]));
    await expectRows(db.url, rows, 'psql', 'SELECT count(*) AS n FROM bench_big');
    return r;
  } finally {
    await dropDatabase(adminUrl, db.name);
  }
}

/**
 * lint and plan exit 1 when they have findings: a report either way, never a
 * crash — and the report must be whole (`shows`), or a run that died half-way
 * (exit 1 with an error) would pass as a measurement.
 */
function cliRun(what: string, r: MeasuredProc, shows: RegExp): MeasuredProc {
  if ((r.code !== 0 && r.code !== 1) || !shows.test(r.stdout)) {
    throw new Error(`schemaguard ${what} exited with ${r.code} without "${shows}" in its report: ${(r.stderr || r.stdout.slice(-2000)).slice(-2000)}`);
  }
  return r;
}

async function expectRows(url: string, rows: number, tool: string, sql: string): Promise<void> {
  const n = await withClient(url, async (c) => Number((await c.query(sql)).rows[0].n));
  if (n !== rows) throw new Error(`${tool}: ${sql} gave ${n}, expected ${rows}`);
}
