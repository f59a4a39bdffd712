/**
 * The corpus (test/fixtures/corpus/, see its README): real-shaped migration
 * histories replayed with psql and with schemaguard, on every target.
 *
 * - psql, one process per file, and `schemaguard migrate`, release by
 *   release, build the same catalog; a second migrate is a no-op;
 * - lint (without a database, and with one before each release is
 *   migrated) and doctor (after the last release) report exactly the judged
 *   findings of expected-findings.json.
 *
 * Lint's findings on these files do not depend on the server's version
 * (measured: the same on 18 and 15), and lint is the costly command to
 * start: it runs release by release on the first target only.
 *
 * The precision and recall of lint and doctor are printed at the end.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { runCli, type CliRun } from '../support/cli';
import { dropDatabases, freshDatabase, targets } from '../support/db';
import type { Target } from '../support/targets';
import { diffFullCatalogs, readFullCatalog, type FullCatalog } from './full-catalog';
import { checkOutRelease, loadHistories, versionOf, type History } from './histories';
import { applyWithPsql, psqlProblem } from './psql';
import { compareFindings, formatScores, mismatches, notes, type ExpectedList, type Located, type ScoreRow } from './score';

const histories = loadHistories();
const TIMEOUT_MS = 240_000;

/** Scores per table heading ("lint without a database", then one per target). */
const scores = new Map<string, ScoreRow[]>();
const noteLines: string[] = [];

afterAll(async () => {
  await dropDatabases();
  const order = (r: ScoreRow) => ['lint', 'lint by release', 'doctor'].indexOf(r.check);
  const tables = [...scores.entries()].map(
    ([heading, rows]) => `${heading}\n${formatScores([...rows].sort((a, b) => order(a) - order(b) || (a.history < b.history ? -1 : 1)))}`,
  );
  console.log(['Corpus: lint and doctor on test/fixtures/corpus (false/all = false findings / all findings)', ...tables, ...noteLines].join('\n\n'));
});

/** Compares one check's findings with its list: the score is kept for the report, the mismatches returned. */
function judge(heading: string, history: string, check: string, reported: Located[], expected: ExpectedList): string[] {
  const c = compareFindings(reported, expected);
  if (!scores.has(heading)) scores.set(heading, []);
  scores.get(heading)!.push({ history, check, score: c.score });
  noteLines.push(...notes(c).map((n) => `${heading}, ${history}, ${check}: ${n}`));
  return mismatches(c).map((m) => `${check}: ${m}`);
}

async function cli(args: string[]): Promise<CliRun> {
  return runCli(args, { env: { DATABASE_URL: undefined }, timeoutMs: TIMEOUT_MS });
}

/** The findings of a `--json` lint or doctor run; exit 0 (clean) or 1 (error findings) only. */
function findingsOf(run: CliRun, what: string): Located[] {
  if (run.code > 1) throw new Error(`${what} exited with ${run.code}:\n${run.stdout}\n${run.stderr}`);
  return (JSON.parse(run.stdout) as { findings: Located[] }).findings;
}

describe('Corpus: lint without a database', () => {
  for (const h of histories) {
    it.concurrent(
      `${h.name}: reports the judged findings`,
      async ({ expect }) => {
        // A copy outside this repository: in a clone, lint would take the git base branch's files as applied.
        const dir = mkdtempSync(join(tmpdir(), `schemaguard-corpus-offline-${h.name}-`));
        try {
          cpSync(h.migrationsDir, dir, { recursive: true });
          const reported = findingsOf(await cli(['lint', '--dir', dir, '--json']), `lint --dir ${h.name}`);
          expect(judge('lint without a database (every file pending)', h.name, 'lint', reported, h.expected.lintOffline)).toEqual([]);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
      TIMEOUT_MS,
    );
  }
});

describe.each(targets)('Corpus on $name', (target) => {
  for (const h of histories) {
    it.concurrent(
      `${h.name}: psql and migrate build the same catalog, a rerun is a no-op, lint and doctor report the judged findings`,
      async ({ expect }) => {
        const problem = psqlProblem();
        if (problem) throw new Error(problem);
        const lint = target === targets[0];
        const heading = `${target.name}: ${lint ? 'lint before each release is migrated, ' : ''}doctor after the last release`;
        const psqlUrl = await freshDatabase(target, `corpus_psql_${h.name}`);
        await applyWithPsql(psqlUrl, h.migrationsDir, h.files);
        const dir = mkdtempSync(join(tmpdir(), `schemaguard-corpus-${h.name}-`));
        try {
          const migrated = await migrateByRelease(target, h, dir, lint);
          const problems = lint ? judge(heading, h.name, 'lint by release', migrated.lintFindings, h.expected.lintByRelease) : [];
          const rerun = await rerunIsNoOp(h, dir, migrated.url);
          problems.push(...rerun.problems);
          const doctor = findingsOf(await cli(['doctor', '--database-url', migrated.url, '--json']), 'doctor');
          problems.push(...judge(heading, h.name, 'doctor', doctor, h.expected.doctor));
          const byPsql = await readFullCatalog(psqlUrl);
          problems.push(...diffFullCatalogs(byPsql, rerun.catalog, { a: 'psql', b: 'migrate' }).map((d) => `catalog: ${d}`));
          expect(problems).toEqual([]);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
      TIMEOUT_MS,
    );
  }
});

/**
 * A checkout per release in `dir`: lint with the database when asked (the
 * earlier releases applied, so only this release's files are linted), then
 * migrate.
 */
async function migrateByRelease(target: Target, h: History, dir: string, lint: boolean): Promise<{ url: string; lintFindings: Located[] }> {
  const url = await freshDatabase(target, `corpus_migrate_${h.name}`);
  const lintFindings: Located[] = [];
  for (const release of h.releases) {
    checkOutRelease(h, release, dir);
    if (lint) lintFindings.push(...findingsOf(await cli(['lint', '--dir', dir, '--database-url', url, '--json']), `lint of release ${release.release}`));
    const run = await cli(['migrate', '--dir', dir, '--database-url', url, '--json']);
    if (run.code !== 0) throw new Error(`migrate of release ${release.release} exited with ${run.code}:\n${run.stdout}\n${run.stderr}`);
  }
  return { url, lintFindings };
}

/** A second migrate applies nothing, every file is recorded, and the catalog (returned) is unchanged. */
async function rerunIsNoOp(h: History, dir: string, url: string): Promise<{ problems: string[]; catalog: FullCatalog }> {
  const before = await readFullCatalog(url);
  const run = await cli(['migrate', '--dir', dir, '--database-url', url, '--json']);
  if (run.code !== 0) return { problems: [`rerun: migrate exited with ${run.code}: ${run.stdout} ${run.stderr}`], catalog: before };
  const result = JSON.parse(run.stdout) as { outcome: string; applied: unknown[]; appliedCount: number; currentVersion: number };
  const problems: string[] = [];
  const last = versionOf(h.files[h.files.length - 1]!);
  if (result.applied.length !== 0 || result.outcome !== 'up-to-date') problems.push(`rerun: applied ${result.applied.length} (outcome ${result.outcome})`);
  if (result.appliedCount !== h.files.length || result.currentVersion !== last) {
    problems.push(`rerun: ${result.appliedCount} recorded up to version ${result.currentVersion}, expected all ${h.files.length} files up to ${last}`);
  }
  const after = await readFullCatalog(url);
  problems.push(...diffFullCatalogs(before, after, { a: 'before the rerun', b: 'after' }).map((d) => `rerun changed the catalog: ${d}`));
  return { problems, catalog: after };
}
