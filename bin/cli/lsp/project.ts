/**
 * The migrations folder as `lint` takes it, held between keystrokes: the
 * files (an open file's text is the editor's), which of them are applied
 * (the database's state table, git, or none: `lint-scope.ts`), the
 * database's catalog for lint, and the table sizes for the hover. The
 * database and the folder are read on `refresh` (a file opened or saved);
 * a keystroke lints from memory.
 */
import { resolve, sep } from 'node:path';
import { InputError, MigrationError } from '../../../lambda/engine/errors/errors';
import { checksum } from '../../../lambda/engine/files/checksum';
import { migrationFiles, readMigrationText } from '../../../lambda/engine/files/source';
import { refuseUnwrittenTemplates } from '../../../lambda/engine/files/template';
import type { AppliedMigration } from '../../../lambda/engine/state/state';
import type { Finding } from '../../../lambda/checks/findings/finding';
import type { LintCatalog } from '../../../lambda/checks/lint';
import { planLocks, type LockPlan } from '../../../lambda/checks/locks/plan-locks';
import { boundedCatalogRead } from '../../../lambda/schema/bounded-read';
import { connectTarget, namesDatabase, serverVersionFlag, type ContextOf } from '../commands/context';
import { asMigration, lintSourceOfFile, markApplied, type MigrationFileEntry, type VersionedSource } from '../commands/lint';
import { lintScope, type AppliedFrom } from '../commands/lint-scope';
import { lintWithProjectLevels, refuseUnknownRules } from '../commands/plan-lint';
import type { Refusal } from '../commands/plan-refusals';
import { CatalogCache } from './catalog-cache';
import { get, present } from '../../../lambda/engine/errors/present';

/** The editor's text of each open file, by absolute path. */
export type OpenTexts = (path: string) => string | undefined;

/** What lint says of one file: its findings and migrate's refusals of it, or the input errors that stop lint (as `lint` exits 2 on them). */
export type FileLint = { findings: Finding[]; refusals: Refusal[] } | { problems: MigrationError[] };

/** A statement's plan rows for the hover, and the tables whose sizes wait for a save. */
export interface FilePlan {
  locks: LockPlan;
  /** Sizes come from a database (none without one, as `plan --offline`). */
  sized: boolean;
  /** Tables (and indexes, domains) named since the database was last read. */
  unread: string[];
}

/** What the last refresh read: which files are applied, and the database's catalog. */
interface Scope {
  applied: AppliedFrom;
  /** What lint says about where the applied files came from (its first line, or stderr line). */
  line: string;
  /** The state table's rows (`database`, `embedded`). */
  rows?: AppliedMigration[];
  /** The files git's ref has unchanged (`git`). */
  unchanged?: Set<string>;
  catalog?: LintCatalog;
}

export class LspProject {
  private entries: MigrationFileEntry[] = [];
  /** The files as read at the last refresh (the editor's text for open ones), each already refused or accepted. */
  private sources = new Map<string, VersionedSource>();
  /** A file's input error at the last refresh, by path, or the folder's own (a version twice, a misnamed file), under ''. */
  private problems = new Map<string, InputError>();
  /** The text read from disk at the last refresh, by path: git's "unchanged" holds for it. */
  private diskText = new Map<string, string>();
  private scope: Scope | undefined;
  /** Why the last refresh could not read what is applied: every file is refused with it, as lint exits 2. */
  private scopeError: MigrationError | undefined;
  private readonly sizes = new CatalogCache();
  private readonly serverMajor: number | undefined;

  constructor(private readonly ctx: ContextOf<'lsp'>) {
    refuseUnknownRules(ctx.opts);
    this.serverMajor = serverVersionFlag(ctx.opts, namesDatabase(ctx) && ctx.opts.since === undefined);
  }

  /** Where lint took the applied files from, as its first line says it; undefined before the first refresh. */
  get scopeLine(): string | undefined {
    return this.scope?.line;
  }

  /** The names of the folder's files, as read at the last refresh. */
  fileNames(): string[] {
    return this.entries.map((e) => e.file);
  }

  /** The folder's newest file (the last in version order). */
  newest(): MigrationFileEntry | undefined {
    return this.entries.at(-1);
  }

  /** The folder's file at `path` (absolute), or undefined for a file lint does not read. */
  entryOf(path: string): MigrationFileEntry | undefined {
    return this.entries.find((e) => resolve(e.path) === path);
  }

  /** Reads the folder, then what is applied and the database's catalog and sizes, as lint and plan read them. */
  async refresh(open: OpenTexts): Promise<void> {
    this.readFolder(open);
    const sources = [...this.sources.values()];
    if (this.problems.size) return; // lint refuses the folder before it reads what is applied
    try {
      const scope = await this.readScope(sources);
      this.scope = scope;
      this.scopeError = undefined;
      if (scope.applied === 'database' || scope.applied === 'embedded') await this.readSizes(sources);
    } catch (e) {
      this.scopeError = e instanceof MigrationError ? e : new MigrationError(e instanceof Error ? e.message : String(e), { cause: e });
    }
  }

  /** Lint's findings for the file at `path` with `text` in place of its saved text: the files before it as context, nothing read from a database. */
  async lintFile(path: string, text: string): Promise<FileLint | undefined> {
    if (!this.entryOf(path)) {
      // A folder lint refuses as a whole (a version twice, a misnamed file) lists no file: each of its own says why.
      const folder = this.problems.get('');
      return folder && isWithin(resolve(this.ctx.opts.dir), path) ? { problems: [folder] } : undefined;
    }
    const files = this.withText(path, text);
    if ('problems' in files) return files;
    const { sources, upTo, entry } = files;
    const refusals = this.markScope(sources, path, text);
    const refused = inputErrorOf(() =>
      refuseUnwrittenTemplates(
        sources.filter((s) => !s.applied).map((s) => ({ file: s.file, checksum: checksum(s.text) })),
        this.ctx.opts.dir,
      ),
    );
    if (refused) return { problems: [refused] };
    try {
      const result = await lintWithProjectLevels(this.ctx.opts, upTo, { catalog: this.scope?.catalog, serverMajor: this.serverMajor });
      return { findings: result.findings.filter((f) => f.file === entry.file), refusals: refusals.filter((r) => r.file === entry.file) };
    } catch (e) {
      if (e instanceof InputError) return { problems: [e] };
      throw e;
    }
  }

  /** `plan`'s rows for the file's statements (its pending files up to it), the sizes from the last read: no round trip. */
  async planFile(path: string, text: string): Promise<FilePlan | undefined> {
    const files = this.entryOf(path) && this.withText(path, text);
    if (!files || 'problems' in files) return undefined;
    const { sources, upTo } = files;
    this.markScope(sources, path, text);
    const migrations = upTo.map(asMigration);
    const pending = migrations.filter((_, k) => !upTo[k].applied);
    const applied = migrations.filter((_, k) => upTo[k].applied);
    const sized = this.sizes.filled;
    const replay = this.sizes.replaying();
    const locks = await planLocks(pending, {
      ...(sized ? { catalog: replay } : {}),
      lintCatalog: this.scope?.catalog,
      applied,
      serverMajor: this.serverMajor,
    });
    return { locks, sized, unread: [...replay.unread] };
  }

  /**
   * The files with the editor's `text` for `path` (all of them, and those up
   * to it), or why lint would not lint them now: the file's own input error,
   * another file's, or what is applied that could not be read.
   */
  private withText(
    path: string,
    text: string,
  ): { problems: MigrationError[] } | { sources: VersionedSource[]; upTo: VersionedSource[]; entry: MigrationFileEntry } {
    const entry = present(this.entryOf(path));
    let own: VersionedSource | undefined;
    const error = inputErrorOf(() => {
      own = lintSourceOfFile(entry, text, this.serverMajor);
    });
    const others = [...this.problems].filter(([p]) => p !== path).map(([, e]) => e);
    const problems = [...(error ? [error] : []), ...others, ...(this.scopeError ? [this.scopeError] : [])];
    if (problems.length) return { problems };
    const sources = this.entries.map((e) => (e === entry ? present(own) : { ...get(this.sources, e.path) }));
    return { sources, upTo: sources.slice(0, this.entries.indexOf(entry) + 1), entry };
  }

  /** Marks the applied files as the last refresh found them (an edited file is pending again); migrate's refusals, with a database. */
  private markScope(sources: VersionedSource[], path: string, text: string): Refusal[] {
    const scope = this.scope;
    if (scope?.rows) return markApplied(sources, scope.rows, this.ctx.opts.dir);
    for (const s of sources) {
      const edited = resolve(s.path) === path && text !== this.diskText.get(s.path);
      s.applied = !!scope?.unchanged?.has(s.file) && !edited;
    }
    return [];
  }

  /** The folder's files, each refused as migrate refuses it (all at once, as lint gives them), the editor's text for open ones. */
  private readFolder(open: OpenTexts): void {
    this.problems.clear();
    this.sources.clear();
    this.diskText.clear();
    try {
      this.entries = migrationFiles(this.ctx.opts.dir, this.ctx.opts.layout);
    } catch (e) {
      this.entries = [];
      if (!(e instanceof InputError)) throw e;
      this.problems.set('', e);
      return;
    }
    for (const e of this.entries) {
      const error = inputErrorOf(() => {
        const disk = readMigrationText(e.file, e.path);
        this.diskText.set(e.path, disk);
        this.sources.set(e.path, lintSourceOfFile(e, open(resolve(e.path)) ?? disk, this.serverMajor));
      });
      if (error) this.problems.set(resolve(e.path), error);
    }
  }

  /** What lint takes as applied: the state table (its rows kept for each keystroke), git, or nothing. */
  private async readScope(sources: VersionedSource[]): Promise<Scope> {
    let rows: AppliedMigration[] | undefined;
    const scope = await lintScope(this.ctx, sources, (_marked, applied) => {
      rows = applied;
      return markApplied(sources, applied, this.ctx.opts.dir);
    });
    const unchanged = scope.applied === 'git' ? new Set(sources.filter((s) => s.applied).map((s) => s.file)) : undefined;
    return { applied: scope.applied, line: scope.line, ...(rows ? { rows } : {}), ...(unchanged ? { unchanged } : {}), catalog: scope.catalog };
  }

  /** The sizes plan shows for every pending statement, read once into the cache (a bounded read, as plan's). */
  private async readSizes(sources: VersionedSource[]): Promise<void> {
    const migrations = sources.map(asMigration);
    const pending = migrations.filter((_, k) => !sources[k].applied);
    const applied = migrations.filter((_, k) => sources[k].applied);
    const { driver } = await connectTarget(this.ctx);
    try {
      const session = await driver.connect();
      try {
        await boundedCatalogRead(session, 'the table sizes for the editor', () =>
          planLocks(pending, { catalog: this.sizes.recording(session), lintCatalog: this.scope?.catalog, applied }),
        );
      } finally {
        await session.close();
      }
    } finally {
      await driver.end();
    }
  }
}

function isWithin(dir: string, path: string): boolean {
  return path.startsWith(dir + sep);
}

/** The InputError `step` throws, or undefined (any other error is thrown on). */
function inputErrorOf(step: () => unknown): InputError | undefined {
  try {
    step();
    return undefined;
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
}
