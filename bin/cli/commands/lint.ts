/** `schemaguard lint`: the migration lint over the pending files (all files without a database). */
import { FILE_NAME_PATTERN, migrationFiles, readMigrationText, validateMigrationText } from '../../../lambda/engine/source';
import { DEFAULT_STATE_SCHEMA, readApplied, type AppliedMigration } from '../../../lambda/engine/state';
import { computePlan } from '../../../lambda/engine/plan';
import { stateRefusals } from '../../../lambda/engine/state-refusals';
import type { Migration } from '../../../lambda/engine/source';
import { checksum } from '../../../lambda/engine/checksum';
import { InputProblems } from '../../../lambda/engine/input-problems';
import { refuseUnwrittenTemplates } from '../../../lambda/engine/template';
import { formatFinding, type AllowedFinding } from '../../../lambda/checks/finding';
import { allowedCount, allowedOmittedLine, alteredTables, lintCounts, lintMigrations, omittedLine, lintSourceFromText, needsDependencies, readLintCatalog, type LintCatalog, type LintResult, type LintSource } from '../../../lambda/checks/lint';
import { boundedCatalogRead } from '../../../lambda/schema/bounded-read';
import { printFindings } from '../output/findings';
import { keptLines } from '../output/kept-lines';
import { UsageError } from '../errors';
import { filesAtRef, unchangedSince } from '../git-base';
import { connectTarget, namesDatabase, serverVersionFlag, type CommandContext } from './context';
import { asRefusal, refusalLines, runAnnotations, runResults, type Refusal } from './plan-refusals';

/**
 * The files `migrate` reads, refused as it refuses them (a misnamed `.sql`
 * file, a version twice, over the size limit, a bad directive, BEGIN, VACUUM
 * in a transactional file …: `validateMigrationText`), in order of version;
 * CONCURRENTLY in a transactional file is a finding here, not an input error.
 */
export function readLintSources(dir: string, serverMajor?: number): LintSource[] {
  const problems = new InputProblems();
  const sources = migrationFiles(dir).map((f) => problems.attempt(() => {
    const text = readMigrationText(f.file, f.path);
    validateMigrationText(f.file, text, serverMajor === undefined ? {} : { serverMajor });
    return lintSourceFromText(f.file, text);
  }));
  // Every file's problems at once, as migrate and plan give them.
  problems.throwIfAny();
  return sources.filter((s): s is LintSource => s !== undefined);
}

/**
 * The findings, each file's followed by a line per rule with more than were
 * kept (`… and N more`), after lint's notes on its own reading; the allowed ones likewise, then (lint with --database-url)
 * what migrate would refuse, as errors, and the counts, every finding counted.
 */
export function lintReport(result: LintResult, refusals: readonly Refusal[] = []): string {
  const lines = result.notes.map((n) => `note: ${n}`);
  lines.push(...keptLines(result.findings, result.omitted, formatFinding, omittedLine));
  const allowedLine = (a: AllowedFinding) => `${a.file}:${a.line}:${a.column}: allowed ${a.rule} (${a.allowed.reason})`;
  lines.push(...keptLines(result.allowed, result.allowedOmitted, allowedLine, allowedOmittedLine));
  lines.push(...refusalLines(refusals, 'error'));
  const counted = lintCounts(result);
  const errors = counted.errors + refusals.length;
  const { warnings } = counted;
  const allowed = allowedCount(result);
  lines.push(`lint: ${result.files.length} file${result.files.length === 1 ? '' : 's'}, ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}${allowed ? `, ${allowed} allowed` : ''}`);
  return lines.join('\n');
}

/** What --json gives: the counts, every finding counted; the kept findings; per file and rule, how many more were not kept; the same of the allowed findings. */
export function lintJson(result: LintResult): Record<string, unknown> {
  return { files: result.files, ...lintCounts(result), notes: result.notes, findings: result.findings, omitted: result.omitted, allowed: result.allowed, allowedOmitted: result.allowedOmitted };
}

export async function lintCommand(ctx: CommandContext): Promise<number> {
  const { opts } = ctx;
  // Refused with a database (its own version decides) before anything is read.
  const serverMajor = serverVersionFlag(opts, namesDatabase(ctx) && opts.since === undefined);
  const sources = readLintSources(opts.dir, serverMajor);
  let scope = `${sources.length === 1 ? 'the 1 file' : `all ${sources.length} files`} in ${opts.dir}/ (no database: every file counts as pending)`;
  let catalog: LintCatalog | undefined;
  let refusals: Refusal[] = [];
  if (opts.since !== undefined) {
    if (opts.given.has('databaseUrl') || opts.clusterArn !== undefined) {
      throw new UsageError(`--since and ${opts.clusterArn !== undefined ? '--cluster-arn' : '--database-url'} both say which files are applied`, {
        value: `--since ${opts.since}`,
        fix: 'give one: --since REF where the base branch holds the applied files (a pull request in CI), --database-url for what a database has applied',
      });
    }
    const base = filesAtRef(opts.dir, opts.since);
    const inBase = sources.filter((s) => base.has(s.file)).map((s) => s.file);
    const unchanged = unchangedSince(opts.dir, base, inBase, opts.since);
    for (const s of sources) s.applied = unchanged.has(s.file);
    const pending = sources.length - unchanged.size;
    const edited = inBase.length - unchanged.size;
    scope = `${pending} file${pending === 1 ? '' : 's'} new or changed since ${opts.since}, of ${sources.length} in ${opts.dir}/ (the others count as applied: their tables exist)`;
    if (edited) ctx.progress(`  ${edited} of them ${edited === 1 ? 'is a file' : 'are files'} ${opts.since} has, edited since: linted as pending; an applied file edited is refused by migrate (its checksum)`);
  } else if (namesDatabase(ctx)) {
    const { driver } = await connectTarget(ctx);
    try {
      const session = await driver.connect();
      try {
        refusals = markApplied(sources, await readApplied(session, opts.stateSchema ?? DEFAULT_STATE_SCHEMA), opts.dir);
        const dependencies = needsDependencies(sources);
        if (dependencies) ctx.progress(`lint reads what depends on what in ${driver.target} (pg_depend): a pending file says CASCADE`);
        // Bounded: its pg_get_constraintdef waits behind a migration's ACCESS EXCLUSIVE on a table until it commits.
        catalog = await boundedCatalogRead(session, 'the database catalog for lint', () => readLintCatalog(session, { dependencies, tables: alteredTables(sources), onUnread: ctx.progress }));
        scope = `${sources.filter((s) => !s.applied).length} pending of ${sources.length} files in ${opts.dir}/ (${driver.target})`;
      } finally {
        await session.close();
      }
    } finally {
      await driver.end();
    }
  }
  // Refused as migrate refuses it (exit 2): a pending file still as `schemaguard new` wrote it.
  refuseUnwrittenTemplates(sources.filter((s) => !s.applied).map((s) => ({ file: s.file, checksum: checksum(s.text) })), opts.dir);
  const result = await lintMigrations(sources, { catalog, serverMajor });
  if (opts.format === 'json') ctx.out(JSON.stringify({ command: 'lint', ...lintJson(result), ...(namesDatabase(ctx) && opts.since === undefined ? { refusals } : {}) }));
  else {
    ctx.progress(`lint ${scope}`);
    if (opts.format === 'text') ctx.out(lintReport(result, refusals));
    else {
      if (opts.format === 'github') for (const line of runAnnotations({ refusals, notes: [] }, opts.dir, 'lint')) ctx.out(line);
      printFindings(ctx, 'lint', result.findings, { baseDir: opts.dir, runResults: runResults({ refusals, notes: [] }), omitted: result.omitted });
    }
  }
  return lintCounts(result).errors > 0 || refusals.length ? 1 : 0;
}

/**
 * Marks the files the database applied, as migrate compares them (version,
 * then checksum or valid-checksum), and returns migrate's refusal of each
 * other file at an applied version: a file edited since, or another
 * migration at a version applied under another name. Such a file is not
 * the one that ran, so it is linted as pending (its SQL may never have run
 * anywhere) and the refusal fails lint, as it fails migrate.
 */
function markApplied(sources: LintSource[], applied: AppliedMigration[], dir: string): Refusal[] {
  const migrations = sources.map(asMigration);
  const plan = computePlan(migrations, applied);
  const appliedFiles = new Set(plan.entries.filter((e) => e.status === 'applied').map((e) => e.migration!.file));
  for (const s of sources) s.applied = appliedFiles.has(s.file);
  // Only the changed files: lint lints pending ones, and an out-of-order or missing file is plan's and migrate's to refuse.
  return stateRefusals({ ...plan, unknown: [], outOfOrder: [] }, { migrations, source: dir }, true).map(asRefusal);
}

/** What the state comparison reads of a lint source: its name, version, checksum and valid-checksums (no statements). */
function asMigration(s: LintSource): Migration {
  const [, version, name] = FILE_NAME_PATTERN.exec(s.file)!;
  return {
    version: Number(version), name: name!, file: s.file, path: s.file, text: s.text, checksum: checksum(s.text),
    directives: { noTransaction: s.noTransaction, validChecksums: s.validChecksums }, statements: [], statementCount: 0, checks: [], allowances: s.allowances,
  };
}
