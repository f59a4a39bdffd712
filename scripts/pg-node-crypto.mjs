// An esbuild plugin for the CLI bundle: pg's lib/crypto/utils.js (SCRAM and
// MD5 password hashing over Web Crypto) replaced by pg-node-crypto.cjs, the
// same functions on node:crypto — about 4 ms less per cold connection.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const source = join(dirname(fileURLToPath(import.meta.url)), 'pg-node-crypto.cjs');

export const pgNodeCrypto = {
  name: 'pg-node-crypto',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]pg[\\/]lib[\\/]crypto[\\/]utils\.js$/ }, () => ({
      loader: 'js',
      contents: readFileSync(source, 'utf8'),
    }));
  },
};
