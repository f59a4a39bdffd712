'use strict';
// Runs a CLI bundle as a CommonJS module, keeping V8's compiled code for it
// on disk. bin/schemaguard.cjs uses it where Node.js has no
// module.enableCompileCache (before 22.8); from 22.8 it turns Node.js's own
// cache on instead. A run
// that reuses the code skips compiling the bundle and the functions the
// first run compiled: about 20 ms of a no-op `migrate` (BENCHMARKS.md).
//
// - Where: NODE_COMPILE_CACHE, else schemaguard-compile-cache-<uid> in the OS
//   temp directory. The directory must belong to this user and be writable
//   by no one else, or nothing is read or written there.
// - NODE_DISABLE_COMPILE_CACHE=1 turns it off, as it does Node.js's own.
// - A cache file is named by the bundle's SHA-256, the Node.js version and
//   the CPU architecture, because V8 itself checks only the source's length.
//   V8 refuses data that does not match its version or flags; the bundle then
//   compiles as usual.
// - The code is saved when a run that compiled afresh exits with 0 and the
//   caller wants it saved (a run that stopped early, or only printed help,
//   compiled little, and V8 keeps only what was compiled). Not when the run
//   changed V8's flags (`lint` and `plan` do, bin/cli/heap.ts): V8 would
//   refuse that code in every process that starts with the usual flags. It is
//   written to a temporary file and
//   renamed, so concurrent runs never read half a file. At most KEEP files
//   per bundle stay; the oldest go.
// - Nothing here throws: when anything fails, the bundle runs as require()
//   would run it.
const fs = require('node:fs');
const Module = require('node:module');
const { tmpdir } = require('node:os');
const { basename, dirname, join } = require('node:path');
const vm = require('node:vm');

const KEEP = 4;

/** The cache directory for `env`, or undefined when it cannot be trusted or made. */
function cacheDirectory(env) {
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const dir = env.NODE_COMPILE_CACHE || join(tmpdir(), `schemaguard-compile-cache-${uid ?? 'user'}`);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(dir);
    if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

/** The cache files of `file` start with this, in `dir`; the Node.js version follows (v20.…). */
function prefixOf(file) {
  return `${basename(file, '.cjs')}-v`;
}

/** The cache file of `file` whose bytes are `bytes`, in `dir`. */
function cacheFile(dir, file, bytes) {
  const hash = require('node:crypto').createHash('sha256').update(bytes).digest('hex').slice(0, 32);
  return join(dir, `${prefixOf(file)}${process.version.slice(1)}-${process.arch}-${hash}.v8`);
}

/** Writes `script`'s code (of `file`) to `target`, then keeps the KEEP newest cache files of that bundle. */
function save(script, file, target) {
  const temporary = `${target}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
    fs.renameSync(temporary, target);
    const dir = dirname(target);
    const prefix = prefixOf(file);
    const files = fs.readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.v8'))
      .map((f) => ({ f, at: fs.statSync(join(dir, f)).mtimeMs })).sort((a, b) => b.at - a.at);
    for (const { f } of files.slice(KEEP)) fs.rmSync(join(dir, f), { force: true });
  } catch {
    fs.rmSync(temporary, { force: true });
  }
}

/** A few bytes of code that V8 accepts again only while its flags are as they were when this ran. */
function flagsProbe() {
  return new vm.Script('void 0', { filename: 'schemaguard-v8-flags-at-start' }).createCachedData();
}

/** Whether V8's flags changed since `probe` was made (another name, or V8 would answer from its in-memory cache). */
function flagsChanged(probe) {
  return new vm.Script('void 0', { filename: 'schemaguard-v8-flags-at-exit', cachedData: probe }).cachedDataRejected === true;
}

/** Compiles `file` with the code in its cache file, if any (saved at exit when `keep`); undefined when the cache is off or unusable. */
function compile(file, env, keep) {
  if (env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  const dir = cacheDirectory(env);
  if (dir === undefined) return undefined;
  let bytes;
  try { bytes = fs.readFileSync(file); } catch { return undefined; }
  const target = cacheFile(dir, file, bytes);
  let cachedData;
  try { cachedData = fs.readFileSync(target); } catch { cachedData = undefined; }
  const script = new vm.Script(Module.wrap(bytes.toString('utf8')), { filename: file, cachedData });
  if (keep && (cachedData === undefined || script.cachedDataRejected)) {
    const probe = flagsProbe();
    process.once('exit', (code) => {
      try {
        if (code === 0 && !flagsChanged(probe)) save(script, file, target);
      } catch { /* no cache this time */ }
    });
  }
  return script;
}

/**
 * Runs the bundle `file` as require(file) would, through the code cache where
 * there is one to use; `save: false` reads the cache but never writes it.
 */
function runBundle(file, { env = process.env, save = true } = {}) {
  let script;
  try { script = compile(file, env, save); } catch { script = undefined; }
  if (script === undefined) return require(file);
  // Code read back from V8's cache has lost Node.js's import() hook (Node.js
  // 20): the bundle loads packages on demand through this importer instead
  // (lambda/engine/import-module.ts).
  globalThis[Symbol.for('schemaguard.importModule')] = (specifier) => import(specifier);
  const bundle = new Module(file, module);
  bundle.filename = file;
  bundle.paths = Module._nodeModulePaths(dirname(file));
  Module._cache[file] = bundle;
  script.runInThisContext().call(bundle.exports, bundle.exports, Module.createRequire(file), bundle, file, dirname(file));
  bundle.loaded = true;
  return bundle.exports;
}

module.exports = { runBundle, cacheDirectory };
