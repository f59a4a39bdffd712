'use strict';
// Runs a CLI bundle as a CommonJS module, keeping V8's compiled code for it
// on disk. bin/schemaguard.cjs uses it where Node.js has no
// module.enableCompileCache (before 22.8); from 22.8 it turns Node.js's own
// cache on instead. A run that reuses the code skips compiling the bundle and
// the functions an earlier run compiled: about 10 ms of CPU per no-op
// `migrate` on Node.js 20 (BENCHMARKS.md, "A code cache on Node.js 20").
//
// - Where: NODE_COMPILE_CACHE, else schemaguard-compile-cache-<uid> in the OS
//   temp directory. The directory and the file must belong to this user and
//   be writable by no one else (a umask of 002 makes a directory others of
//   the group can write: it is not used), or nothing is read or written.
// - NODE_DISABLE_COMPILE_CACHE=1 turns it off, as it does Node.js's own; so
//   does --enable-source-maps, which maps stack traces only for require().
// - A file's name is a SHA-256 of the bundle's path, its bytes, the Node.js
//   version and CPU, and V8's version and flags. V8 itself checks only the
//   source's length, and keeps the path it compiled (stack traces would name
//   another install's copy).
// - The file holds a SHA-256 of the code, checked before V8 sees it: V8 does
//   not check the code it is given (Node.js 20), and a damaged file would
//   crash every run.
// - What is saved is what the run compiled, so it is saved only when the
//   bundle says a command ran (CODE_CACHE below, set by bin/cli/run-cli.ts):
//   'save' keeps the code when there is none; 'prefer' (the main command)
//   also replaces code another command saved; 'skip' (help, the version)
//   never saves. Never after a run that exits non-zero, nor one that changed
//   V8's flags (`lint` and `plan` do, bin/cli/heap.ts): V8 would refuse that
//   code in a process started with the usual flags.
// - Written to a temporary file and renamed: concurrent runs never read half
//   a file. At most KEEP files per bundle stay; the oldest go.
// - Nothing here throws: when anything fails, the bundle runs as require()
//   would run it.
const crypto = require('node:crypto');
const fs = require('node:fs');
const Module = require('node:module');
const { tmpdir } = require('node:os');
const { basename, dirname, join, resolve } = require('node:path');
const vm = require('node:vm');

const KEEP = 8;
/** Where the bundle says what ran: 'save', 'prefer' or 'skip'. */
const CODE_CACHE = Symbol.for('schemaguard.codeCache');
/** Where the bundle finds an importer (lambda/engine/runtime/import-module.ts). */
const IMPORTER = Symbol.for('schemaguard.importModule');
/** A file: MAGIC, one byte (1: saved by a 'prefer' run), the SHA-256 of the code, the code. */
const MAGIC = Buffer.from('sgv8c01\n');
const HEADER = MAGIC.length + 1 + 32;
const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;

/** Whether `st` belongs to this user and no one else can write to it (Windows has no such modes). */
function ours(st) {
  return process.platform === 'win32' || ((uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0);
}

/** The cache directory for `env`, or undefined when it cannot be trusted or made. */
function cacheDirectory(env) {
  const dir = env.NODE_COMPILE_CACHE || join(tmpdir(), `schemaguard-compile-cache-${uid ?? 'user'}`);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(dir);
    return st.isDirectory() && ours(st) ? dir : undefined;
  } catch {
    return undefined;
  }
}

const sha256 = (...parts) => parts.reduce((h, p) => h.update(p), crypto.createHash('sha256')).digest();

/** A few bytes of code that V8 accepts again only while its flags are as they were when this ran. */
function flagsProbe() {
  return new vm.Script('void 0', { filename: 'schemaguard-v8-flags-at-start' }).createCachedData();
}

/** Whether V8's flags changed since `probe` was made (another name, or V8 would answer from its in-memory cache). */
function flagsChanged(probe) {
  return new vm.Script('void 0', { filename: 'schemaguard-v8-flags-at-exit', cachedData: probe }).cachedDataRejected === true;
}

/** The cache files of `file` start with this, in their directory. */
const prefixOf = (file) => `${basename(file, '.cjs')}.`;

/** The code in `target` with whether a 'prefer' run saved it, or undefined when it is missing, not ours, or damaged. */
function readCode(target) {
  let fd;
  try {
    fd = fs.openSync(target, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    const st = fs.fstatSync(fd);
    if (!st.isFile() || !ours(st) || st.size < HEADER) return undefined;
    const bytes = fs.readFileSync(fd);
    const code = bytes.subarray(HEADER);
    if (!bytes.subarray(0, MAGIC.length).equals(MAGIC) || !sha256(code).equals(bytes.subarray(MAGIC.length + 1, HEADER))) return undefined;
    return { code, preferred: bytes[MAGIC.length] === 1 };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Writes `script`'s code to `target`, then keeps the KEEP newest cache files of `file` (and no stale temporary files). */
function save(script, file, target, preferred) {
  const temporary = `${target}.${crypto.randomBytes(6).toString('hex')}.tmp`;
  try {
    const code = script.createCachedData();
    fs.writeFileSync(temporary, Buffer.concat([MAGIC, Buffer.from([preferred ? 1 : 0]), sha256(code), code]), { mode: 0o600, flag: 'wx' });
    fs.renameSync(temporary, target);
    const dir = dirname(target);
    const prefix = prefixOf(file);
    const files = fs.readdirSync(dir).filter((f) => f.startsWith(prefix))
      .map((f) => ({ f, at: fs.statSync(join(dir, f)).mtimeMs })).sort((a, b) => b.at - a.at);
    const stale = Date.now() - 600_000;
    const gone = [...files.filter(({ f }) => f.endsWith('.v8')).slice(KEEP), ...files.filter(({ f, at }) => f.endsWith('.tmp') && at < stale)];
    for (const { f } of gone) fs.rmSync(join(dir, f), { force: true });
  } catch {
    fs.rmSync(temporary, { force: true });
  }
}

/** Compiles `file` with the code in its cache file, if any (saved at exit when the run earns it); undefined when the cache is off or unusable. */
function compile(file, env) {
  if (env.NODE_DISABLE_COMPILE_CACHE || process.sourceMapsEnabled) return undefined;
  const dir = cacheDirectory(env);
  if (dir === undefined) return undefined;
  let bytes;
  try { bytes = fs.readFileSync(file); } catch { return undefined; }
  const probe = flagsProbe();
  // The probe's first 16 bytes: V8's magic number, version and flag hash.
  const key = sha256(file, '\0', bytes, '\0', `${process.version} ${process.arch}\0`, probe.subarray(0, 16));
  const target = join(dir, `${prefixOf(file)}${key.toString('hex').slice(0, 32)}.v8`);
  const cached = readCode(target);
  const script = new vm.Script(Module.wrap(bytes.toString('utf8')), { filename: file, cachedData: cached?.code });
  const accepted = cached !== undefined && script.cachedDataRejected !== true;
  process.once('exit', (code) => {
    try {
      const ran = globalThis[CODE_CACHE];
      const wanted = ran === 'prefer' ? !(accepted && cached.preferred) : ran === 'save' && !accepted;
      if (code === 0 && wanted && !flagsChanged(probe)) save(script, file, target, ran === 'prefer');
    } catch { /* no cache this time */ }
  });
  return script;
}

/** Runs the bundle `file` as require(file) would, through the code cache where there is one to use. */
function runBundle(bundleFile, env = process.env) {
  const file = resolve(bundleFile);
  let script;
  try { script = compile(file, env); } catch { script = undefined; }
  if (script === undefined) return require(file);
  // A vm.Script's import() has no loader behind it (and code V8 reads back
  // from its cache loses even the one vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER
  // gives): the bundle loads packages on demand through this importer instead.
  globalThis[IMPORTER] = (specifier) => import(specifier);
  const bundle = new Module(file, module);
  bundle.filename = file;
  bundle.paths = Module._nodeModulePaths(dirname(file));
  Module._cache[file] = bundle;
  script.runInThisContext().call(bundle.exports, bundle.exports, Module.createRequire(file), bundle, file, dirname(file));
  bundle.loaded = true;
  return bundle.exports;
}

module.exports = { runBundle };
