/**
 * The trace matrix: every DDL form of matrix-cases.ts run by `plan --trace`'s
 * own code on PostgreSQL 13 to 18, each form in a transaction rolled back
 * on a database made once per schema (the no-transaction forms last: they
 * commit), each corpus history file after file. For every
 * row plan predicts, the lock, rewrite and scan PostgreSQL showed equal the
 * prediction, or the model names the difference with its versions
 * (`LockForm.traced`). The majors run side by side, one server each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alteredTables, lintSourceOf, needsDependencies, readLintCatalog, type LintCatalog } from '../../../../lambda/checks/lint';
import { LOCK_FORMS } from '../../../../lambda/checks/locks/forms';
import { planLocks } from '../../../../lambda/checks/locks/plan-locks';
import { loadParser } from '../../../../lambda/checks/parser/parse';
import { traceRows, type RowTrace } from '../../../../lambda/checks/trace/compare';
import { runFiles } from '../../../../lambda/checks/trace/run-files';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import type { Migration } from '../../../../lambda/engine/files/source';
import type { Session } from '../../../../lambda/engine/ports';
import { boundedCatalogRead } from '../../../../lambda/schema/bounded-read';
import { allMajors, dropDatabases, freshDatabase, withClient } from '../../../support/db';
import type { Target } from '../../../support/targets';
import { formGroups, historyCases, type FormGroup } from './matrix-cases';

afterAll(dropDatabases);
beforeAll(loadParser);

interface Outcome {
  case: string;
  file: string;
  line: number;
  statement: string;
  trace: RowTrace;
}

interface MajorResult {
  outcomes: Outcome[];
  seconds: number;
}

const results = new Map<number, MajorResult>();

/** Schemas traced at once on one server, each on a database and connection of its own: the time is mostly round trips. */
const GROUPS_AT_ONCE = 4;

/** Runs `work` with at most `n` at a time; the results in `work`'s order. */
async function inTurns<T>(work: (() => Promise<T>)[], n: number): Promise<T[]> {
  const out: T[] = new Array(work.length);
  let next = 0;
  const worker = async () => {
    while (next < work.length) {
      const k = next++;
      out[k] = await work[k]!();
    }
  };
  await Promise.all(Array.from({ length: n }, worker));
  return out;
}

async function onDatabase<T>(url: string, fn: (c: Connection) => Promise<T>): Promise<T> {
  const driver = new PgDriver({ connectionString: url, ssl: false });
  try {
    const session = await driver.connect();
    try {
      return await fn({ driver, session });
    } finally {
      await session.close();
    }
  } finally {
    await driver.end();
  }
}

/** A database with the group's schema; undefined where the schema's syntax is newer than the server (42601). */
async function groupDatabase(target: Target, group: FormGroup): Promise<string | undefined> {
  const url = await freshDatabase(target, 'trace_matrix');
  try {
    await withClient(url, async (c) => {
      if (group.serverSetup && !(await c.query(group.serverSetup.when)).rowCount) for (const sql of group.serverSetup.sql) await c.query(sql);
      if (group.applied) await c.query(group.applied.text);
    });
  } catch (e) {
    if ((e as { code?: string }).code !== '42601') throw e;
    unsupported.push(`PostgreSQL ${target.major}: ${group.name}: its schema is newer syntax (${(e as Error).message})`);
    return undefined;
  }
  return url;
}

/** Groups a server cannot set up, said in the summary. */
const unsupported: string[] = [];

/**
 * Statements that fail by design: a lint rule's reported example shows the
 * error the rule exists for, and one passing example names a table it does
 * not make (the rule is about the allow directive).
 */
const FAILS_BY_DESIGN: Record<string, string> = {
  'lint rule enum-value-before-commit: enum-value-before-commit (reported)': '55P04',
  'lint rule primary-key-not-valid-not-null: primary-key-not-valid-not-null (reported)': '55000',
  'lint rule fk-type-mismatch: fk-type-mismatch (reported)': '42804',
  'lint rule unused-allow: unused-allow (passes)': '42P01',
};

async function lintCatalogOf(session: Session, files: Migration[], applied: Migration[]): Promise<LintCatalog> {
  const sources = [...applied.map((m) => lintSourceOf(m, true)), ...files.map((m) => lintSourceOf(m, false))];
  return boundedCatalogRead(session, 'the matrix catalog', () =>
    readLintCatalog(session, { dependencies: needsDependencies(sources), tables: alteredTables(sources) }),
  );
}

/** A connection to one database: the forms of a schema run one after the other on it, as migrate runs files on one session. */
interface Connection {
  driver: PgDriver;
  session: Session;
}

/** Predicts `files` as plan does, runs them on the connection's database and pairs each row with its trace. */
async function traceFiles(
  name: string,
  { driver, session }: Connection,
  major: number,
  files: Migration[],
  applied: Migration[],
  lint?: LintCatalog,
): Promise<Outcome[]> {
  const lintCatalog = lint ?? (await lintCatalogOf(session, files, applied));
  // A Queryable, not the session: the same reads without the transaction plan's own read is bounded by (nothing else holds a lock here).
  const plan = await planLocks(files, { catalog: { query: (sql, params) => session.query(sql, params) }, lintCatalog, applied });
  const traces = await runFiles({ driver, session, major }, files, plan.statements);
  return traceRows(plan.statements, traces, major).flatMap((trace, k) => {
    const row = plan.statements[k]!;
    return trace ? [{ case: name, file: row.file, line: row.line, statement: row.statement, trace }] : [];
  });
}

async function traceGroup(target: Target, group: FormGroup): Promise<Outcome[]> {
  const applied = group.applied ? [group.applied] : [];
  const shared = await groupDatabase(target, group);
  if (!shared) return [];
  return onDatabase(shared, async (connection) => {
    const out: Outcome[] = [];
    // A no-transaction form commits what it does: those go last, after every form that needs the schema as it was.
    const ordered = [...group.forms].sort((a, b) => Number(a.file.directives.noTransaction) - Number(b.file.directives.noTransaction));
    let catalog: LintCatalog | undefined = await lintCatalogOf(
      connection.session,
      group.forms.map((f) => f.file),
      applied,
    );
    for (const form of ordered) {
      out.push(...(await traceFiles(`${group.name}: ${form.id}`, connection, target.major, [form.file], applied, catalog)));
      // What it committed is the next form's schema: read again, as plan would.
      if (form.file.directives.noTransaction) catalog = undefined;
    }
    return out;
  });
}

/** A form whose syntax the server lacks: it fails on it (42601), as its `minMajor` says. */
const olderThan = (id: string, major: number) => {
  const f = LOCK_FORMS.find((x) => `lock forms: ${x.id}` === id);
  return f?.minMajor !== undefined && major < f.minMajor;
};

/** Every form of every schema on one server; the schemas a few at a time. */
async function traceMajor(target: Target): Promise<MajorResult> {
  const started = Date.now();
  const work = [
    ...formGroups().map((group) => () => traceGroup(target, group)),
    ...historyCases().map((h) => async () => onDatabase(await freshDatabase(target, 'trace_history'), (c) => traceFiles(h.name, c, target.major, h.files, []))),
  ];
  const outcomes = (await inTurns(work, GROUPS_AT_ONCE)).flat();
  return { outcomes, seconds: (Date.now() - started) / 1000 };
}

describe('plan --trace matrix: every form, PostgreSQL 13 to 18', () => {
  // Every major at once, a server each: the time is mostly round trips.
  beforeAll(async () => {
    const done = await Promise.all(allMajors.map(async (t) => [t.major, await traceMajor(t)] as const));
    for (const [major, r] of done) results.set(major, r);
  }, 600_000);

  it.each(allMajors.map((t) => [t.name, t] as const))('%s: each row is what the server shows, or a difference the model names', (_name, target) => {
    const { outcomes } = results.get(target.major)!;
    const expected = (o: Outcome) =>
      (olderThan(o.case, target.major) && o.trace.observed.error!.startsWith('42601')) || o.trace.observed.error!.startsWith(`${FAILS_BY_DESIGN[o.case]}:`);
    const failed = outcomes.filter((o) => o.trace.observed.error && !expected(o));
    expect(failed.map((o) => `${o.case} ${o.file}:${o.line}: ${o.trace.observed.error}`)).toEqual([]);
    const mismatched = outcomes.filter((o) => o.trace.mismatch);
    expect(mismatched.map((o) => `${o.case} ${o.file}:${o.line} ${o.statement}: ${o.trace.differences!.join('; ')}`)).toEqual([]);
  });

  it('counts at least 300 forms on each major, and each named difference is seen where it says', () => {
    const summary = [...results].map(([major, r]) => {
      const forms = new Set(r.outcomes.map((o) => `${o.case}\0${o.file}:${o.line}`)).size;
      const explained = r.outcomes.filter((o) => o.trace.explained).length;
      return { major, forms, rows: r.outcomes.length, mismatches: r.outcomes.filter((o) => o.trace.mismatch).length, explained, seconds: r.seconds };
    });
    console.log(`trace matrix:\n${[...summary.map((s) => JSON.stringify(s)), ...unsupported].join('\n')}`);
    expect(summary.length).toBe(allMajors.length);
    for (const s of summary) expect(s.forms, `PostgreSQL ${s.major}`).toBeGreaterThanOrEqual(300);
    const explained = [...results.values()].flatMap((r) => r.outcomes.flatMap((o) => o.trace.explained ?? []));
    const named = LOCK_FORMS.flatMap((f) => (f.traced ?? []).map((t) => ({ form: f.id, why: t.why })));
    expect(named.filter((n) => !explained.some((e) => e.endsWith(n.why)))).toEqual([]);
  });
});
