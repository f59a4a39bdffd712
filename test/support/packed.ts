/**
 * The package as `npm run tarball` writes it (scripts/pack.mjs: every part
 * built, packed from a staging folder), packed once per test run and shared
 * by the test files that install it (test/package/): a build takes minutes,
 * and two at once would rewrite dist/ under each other. The first file to ask
 * packs into the run's temporary directory; the others wait for its tarball.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../lib/paths';

/** The pack builds every part: minutes on a loaded machine. */
const PACK_MS = 900_000;

export interface Packed {
  tarball: string;
  files: { path: string }[];
}

/** Blocks this worker for `ms` (a test file's beforeAll waits for the other's pack). */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The run's tarball and its file list; `env`: the environment npm needs (its registry CA). */
export function packOnce(env: NodeJS.ProcessEnv = process.env): Packed {
  const dir = join(tmpdir(), 'schemaguard-packed');
  const done = join(dir, 'packed.json');
  const failed = join(dir, 'failed.txt');
  try {
    mkdirSync(dir);
  } catch {
    for (const until = Date.now() + PACK_MS; !existsSync(done) && !existsSync(failed) && Date.now() < until; ) sleep(500);
    if (existsSync(failed)) throw new Error(`npm pack failed in another test file: ${readFileSync(failed, 'utf8')}`);
    if (!existsSync(done)) throw new Error(`npm pack in another test file did not finish within ${PACK_MS / 1000} s`);
    return JSON.parse(readFileSync(done, 'utf8')) as Packed;
  }
  const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'scripts', 'pack.mjs'), '--json', '--pack-destination', dir], {
    cwd: PACKAGE_ROOT,
    env,
    encoding: 'utf8',
    timeout: PACK_MS,
  });
  if (r.status !== 0) {
    writeFileSync(failed, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
    throw new Error(`npm pack failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  const [out] = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
  const packed: Packed = { tarball: join(dir, out!.filename), files: out!.files };
  writeFileSync(done, JSON.stringify(packed));
  return packed;
}
