/** `schemaguard lint`: the migration lint over the pending files (lint-scope.ts: pending against what). */
import { migrationFiles, readMigrationText, validateMigrationText } from '../../../lambda/engine/files/source';
import type { AppliedMigration } from '../../../lambda/engine/state/state';
import { computePlan } from '../../../lambda/engine/state/plan';
import { stateRefusals } from '../../../lambda/engine/state/state-refusals';
import type { Migration } from '../../../lambda/engine/files/source';
import type { MigrationLayout } from '../../../lambda/engine/files/layout';
import { checksum } from '../../../lambda/engine/files/checksum';
import { InputProblems } from '../../../lambda/engine/errors/input-problems';
import { refuseUnwrittenTemplates } from '../../../lambda/engine/files/template';
import { refuseUnknownAfterBackfill } from '../../../lambda/engine/backfill/gate';
import { formatFinding, type AllowedFinding } from '../../../lambda/checks/findings/finding';
import { allowedCount, allowedOmittedLine, lintCounts, omittedLine, lintSourceFromText, type LintResult, type LintSource } from '../../../lambda/checks/lint';
import { printFindings } from '../output/findings';
import { escapeData } from '../output/github';
import { keptLines } from '../output/kept-lines';
import { namesDatabase, serverVersionFlag, type ContextOf } from './context';
import { lintScope, type LintScope } from './lint-scope';
import { lintWithProjectLevels, refuseUnknownRules } from './plan-lint';
import { asRefusal, refusalLines, runAnnotations, runResults, type Refusal } from './plan-refusals';
import { plural, theOneOrAll } from '../../../lambda/engine/errors/words';
import { present } from '../../../lambda/engine/errors/present';

/**
 * The files `migrate` reads, refused as it refuses them (a misnamed `.sql`
 * file, a version twice, over the size limit, a bad directive, BEGIN, VACUUM
 * in a transactional file …: `validateMigrationText`), in order of version;
 * CONCURRENTLY in a transactional file is a finding here, not an input error.
 */
export function readLintSources(dir: string, serverMajor?: number, layout?: MigrationLayout): VersionedSource[] {
  const problems = new InputProblems();
  const sources = migrationFiles(dir, layout).map((f) => problems.attempt(() => lintSourceOfFile(f, readMigrationText(f.file, f.path), serverMajor)));
  // Every file's problems at once, as migrate and plan give them.
  problems.throwIfAny();
  return sources.filter((s): s is VersionedSource => s !== undefined);
}

/** One listed file's text as lint reads it (the editor's text, in `lsp`), refused as migrate refuses it. */
export function lintSourceOfFile(f: MigrationFileEntry, text: string, serverMajor?: number): VersionedSource {
  validateMigrationText(f.file, text, serverMajor === undefined ? {} : { serverMajor });
  return Object.assign(lintSourceFromText(f.file, text), { version: f.version, name: f.name, path: f.path });
}

/** A migration file as the folder lists it (`migrationFiles`). */
export type MigrationFileEntry = ReturnType<typeof migrationFiles>[number];

/** A file lint reads, with the version and name its layout gives it (a Prisma folder's number, a drizzle journal's idx), as migrate reads them, and its path (what the fixes name). */
export type VersionedSource = LintSource & { version: number; name: string; path: string };

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
  lines.push(
    `lint: ${plural(result.files.length, 'file')}, ${plural(errors, 'error')}, ${plural(warnings, 'warning')}${allowed ? `, ${allowed} allowed` : ''}`,
  );
  return lines.join('\n');
}

/** What --json gives: the counts, every finding counted; the kept findings; per file and rule, how many more were not kept; the same of the allowed findings. */
export function lintJson(result: LintResult): Record<string, unknown> {
  return {
    files: result.files,
    ...lintCounts(result),
    notes: result.notes,
    findings: result.findings,
    omitted: result.omitted,
    allowed: result.allowed,
    allowedOmitted: result.allowedOmitted,
  };
}

export async function lintCommand(ctx: ContextOf<'lint'>): Promise<number> {
  const { opts } = ctx;
  refuseUnknownRules(opts);
  // Refused with a database (its own version decides) before anything is read.
  const serverMajor = serverVersionFlag(opts, namesDatabase(ctx) && opts.since === undefined);
  const sources = readLintSources(opts.dir, serverMajor, opts.layout);
  const scope = await lintScope(ctx, sources, (_marked, applied) => markApplied(sources, applied, opts.dir));
  // Refused as migrate refuses it (exit 2): a pending file still as `schemaguard new` wrote it.
  refuseUnwrittenTemplates(
    sources.filter((s) => !s.applied).map((s) => ({ file: s.file, checksum: checksum(s.text) })),
    opts.dir,
  );
  // And an after-backfill that names no earlier file with a backfill (exit 2), as migrate and plan refuse it.
  const files = sources.map((s) => ({
    file: s.file,
    version: s.version,
    applied: s.applied,
    directives: { afterBackfill: s.afterBackfill?.map((a) => a.file), afterBackfillLines: s.afterBackfill?.map((a) => a.line) },
    backfill: s.backfillLine,
  }));
  refuseUnknownAfterBackfill(
    files.filter((f) => !f.applied),
    files,
  );
  const result = await lintWithProjectLevels(opts, sources, { catalog: scope.catalog, serverMajor });
  printLint(ctx, result, scope);
  return lintCounts(result).errors > 0 || scope.refusals.length ? 1 : 0;
}

/** The report in the format asked for; a run that could only take every file as pending says so first, in each. */
function printLint(ctx: ContextOf<'lint'>, result: LintResult, scope: LintScope): void {
  const { opts } = ctx;
  const { refusals } = scope;
  const warning = scope.applied === 'none' ? scope.line : undefined;
  if (opts.format === 'json') {
    ctx.out(JSON.stringify({ command: 'lint', scope: scopeJson(scope), ...lintJson(result), ...(scope.catalog ? { refusals } : {}) }));
    return;
  }
  if (warning) {
    if (opts.format === 'text') ctx.out(`warning: ${warning}`);
    else if (opts.format === 'github') ctx.out(`::warning title=schemaguard lint::${escapeData(warning)}`);
  }
  ctx.progress(`lint ${scope.applied === 'none' ? `${theOneOrAll(result.files.length, 'file')} in ${opts.dir}/ (every file counts as pending)` : scope.line}`);
  if (opts.format === 'text') ctx.out(lintReport(result, refusals));
  else {
    const outlook = { refusals, notes: [] };
    if (opts.format === 'github') for (const line of runAnnotations(outlook, opts.dir, 'lint')) ctx.out(line);
    printFindings(ctx, 'lint', result.findings, {
      baseDir: opts.dir,
      runResults: runResults(outlook),
      omitted: result.omitted,
      notices: warning ? [`warning: ${warning}`] : [],
    });
  }
}

/** --json's `scope`: where the applied files came from, and whether lint could know any. */
function scopeJson(scope: LintScope): Record<string, unknown> {
  return { applied: scope.applied, ...(scope.source ? { source: scope.source } : {}), appliedKnown: scope.applied !== 'none', note: scope.line };
}

/**
 * Marks the files the database applied, as migrate compares them (version,
 * then checksum or valid-checksum), and returns migrate's refusal of each
 * other file at an applied version: a file edited since, or another
 * migration at a version applied under another name. Such a file is not
 * the one that ran, so it is linted as pending (its SQL may never have run
 * anywhere) and the refusal fails lint, as it fails migrate.
 */
export function markApplied(sources: VersionedSource[], applied: AppliedMigration[], dir: string): Refusal[] {
  const migrations = sources.map(asMigration);
  const plan = computePlan(migrations, applied);
  const appliedFiles = new Set(plan.entries.filter((e) => e.status === 'applied').map((e) => present(e.migration).file));
  for (const s of sources) s.applied = appliedFiles.has(s.file);
  // Only the changed files: lint lints pending ones, and an out-of-order or missing file is plan's and migrate's to refuse.
  return stateRefusals({ ...plan, unknown: [], outOfOrder: [] }, { migrations, source: dir }, true).map(asRefusal);
}

/** What the state comparison reads of a lint source: its name, version, checksum and valid-checksums (no statements). */
export function asMigration(s: VersionedSource): Migration {
  return {
    version: s.version,
    name: s.name,
    file: s.file,
    path: s.path,
    text: s.text,
    checksum: checksum(s.text),
    directives: { noTransaction: s.noTransaction, validChecksums: s.validChecksums },
    statements: [],
    statementCount: 0,
    checks: [],
    allowances: s.allowances,
  };
}
