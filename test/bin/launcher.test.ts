/**
 * The executable (bin/schemaguard.cjs) runs the core bundle for the commands
 * of a deploy named first (`schemaguard migrate …`), and the whole CLI for
 * every other command line; both give the same help. Which bundle ran is
 * read from the process's own module cache (a preload writes it at exit).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS, CORE_COMMANDS } from '../../bin/cli/registry';
import { CLI } from '../support/cli';
import { readCompiles, writeCompileSpy } from '../support/v8-compiles';

/** Node.js 22.8+ has a compile cache of its own, which the launcher turns on instead of bin/code-cache.cjs. */
const nodeCompileCache = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function';
const scratch = mkdtempSync(join(tmpdir(), 'schemaguard-launcher-'));
const preload = join(scratch, 'bundles.cjs');
writeFileSync(
  preload,
  `process.on('exit', () => require('node:fs').writeFileSync(process.env.BUNDLES_FILE,
  JSON.stringify(Object.keys(require.cache).filter((f) => /[\\\\/]dist[\\\\/][^\\\\/]+\\.cjs$/.test(f)).map((f) => require('node:path').basename(f)))));\n`,
);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The bundles the executable loaded for `args`, and what it printed. */
function run(args: string[]): { bundles: string[]; stdout: string; code: number | null } {
  const file = join(scratch, `bundles-${args.join('_').replace(/\W/g, '')}.json`);
  const r = spawnSync(process.execPath, ['--require', preload, CLI, ...args], { encoding: 'utf8', env: { ...process.env, BUNDLES_FILE: file } });
  return { bundles: JSON.parse(readFileSync(file, 'utf8')) as string[], stdout: r.stdout, code: r.status };
}

describe('bin/schemaguard.cjs', () => {
  let whole: ReturnType<typeof run>;
  beforeAll(() => {
    whole = run(['--help']);
  });

  it.each(CORE_COMMANDS)('%s first: the core bundle alone, with the same help of the command as the whole CLI', (command) => {
    const r = run([command, '--help']);

    expect(r.bundles).toEqual(['schemaguard-core.cjs']);
    expect(r.code).toBe(0);
    const fromWhole = run(['--quiet', 'help', command]);
    expect(fromWhole.bundles).toEqual(['schemaguard.cjs']);
    expect(r.stdout).toBe(fromWhole.stdout);
    expect(r.stdout).toMatch(new RegExp(`^schemaguard \\S+ — ${command}: `));
  });

  it.each(COMMANDS.filter((c) => !(CORE_COMMANDS as readonly string[]).includes(c)))('%s: the whole CLI', (command) => {
    expect(run([command, '--help']).bundles).toEqual(['schemaguard.cjs']);
  });

  it('flags before the command, --version, no arguments: the whole CLI', () => {
    expect(whole.bundles).toEqual(['schemaguard.cjs']);
    expect(run(['--dir', 'migrations', 'migrate', '--help']).bundles).toEqual(['schemaguard.cjs']);
    expect(run(['--version']).bundles).toEqual(['schemaguard.cjs']);
    expect(run([]).bundles).toEqual(['schemaguard.cjs']);
  });

  it('help prints the help of --help, and help migrate that of migrate --help, exit 0 (help was an unknown command)', () => {
    const r = run(['help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(whole.stdout);
    const m = run(['help', 'migrate']);
    expect(m.code).toBe(0);
    expect(m.stdout).toBe(run(['migrate', '--help']).stdout);
  });
});

describe('bin/schemaguard.cjs with its code cache (bin/code-cache.cjs; Node.js before 22.8)', () => {
  const dir = join(scratch, 'cached');
  const cache = join(scratch, 'code-cache');
  const spy = writeCompileSpy(scratch);
  const compiles = join(scratch, 'compiles.json');
  const { NODE_DISABLE_COMPILE_CACHE: _off, ...base } = process.env;
  const cli = (args: string[]) => {
    // From the scratch folder: no project file, no embedded server's data, no git base.
    const r = spawnSync(process.execPath, ['--require', spy, CLI, ...args], {
      encoding: 'utf8',
      cwd: scratch,
      env: { ...base, NODE_COMPILE_CACHE: cache, V8_COMPILES_FILE: compiles },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, compiles: readCompiles(compiles) };
  };

  it.runIf(!nodeCompileCache)(
    "a command that succeeds leaves its bundle's code; the next run of either bundle compiles from it, and loads the parser through it",
    () => {
      mkdirSync(dir);
      // lint changes V8's flags as it runs (bin/cli/heap.ts): code saved then would be refused by every other run.
      expect(cli(['lint', '--dir', dir])).toMatchObject({ code: 0, compiles: [{ file: 'schemaguard.cjs', cached: false, rejected: false }] });
      expect(cli(['--version'])).toMatchObject({ code: 0, compiles: [{ file: 'schemaguard.cjs', cached: false }] });
      expect(cli(['help', '--quiet'])).toMatchObject({ code: 0, compiles: [{ file: 'schemaguard.cjs', cached: false }] });
      // No command: a usage error, which leaves no code either.
      expect(cli(['--quiet'])).toMatchObject({ code: 2, compiles: [{ file: 'schemaguard.cjs', cached: false }] });
      expect(readdirSync(cache)).toEqual([]);
      expect(cli(['--dir', dir, 'new', 'first'])).toMatchObject({ code: 0, compiles: [{ file: 'schemaguard.cjs', cached: false }] });
      expect(cli(['new', 'second', '--dir', dir])).toMatchObject({ code: 0, compiles: [{ file: 'schemaguard-core.cjs', cached: false }] });
      expect(
        readdirSync(cache)
          .map((f) => f.split('.')[0])
          .sort(),
      ).toEqual(['schemaguard', 'schemaguard-core']);
      // Written: lint refuses a file still as new wrote it, as migrate does.
      for (const f of readdirSync(dir)) appendFileSync(join(dir, f), 'SELECT 1;\n');

      const lint = cli(['lint', '--dir', dir]);
      const again = cli(['new', 'third', '--dir', dir]);

      expect(lint).toMatchObject({ code: 0, compiles: [{ file: 'schemaguard.cjs', cached: true, rejected: false }] });
      expect(lint.stdout).toMatch(/^lint: 2 files, 0 errors/m);
      expect(again).toMatchObject({ code: 0, compiles: [{ file: 'schemaguard-core.cjs', cached: true, rejected: false }] });
      expect(readdirSync(dir)).toHaveLength(3);
      expect(readdirSync(cache)).toHaveLength(2);
    },
  );
});
