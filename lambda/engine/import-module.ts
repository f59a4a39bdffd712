/**
 * The one way schemaguard's code loads a package on demand (`import()`).
 *
 * The CLI's launcher runs its bundle through `vm.Script` with V8's code cache
 * where Node.js has no compile cache of its own (bin/code-cache.cjs). An
 * `import()` in such a script has no loader behind it ("A dynamic import
 * callback was not specified"; code read back from the cache loses even the
 * one `vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER` gives, on Node.js 20).
 * The launcher then provides an importer of its own under IMPORTER, and
 * `load` is not called. Everywhere else (the library, the Lambda handler, the tests) `load`
 * runs: it is the literal `() => import('name')` a bundler follows.
 */
export const IMPORTER = Symbol.for('schemaguard.importModule');

/** The module `specifier`, through the launcher's importer when there is one, else through `load`. */
export function importModule<T>(specifier: string, load: () => Promise<T>): Promise<T> {
  const importer = (globalThis as { [IMPORTER]?: (specifier: string) => Promise<unknown> })[IMPORTER];
  return importer ? (importer(specifier) as Promise<T>) : load();
}
