/**
 * The one way schemaguard's code loads a package on demand (`import()`).
 *
 * The CLI's launcher runs its bundle from V8's code cache where Node.js has no
 * compile cache of its own (bin/code-cache.cjs), and code V8 reads back from
 * that cache has lost Node.js's `import()` hook on Node.js 20: an `import()`
 * in it throws "A dynamic import callback was not specified". The launcher
 * then provides an importer of its own under IMPORTER, and `load` is not
 * called. Everywhere else (the library, the Lambda handler, the tests) `load`
 * runs: it is the literal `() => import('name')` a bundler follows.
 */
export const IMPORTER = Symbol.for('schemaguard.importModule');

/** The module `specifier`, through the launcher's importer when there is one, else through `load`. */
export function importModule<T>(specifier: string, load: () => Promise<T>): Promise<T> {
  const importer = (globalThis as { [IMPORTER]?: (specifier: string) => Promise<unknown> })[IMPORTER];
  return importer ? (importer(specifier) as Promise<T>) : load();
}
