// The package.json an app installs. The repository's own names scripts that
// build, test and benchmark it from files the package does not ship
// (scripts/, bench/, vitest, tsx); `prepare` among them is an install-time
// script to npm, so npm 11 listed `schemaguard (prepare: node
// scripts/build.mjs cli handler)` to every app that installed the package,
// asking to allow a script whose file is not there. `npm pack` writes the
// package.json without `scripts` for the tarball and puts the repository's
// back afterwards:
//   prepack:        node scripts/build.mjs && node scripts/publish-manifest.mjs strip
//   postpack:       node scripts/publish-manifest.mjs restore
//   prepublishOnly: node scripts/publish-manifest.mjs refuse-publish
// npm packs the package.json on disk (and, with no `prepare` in it, runs none
// during the pack: prepack builds every part). `npm publish` from the
// directory reads package.json again after postpack, so the registry would
// get the repository's scripts: a release publishes the tarball instead
// (`npm pack`, then `npm publish schemaguard-<version>.tgz`), and a publish
// from the directory is refused, saying so.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Fields of the repository's package.json that the published one leaves out. */
export const DEV_ONLY_FIELDS = ['scripts'];

/** Where `strip` keeps the repository's package.json until `restore` (gitignored, never packed: not in `files`). */
export const BACKUP_NAME = 'package.repo.json';

/** The published manifest: the repository's without DEV_ONLY_FIELDS, every other field as it is, in its order. */
export function publishedManifest(manifest) {
  return Object.fromEntries(Object.entries(manifest).filter(([key]) => !DEV_ONLY_FIELDS.includes(key)));
}

/** Through a rename, so a process reading it meanwhile (a test, a synth) never reads half a file. */
function writeWhole(path, text) {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}

/**
 * package.json → BACKUP_NAME, and the published manifest written in its
 * place. When package.json is already stripped (a pack that died before its
 * postpack) and a backup is there, the backup is the repository's: it is
 * kept and the manifest written from it, so a second strip never loses the
 * scripts. A package.json with its fields (put back by hand) replaces a
 * stale backup.
 */
export function strip(root) {
  const path = join(root, 'package.json');
  const backup = join(root, BACKUP_NAME);
  let text = readFileSync(path, 'utf8');
  const stripped = DEV_ONLY_FIELDS.every((key) => !(key in JSON.parse(text)));
  if (stripped && existsSync(backup)) text = readFileSync(backup, 'utf8');
  else writeWhole(backup, text);
  writeWhole(path, `${JSON.stringify(publishedManifest(JSON.parse(text)), null, 2)}\n`);
}

/** The repository's package.json back from BACKUP_NAME, byte for byte; nothing to do without one. Returns whether it restored. */
export function restore(root) {
  const backup = join(root, BACKUP_NAME);
  if (!existsSync(backup)) return false;
  renameSync(backup, join(root, 'package.json'));
  return true;
}

/** Why `npm publish` from the directory is refused, and what to run. */
export function refusePublishMessage(manifest) {
  return (
    `npm publish from the directory would send the registry this repository's package.json, scripts and all (npm reads it again after postpack restored it), ` +
    'and npm 11 would list its "prepare" to every app that installs schemaguard; publish the tarball npm pack writes instead: ' +
    `npm pack && npm publish ${manifest.name}-${manifest.version}.tgz`
  );
}

const COMMANDS = {
  strip: (root) => strip(root),
  restore: (root) => {
    restore(root);
  },
  'refuse-publish': (root) => {
    process.stderr.write(`${refusePublishMessage(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')))}\n`);
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
