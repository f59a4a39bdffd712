/**
 * The one way schemaguard's code loads a package on demand (`import()`).
 *
 * The CLI's launcher may run its bundle through `vm.Script` with V8's code
 * cache (bin/code-cache.cjs), where `import()` has no loader ("A dynamic
 * import callback was not specified"), so it provides one under IMPORTER.
 * Everywhere else `load` runs: the literal `() => import('name')` a bundler follows.
 */
export const IMPORTER = Symbol.for('schemaguard.importModule');

/** The module `specifier`, through the launcher's importer when there is one, else through `load`. */
export function importModule<T>(specifier: string, load: () => Promise<T>): Promise<T> {
  const importer = (globalThis as { [IMPORTER]?: (specifier: string) => Promise<unknown> })[IMPORTER];
  return importer ? (importer(specifier) as Promise<T>) : load();
}
