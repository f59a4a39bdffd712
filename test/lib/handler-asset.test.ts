/**
 * The handler's code asset: the pre-built bundle plus the user's files, copied
 * at synth time — no esbuild, no Docker — and hashed on what it holds.
 */
import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHandlerBundle, handlerCode } from '../../lib/handler-asset';
import { HANDLER_BUNDLE_DIR } from '../../lib/paths';
import { resolveUserFiles, type UserFiles } from '../../lib/user-files';
import { tempDir } from '../support/files';

const withAll = tempDir(
  {
    'migrations/0001_widgets.sql': 'CREATE TABLE widgets (id int);\n',
    'migrations/.gitkeep': '',
    // Regression (helper): a dot file was shipped in the asset (FilesHash leaves it out), a .env with a password included.
    'migrations/.env': 'DB_PASSWORD=hunter2\n',
    'contracts/.cache/x.sql': 'SELECT 1;\n',
    'migrations/notes/README.md': 'why\n',
    'contracts/widget_insert.sql': 'INSERT INTO widgets (id) VALUES ($1);\n',
    // The snapshot's default place, beside the migrations: shipped once, as the snapshot, not among the migrations.
    'migrations/schema.snapshot.json': '{"format":1}\n',
  },
  'app',
);
const migrationsOnly = tempDir({ 'migrations/0001_gadgets.sql': 'CREATE TABLE gadgets (id int);\n' }, 'app');

/** Synthesise one function per set of files; returns each function's asset directory in the assembly. */
function synthesise(fileSets: UserFiles[]): string[] {
  const app = new App({ context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'Assets');
  const fns = fileSets.map(
    (files, k) => new lambda.Function(stack, `Fn${k}`, { code: handlerCode(files), handler: 'index.onEvent', runtime: lambda.Runtime.NODEJS_22_X }),
  );
  const assembly = app.synth();
  const template = assembly.getStackByName('Assets').template as { Resources: Record<string, { Metadata: Record<string, string> }> };
  return fns.map((fn) =>
    join(assembly.directory, template.Resources[stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction)]!.Metadata['aws:asset:path']!),
  );
}

/** Every file under `dir`, relative, sorted. */
function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

let dockerBefore: string | undefined;
let assets: string[];

beforeAll(() => {
  // A Docker that cannot start: bundling fails if anything tries to use it.
  dockerBefore = process.env.CDK_DOCKER;
  process.env.CDK_DOCKER = '/nonexistent/docker';
  assets = synthesise([resolveUserFiles('X', {}, withAll), resolveUserFiles('X', {}, migrationsOnly)]);
});
afterAll(() => {
  if (dockerBefore === undefined) delete process.env.CDK_DOCKER;
  else process.env.CDK_DOCKER = dockerBefore;
});

describe('Function: handlerCode', () => {
  it("carries the pre-built bundle byte for byte, the parser module, and the user's files under the names the handler reads (no dot files)", () => {
    const [asset] = assets;
    expect(listing(asset!)).toEqual([
      'contracts/widget_insert.sql',
      'index.js',
      'libpg-query.wasm',
      // Regression (tester): notes/README.md was shipped (and hashed); the handler reads only the folders' own .sql files.
      'migrations/0001_widgets.sql',
      // The CLI's commands for --function, loaded only by a direct invocation.
      'operator.js',
      'schema.snapshot.json',
    ]);
    for (const file of ['index.js', 'operator.js', 'libpg-query.wasm'])
      expect(readFileSync(join(asset!, file)).equals(readFileSync(join(HANDLER_BUNDLE_DIR, file)))).toBe(true);
    expect(readFileSync(join(asset!, 'schema.snapshot.json'), 'utf8')).toBe('{"format":1}\n');
  });

  it('carries only the files it was given: no contracts or snapshot the app does not have', () => {
    expect(listing(assets[1]!)).toEqual(['index.js', 'libpg-query.wasm', 'migrations/0001_gadgets.sql', 'operator.js']);
    expect(existsSync(join(assets[1]!, 'contracts'))).toBe(false);
  });

  it('gives each set of files its own asset, named by the hash of what it holds', () => {
    expect(assets[0]).not.toBe(assets[1]);
    const again = synthesise([resolveUserFiles('X', {}, migrationsOnly)]);
    expect(again[0]!.split('/').pop()).toBe(assets[1]!.split('/').pop());
    const changed = tempDir({ 'migrations/0001_gadgets.sql': 'CREATE TABLE gadgets (id bigint);\n' }, 'app');
    expect(
      synthesise([resolveUserFiles('X', {}, changed)])[0]!
        .split('/')
        .pop(),
    ).not.toBe(assets[1]!.split('/').pop());
  });
});

describe('Function: handlerCode, with links', () => {
  it('refuses a contract or migration linked out of its folder: nothing outside the folders ships in the function', () => {
    const secret = join(tempDir({ 'secrets.env': 'DB_PASSWORD=hunter2\n' }, 'elsewhere'), 'secrets.env');
    const app = tempDir({ 'migrations/0001_widgets.sql': 'CREATE TABLE widgets (id int);\n', 'contracts/a.sql': 'SELECT 1;\n' }, 'app');
    symlinkSync(secret, join(app, 'contracts', 'b.sql'));
    const files = resolveUserFiles('X', {}, app);

    expect(() => synthesise([files])).toThrow(new RegExp(`contracts/b\\.sql: a link to ${secret}, outside .*contracts: refused, not read`));
  });
});

describe('Function: checkHandlerBundle', () => {
  it('passes when the bundle is built, and names the missing files and the fix when it is not', () => {
    expect(() => checkHandlerBundle('SchemaMigrations')).not.toThrow();
    const empty = tempDir({ 'index.js': '' }, 'bundle');
    expect(() => checkHandlerBundle('SchemaMigrations', empty)).toThrow(
      `SchemaMigrations: the pre-built handler is missing (${join(empty, 'operator.js')}, ${join(empty, 'libpg-query.wasm')}); in the schemaguard repository run \`npm run build\`, in an app reinstall schemaguard (the package ships it)`,
    );
  });
});
