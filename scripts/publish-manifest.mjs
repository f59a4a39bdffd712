// The package.json an app installs. The repository's own names scripts that
// build, test and benchmark it from files the package does not ship
// (scripts/, bench/, vitest, tsx); `prepare` among them is an install-time
// script to npm, so npm 11 listed `schemaguard (prepare: node
// scripts/build.mjs cli handler)` to every app that installed the package,
// asking to allow a script whose file is not there. The tarball gets the
// manifest without `scripts`:
//   npm run tarball   packs from a staging folder with it (scripts/pack.mjs)
//   prepack:          node scripts/publish-manifest.mjs refuse-pack
//   prepublishOnly:   node scripts/publish-manifest.mjs refuse-publish
// npm packs the package.json on disk: `npm pack` (or `npm publish`) run in the
// repository would ship its scripts, or rewrite its package.json in place and
// hope to put it back. Both are refused, saying what to run; a release
// publishes the tarball (`npm run tarball`, then `npm publish
// schemaguard-<version>.tgz`).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Fields of the repository's package.json that the published one leaves out. */
export const DEV_ONLY_FIELDS = ['scripts'];

/** The published manifest: the repository's without DEV_ONLY_FIELDS, every other field as it is, in its order. */
export function publishedManifest(manifest) {
  return Object.fromEntries(Object.entries(manifest).filter(([key]) => !DEV_ONLY_FIELDS.includes(key)));
}

/**
 * The published manifest written in place of `root`'s package.json, through
 * a rename (a reader never sees half a file). Only for a copy npm throws away
 * after packing it: the clone npm makes of a git dependency (build.mjs
 * prepare), never a working tree.
 */
export function strip(root) {
  const path = join(root, 'package.json');
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(publishedManifest(JSON.parse(readFileSync(path, 'utf8'))), null, 2)}\n`);
  renameSync(temp, path);
}

/** Why `npm publish` from the directory is refused, and what to run. */
export function refusePublishMessage(manifest) {
  return (
    `npm publish from the directory would send the registry this repository's package.json, scripts and all, ` +
    'and npm 11 would list its "prepare" to every app that installs schemaguard; publish the tarball npm run tarball writes instead: ' +
    `npm run tarball && npm publish ${manifest.name}-${manifest.version}.tgz`
  );
}

/** Why `npm pack` in the repository is refused, and what to run. */
export const REFUSE_PACK_MESSAGE =
  'npm pack packs the package.json on disk, this repository\'s scripts and all (npm 11 would list its "prepare" to every app that installs the tarball); ' +
  "run npm run tarball instead: it packs the published package.json from a staging folder, and takes npm pack's flags after -- (npm run tarball -- --pack-destination DIR)";

const COMMANDS = {
  'refuse-publish': (root) => {
    process.stderr.write(`${refusePublishMessage(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')))}\n`);
    process.exit(1);
  },
  'refuse-pack': () => {
    process.stderr.write(`${REFUSE_PACK_MESSAGE}\n`);
    process.exit(1);
  },
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const command = COMMANDS[process.argv[2] ?? ''];
  if (!command) {
    process.stderr.write(`scripts/publish-manifest.mjs: unknown command "${process.argv[2] ?? ''}"; the commands are ${Object.keys(COMMANDS).join(', ')}\n`);
    process.exit(2);
  }
  command(join(dirname(fileURLToPath(import.meta.url)), '..'));
}
