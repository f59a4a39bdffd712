// Bundles the start-up floor (bench/lib/startup-floor.cjs) with `pg` as the
// CLI's bundle has it (scripts/build-cli.mjs: the same two plugins), so the
// floor pays for `pg` what schemaguard pays and no more.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pgNodeCrypto } from '../../scripts/pg-node-crypto.mjs';
import { pgNodeStreams } from '../../scripts/pg-node-streams.mjs';

const here = dirname(fileURLToPath(import.meta.url));

export async function buildStartupFloor(outfile) {
  await build({
    entryPoints: [join(here, 'startup-floor.cjs')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['pg-native'],
    plugins: [pgNodeStreams, pgNodeCrypto],
    logLevel: 'warning',
  });
  return outfile;
}
