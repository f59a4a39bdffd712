/** `schemaguard lint`: the migration lint over the pending files (all files without a database). */
import { FILE_NAME_PATTERN, migrationFiles, readMigrationText, validateMigrationText } from '../../../lambda/engine/source';
import { DEFAULT_STATE_SCHEMA, readApplied } from '../../../lambda/engine/state';
import { checksum } from '../../../lambda/engine/checksum';
import { InputProblems } from '../../../lambda/engine/input-problems';
import { refuseUnwrittenTemplates } from '../../../lambda/engine/template';
import { countBySeverity, formatFinding } from '../../../lambda/checks/finding';
import { alteredTables, lintMigrations, lintSourceFromText, needsDependencies, readLintCatalog, type LintCatalog, type LintResult, type LintSource } from '../../../lambda/checks/lint';
import { printFindings } from '../output/findings';
import { UsageError } from '../errors';
import { filesAtRef, unchangedSince } from '../git-base';
import { connectTarget, type CommandContext } from './context';

/**
 * The files `migrate` reads, refused as it refuses them (a misnamed `.sql`
 * file, a version twice, over the size limit, a bad directive, BEGIN, VACUUM
 * in a transactional file …: `validateMigrationText`), in order of version;
 * CONCURRENTLY in a transactional file is a finding here, not an input error.
 */
export function readLintSources(dir: string): LintSource[] {
  const problems = new InputProblems();
  const sources = migrationFiles(dir).map((f) => problems.attempt(() => {
    const text = readMigrationText(f.file, f.path);
    validateMigrationText(f.file, text);
    return lintSourceFromText(f.file, text);
  }));
  // Every file's problems at once, as migrate and plan give them.
  problems.throwIfAny();
  return sources.filter((s): s is LintSource => s !== undefined);
}

export function lintReport(result: LintResult): string {
  const lines = result.findings.map(formatFinding);
  for (const a of result.allowed) lines.push(`${a.file}:${a.line}:${a.column}: allowed ${a.rule} (${a.allowed.reason})`);
  const { errors, warnings } = countBySeverity(result.findings);
  lines.push(`lint: ${result.files.length} file${result.files.length === 1 ? '' : 's'}, ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}${result.allowed.length ? `, ${result.allowed.length} allowed` : ''}`);
  return lines.join('\n');
}

export function lintJson(result: LintResult): Record<string, unknown> {
  return { files: result.files, ...countBySeverity(result.findings), findings: result.findings, allowed: result.allowed };
}

export async function lintCommand(ctx: CommandContext): Promise<number> {
  const { opts } = ctx;
  const sources = readLintSources(opts.dir);
  let scope = `${sources.length === 1 ? 'the 1 file' : `all ${sources.length} files`} in ${opts.dir}/ (no database: every file counts as pending)`;
  let catalog: LintCatalog | undefined;
  if (opts.since !== undefined) {
    if (opts.given.has('databaseUrl')) {
      throw new UsageError('--since and --database-url both say which files are applied', {
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
  } else if (opts.databaseUrl) {
    const { driver } = await connectTarget(ctx);
    try {
      const session = await driver.connect();
      try {
        const applied = new Set((await readApplied(session, opts.stateSchema ?? DEFAULT_STATE_SCHEMA)).map((a) => a.version));
        for (const s of sources) s.applied = applied.has(Number(FILE_NAME_PATTERN.exec(s.file)![1]));
        const dependencies = needsDependencies(sources);
        if (dependencies) ctx.progress(`lint reads what depends on what in ${driver.target} (pg_depend): a pending file says CASCADE`);
        catalog = await readLintCatalog(session, { dependencies, tables: alteredTables(sources), onUnread: ctx.progress });
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
  const result = await lintMigrations(sources, { catalog });
  if (opts.format === 'json') ctx.out(JSON.stringify({ command: 'lint', ...lintJson(result) }));
  else {
    ctx.progress(`lint ${scope}`);
    if (opts.format === 'text') ctx.out(lintReport(result));
    else printFindings(ctx, 'lint', result.findings, { baseDir: opts.dir });
  }
  return countBySeverity(result.findings).errors > 0 ? 1 : 0;
}
