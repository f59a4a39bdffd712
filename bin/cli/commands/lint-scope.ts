/**
 * Which files `lint` takes as applied, and so which tables as existing ones
 * whose rules fire. In order: `--since REF` (git), a database
 * (`--database-url` or its variable), the embedded server (`--embedded`, or
 * its data directory when it has one and the files are the project's), the
 * git base branch (as `--since`), else nothing: then every file counts as
 * pending, and lint says so on its first line, since a table the risky file
 * changes then counts as new and its rules stay silent.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LintCatalog, LintSource } from '../../../lambda/checks/lint';
import { alteredTables, needsDependencies, readLintCatalog } from '../../../lambda/checks/lint';
import { boundedCatalogRead } from '../../../lambda/schema/bounded-read';
import { readApplied } from '../../../lambda/engine/state/state';
import { baseRef, filesAtRef, unchangedSince } from '../git-base';
import { UsageError } from '../errors';
import { connectTarget, namesDatabase, stateSchemaFlag, TARGET_PG_VARIABLES, type CommandContext } from './context';
import type { OptionsIn } from '../args';
import type { Refusal } from './plan-refusals';
import { oneOrMany, plural, theOneOrAll } from '../../../lambda/engine/errors/words';

/** What choosing the applied files reads: the files, a database, git (`lint`, and `lsp` as lint takes them). */
export type ScopeContext = CommandContext<OptionsIn<'connection' | 'state' | 'files' | 'lintScope'>>;

/** Where the applied files came from. */
export type AppliedFrom = 'database' | 'embedded' | 'git' | 'none';

export interface LintScope {
  applied: AppliedFrom;
  /** The git ref (`git`), or the server (`database`, `embedded`). */
  source?: string;
  /** What the line before the findings says (stderr), or, with `applied: 'none'`, the warning on stdout's first line. */
  line: string;
  catalog?: LintCatalog;
  refusals: Refusal[];
}

/** Marks `sources` applied as the chosen source says; what lint says about it, and with a database its catalog and migrate's refusals. */
export async function lintScope(ctx: ScopeContext, sources: LintSource[], markApplied: MarkApplied): Promise<LintScope> {
  const { opts } = ctx;
  if (opts.since !== undefined) {
    if (opts.given.has('databaseUrl') || opts.clusterArn !== undefined) {
      throw new UsageError(`--since and ${opts.clusterArn !== undefined ? '--cluster-arn' : '--database-url'} both say which files are applied`, {
        value: `--since ${opts.since}`,
        fix: 'give one: --since REF where the base branch holds the applied files (a pull request in CI), --database-url for what a database has applied',
      });
    }
    return gitScope(ctx, sources, opts.since, `--since ${opts.since}`);
  }
  if (namesDatabase(ctx)) return databaseScope(ctx, sources, markApplied, 'database');
  // A URL variable set but empty (a CI secret that is missing) meant a database: not the embedded server in its place.
  if (opts.embedded || (opts.databaseUrl === undefined && embeddedHasData(ctx))) return databaseScope(ctx, sources, markApplied, 'embedded');
  const ref = baseRef(opts.dir, ctx.env);
  if (ref) return gitScope(ctx, sources, ref, `the git base ${ref}`);
  return { applied: 'none', line: noneLine(ctx, sources.length), refusals: [] };
}

/** Marks the files the database applied; migrate's refusals of the others. */
export type MarkApplied = (sources: LintSource[], applied: Awaited<ReturnType<typeof readApplied>>) => Refusal[];

/**
 * The embedded server is the project's when its data directory has a
 * cluster, the files are the project's migrations (not another folder named
 * by --dir, which that server never applied), and no PG* variable names
 * another server (connectTarget would refuse them; lint looks elsewhere).
 */
function embeddedHasData(ctx: ScopeContext): boolean {
  const { opts } = ctx;
  return opts.projectFiles && existsSync(join(opts.embeddedDir, 'data', 'PG_VERSION')) && !TARGET_PG_VARIABLES.some((name) => ctx.env[name]);
}

function gitScope(ctx: ScopeContext, sources: LintSource[], ref: string, named: string): LintScope {
  const { dir } = ctx.opts;
  const base = filesAtRef(dir, ref);
  const inBase = sources.filter((s) => base.has(s.file)).map((s) => s.file);
  const unchanged = unchangedSince(dir, base, inBase, ref);
  for (const s of sources) s.applied = unchanged.has(s.file);
  const pending = sources.length - unchanged.size;
  const edited = inBase.length - unchanged.size;
  if (edited)
    ctx.progress(
      `  ${edited} of them ${oneOrMany(edited, 'is a file', 'are files')} ${ref} has, edited since: linted as pending; an applied file edited is refused by migrate (its checksum)`,
    );
  return {
    applied: 'git',
    source: ref,
    refusals: [],
    line: `${plural(pending, 'file')} new or changed since ${ref}, of ${sources.length} in ${dir}/ (${named}: the others count as applied, their tables exist)`,
  };
}

async function databaseScope(ctx: ScopeContext, sources: LintSource[], markApplied: MarkApplied, applied: 'database' | 'embedded'): Promise<LintScope> {
  const { opts } = ctx;
  const { driver, where } = await connectTarget(ctx);
  try {
    const session = await driver.connect();
    try {
      const refusals = markApplied(sources, await readApplied(session, stateSchemaFlag(opts)));
      const dependencies = needsDependencies(sources);
      if (dependencies) ctx.progress(`lint reads what depends on what in ${driver.target} (pg_depend): a pending file says CASCADE`);
      // Bounded: its pg_get_constraintdef waits behind a migration's ACCESS EXCLUSIVE on a table until it commits.
      const catalog = await boundedCatalogRead(session, 'the database catalog for lint', () =>
        readLintCatalog(session, { dependencies, tables: alteredTables(sources), onUnread: ctx.progress }),
      );
      const pending = sources.filter((s) => !s.applied).length;
      const what = applied === 'embedded' ? `what the embedded server under ${opts.embeddedDir}/ applied` : `what ${driver.target} applied`;
      return {
        applied,
        source: `${driver.target}${where}`,
        catalog,
        refusals,
        line: `${pending} pending of ${sources.length} files in ${opts.dir}/ (${what}: the others count as applied)`,
      };
    } finally {
      await session.close();
    }
  } finally {
    await driver.end();
  }
}

/** Nothing says what is applied: the warning lint prints first. */
function noneLine(ctx: ScopeContext, files: number): string {
  const { opts } = ctx;
  const all = theOneOrAll(files, 'file');
  const embedded =
    opts.databaseUrl === ''
      ? 'so not the embedded server in its place'
      : opts.projectFiles
        ? `no embedded server data in ${opts.embeddedDir}/`
        : `${opts.dir}/ is not the project's migrations folder, so not the embedded server's`;
  const database = opts.databaseUrl === '' ? `${opts.databaseUrlEnv} is set but empty` : 'no database';
  return (
    `every file counts as pending, ${all} in ${opts.dir}/: ${database}, ${embedded}, no git base branch (origin/HEAD); ` +
    `the rules for existing tables cannot fire until lint knows what is applied: --since REF, --database-url URL (or ${opts.databaseUrlEnv}), or schemaguard migrate first`
  );
}
