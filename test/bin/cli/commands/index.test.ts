/**
 * The CLI bundle (scripts/build-cli.mjs, built by the test setup) is one
 * CommonJS file in which a module runs when it is first imported: what the
 * entry and a command's module import statically runs when that command
 * does, and a module imported dynamically (each command's, from the command
 * table) only when that import runs. What `migrate` and `status` run — the
 * entry, their own module, and everything those import statically — holds
 * no linter, no SQL parser, no lock tables, no doctor, no AWS SDK and no CDK.
 * Read from esbuild's own module graph of the bundle (its metafile), built
 * with the bundle's options, so it is the code Node would run, not what the
 * sources say.
 */
import { readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS, CORE_COMMANDS } from '../../../../bin/cli/registry';

const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
const BUNDLE = join(ROOT, 'dist', 'schemaguard.cjs');
const CORE = join(ROOT, 'dist', 'schemaguard-core.cjs');

let graph: Metafile['inputs'];
/** The core bundle's modules (dist/schemaguard-core.cjs: bin/schemaguard-core.ts). */
let core: string[];
beforeAll(async () => {
  type Options = () => Parameters<typeof build>[0];
  const { cliBuildOptions, coreBuildOptions } = (await import(pathToFileURL(join(ROOT, 'scripts', 'build-cli.mjs')).href)) as {
    cliBuildOptions: Options;
    coreBuildOptions: Options;
  };
  graph = (await build({ ...cliBuildOptions(), metafile: true, logLevel: 'silent' })).metafile!.inputs;
  core = Object.keys((await build({ ...coreBuildOptions(), metafile: true, logLevel: 'silent' })).metafile!.inputs);
}, 60_000);

/** `from` and what it imports statically (import statements, require calls), transitively: what runs when `from` does. */
function staticClosure(from: string, seen = new Set<string>()): Set<string> {
  if (seen.has(from)) return seen;
  seen.add(from);
  for (const edge of graph[from]?.imports ?? []) {
    if (edge.kind === 'dynamic-import' || edge.external) continue;
    staticClosure(edge.path, seen);
  }
  return seen;
}

/** What a command runs: the entry, the command's module, and their static imports (repository paths and packages). */
function loadedBy(command: string): string[] {
  const entry = relative(ROOT, join(ROOT, 'bin', 'schemaguard.ts'));
  const own = relative(ROOT, join(ROOT, 'bin', 'cli', 'commands', `${command}.ts`));
  expect(graph[own], `${own} in the bundle`).toBeDefined();
  return [...staticClosure(own, staticClosure(entry))];
}

/** The packages a command imports at run time from outside the bundle (`import("libpg-query")`). */
function externalsOf(modules: string[]): string[] {
  return modules.flatMap((m) => (graph[m]?.imports ?? []).filter((e) => e.external).map((e) => e.path));
}

const NEVER_FOR_MIGRATE = [
  // The handler's but two modules: the operator protocol's names (no imports), from which the arguments know the commands --function runs,
  // and the construct/handler contract (the engine's defaults and errors only), from which the project file's settings take their bounds.
  // lib/config (the project file every command reads) imports nothing of the CDK: the rest of lib/ does.
  /^lambda\/checks\//,
  /^lambda\/schema\//,
  /^lambda\/handler\/(?!(operator-protocol|contract)\.ts$)/,
  /^lib\/(?!config\/(settings|load)\.ts$)/,
  /^bin\/cli\/output\/(sarif|rules|findings)/,
  /node_modules\/(libpg-query|@aws-sdk|aws-cdk-lib|constructs|undici|vscode-languageserver[^/]*)\//,
  /^bin\/cli\/lsp\//,
];

/** What migrate imports when it runs: the replication check (and the parser's module, read only when a publication or an active logical slot exists). */
const REPLICATION_CHECK = [
  'lambda/checks/replication/refusal.ts',
  'lambda/checks/replication/carriers.ts',
  'lambda/checks/replication/standbys.ts',
  'lambda/checks/replication/ddl.ts',
  'lambda/checks/parser/parse.ts',
  'lambda/checks/parser/long-tokens.ts',
  'lambda/checks/parser/values-rows.ts',
];

describe('the CLI bundle', () => {
  it.each(['migrate', 'status'])('%s runs the engine and the pg driver, and none of the linter, the parser, the doctor, the SDK or the CDK', (command) => {
    const modules = loadedBy(command);
    expect(modules).toEqual(expect.arrayContaining(['lambda/engine/runner.ts', 'lambda/driver/pg/pg-driver.ts', 'node_modules/pg/lib/client.js']));
    expect(modules.filter((s) => NEVER_FOR_MIGRATE.some((r) => r.test(s)))).toEqual([]);
    expect(externalsOf(modules)).not.toContain('libpg-query');
  });

  it('is one CommonJS file, with the SQL parser outside it, imported where lint needs it', () => {
    const bundle = readFileSync(BUNDLE, 'utf8');
    expect(bundle).not.toMatch(/^import |^export /m);
    expect(bundle).toContain('import("libpg-query")');
    expect(bundle).not.toContain('require("libpg-query")');
  });

  it('gives pg the Node.js socket directly, without its Cloudflare probe (which loads fetch)', () => {
    const modules = loadedBy('migrate');
    expect(modules).toContain('node_modules/pg/lib/stream.js');
    const bundle = readFileSync(BUNDLE, 'utf8');
    expect(bundle).not.toContain('isCloudflareRuntime');
    expect(bundle).not.toContain('pg-cloudflare');
  });

  it('the core bundle holds the commands of a deploy and not the others: none of the linter, the parser, the doctor, the SDK or the CDK', () => {
    for (const command of CORE_COMMANDS) expect(core, command).toContain(`bin/cli/commands/${command}.ts`);
    for (const command of COMMANDS.filter((c) => !(CORE_COMMANDS as readonly string[]).includes(c)))
      expect(core, command).not.toContain(`bin/cli/commands/${command}.ts`);
    expect(core).toEqual(expect.arrayContaining(['lambda/engine/runner.ts', 'lambda/driver/pg/pg-driver.ts']));
    // Of the checks, only the replication check, which migrate imports when it runs (and the parser's module, which it imports only when a publication or slot exists).
    expect(core.filter((s) => NEVER_FOR_MIGRATE.some((r) => r.test(s))).sort()).toEqual([...REPLICATION_CHECK].sort());
    // About half of the whole bundle for Node.js to compile.
    expect(statSync(CORE).size).toBeLessThan(0.6 * statSync(BUNDLE).size);
  });

  it('runs the linter for lint: nothing of it is lost', () => {
    const modules = loadedBy('lint');
    expect(modules).toContain('bin/cli/commands/lint.ts');
    expect(modules.filter((s) => s.startsWith('lambda/checks/lint')).length).toBeGreaterThan(0);
  });

  it('runs the language server for lsp alone, its protocol packages outside the bundle', () => {
    const external = (m: string[]) => externalsOf(m).filter((p) => p.startsWith('vscode-languageserver'));
    expect(external(loadedBy('lsp'))).toEqual([]);
    // The command's module imports the server when it runs: what that loads, only then.
    const server = [...staticClosure('bin/cli/lsp/server.ts')];
    expect(external(server)).toEqual(expect.arrayContaining(['vscode-languageserver/node', 'vscode-languageserver-textdocument']));
    expect(server).toEqual(expect.arrayContaining(['lambda/checks/lint/index.ts', 'lambda/checks/locks/plan-locks.ts']));
    for (const command of ['migrate', 'status', 'lint', 'plan']) expect(external(loadedBy(command)), command).toEqual([]);
  });
});
