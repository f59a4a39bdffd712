// `npm run tarball`: the package as an app installs it (schemaguard-<version>.tgz), packed from a staging
// folder. Every part is built, the files npm would pack are copied to a temporary folder with the published
// package.json (the repository's without its scripts: publish-manifest.mjs), and npm packs that folder. The
// working tree is only read: a pack interrupted at any point leaves its package.json as it was (npm packs the
// package.json on disk, so packing the repository itself meant rewriting it in place and putting it back).
// Flags go to npm pack: npm run tarball -- --pack-destination DIR (default: here), --json, --dry-run.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildAll } from './build.mjs';
import { publishedManifest } from './publish-manifest.mjs';

/** npm with `args` in `cwd`: its exit code and what it wrote to stdout (`inherit`: straight to ours). */
function npm(args, cwd, children, inherit = false) {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { cwd, stdio: ['ignore', inherit ? 'inherit' : 'pipe', 'inherit'] });
    children.add(child);
    let stdout = '';
    child.stdout?.on('data', (d) => {
      stdout += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      children.delete(child);
      resolve({ code: code ?? 1, stdout });
    });
  });
}

/** The files npm would pack from `root` (its `files`, README, LICENSE, package.json), as npm lists them, no script run. */
export async function packedFiles(root, children = new Set()) {
  const r = await npm(['pack', '--dry-run', '--json', '--ignore-scripts'], root, children);
  if (r.code !== 0) throw new Error(`npm pack --dry-run in ${root} failed (exit ${r.code})`);
  return JSON.parse(r.stdout)[0].files.map((f) => f.path);
}

/** Those files copied from `root` into `staging`, and the published manifest as its package.json. */
export function stage(root, files, staging) {
  for (const path of files.filter((p) => p !== 'package.json')) {
    mkdirSync(dirname(join(staging, path)), { recursive: true });
    cpSync(join(root, path), join(staging, path));
  }
  const manifest = publishedManifest(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')));
  writeFileSync(join(staging, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Packs `root` from a staging folder under the system's temporary directory,
 * removed when the pack ends or is interrupted (SIGINT, SIGTERM: npm stopped
 * too); `args` are npm pack's. The tarball lands where npm pack would put it
 * run in `root`. Resolves to npm's exit code.
 */
export async function packStaged(root, args = []) {
  const staging = mkdtempSync(join(tmpdir(), 'schemaguard-pack-'));
  const children = new Set();
  const onSignal = (signal) => {
    for (const child of children) child.kill(signal);
    rmSync(staging, { recursive: true, force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    stage(root, await packedFiles(root, children), staging);
    return (await npm(['pack', staging, ...args], root, children, true)).code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    rmSync(staging, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    await buildAll();
    process.exitCode = await packStaged(join(dirname(fileURLToPath(import.meta.url)), '..'), process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}
