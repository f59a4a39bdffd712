/**
 * The custom resource's default memory (SchemaMigrations `memorySize`, 256 MB)
 * holds the largest migration file the engine accepts (MAX_FILE_BYTES, 16 MiB
 * of single-row INSERTs, or of one INSERT of many rows): the handler, bundled
 * as for Lambda and with the V8 heap limits the construct gives it
 * (NODE_OPTIONS), runs a Create to completion in a process of its own, and
 * that process's peak resident memory stays under the default with a margin
 * for the Lambda runtime's own.
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { bigInsertText, bigMigrationText } from '../../../bench/lib/generate';
import { timeProcess } from '../../../bench/lib/proc';
import { ENV } from '../../../lambda/handler/constants';
import { heapOptions } from '../../../lambda/handler/memory';
import { MAX_FILE_BYTES } from '../../../lambda/engine/files/source';
import { dropDatabases, freshDatabase, rows, targets } from '../../support/db';
import { tempDir } from '../../support/files';

afterAll(dropDatabases);

/** SchemaMigrations' default `memorySize`. */
const DEFAULT_MEMORY_MB = 256;
/** Kept free for what a Lambda container adds to a local process (its runtime client, the SDK's heavier load). */
const MARGIN_MB = 64;

const ROOT = join(__dirname, '..', '..', '..');
const CHILD = join(ROOT, 'node_modules', '.cache', 'schemaguard-test', 'handler-memory.mjs');

async function bundleChild(): Promise<void> {
  await build({
    entryPoints: [join(__dirname, 'memory-child.ts')],
    outfile: CHILD,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // As the handler's own bundle: the SDK comes from the runtime; the parser's .wasm sits in its package.
    external: ['@aws-sdk/*', 'pg-native', 'libpg-query'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
  });
}

const SHAPES = [
  { shape: 'single-row INSERTs', make: bigMigrationText },
  // Regression: 218 MB without the heap limits (V8 let its young generation and heap grow before collecting).
  { shape: 'one INSERT of many rows', make: bigInsertText },
];

// The peak measured is the handler's process (the file's text, the driver's buffers), not the server's: the first server
// proves it, as on any other major (the same statements, the same small results).
describe.each(targets.slice(0, 1))('Handler memory on $name', (target) => {
  it.each(SHAPES)(
    `applies a ${MAX_FILE_BYTES / 2 ** 20} MiB migration of $shape within ${DEFAULT_MEMORY_MB - MARGIN_MB} MB`,
    async ({ make }) => {
      await bundleChild();
      const url = await freshDatabase(target, 'handler_memory');
      const big = make(MAX_FILE_BYTES);
      const dir = tempDir({ '1_big.sql': big.text });
      const u = new URL(url);
      const secret = JSON.stringify({
        username: u.username,
        password: decodeURIComponent(u.password),
        host: u.hostname,
        port: Number(u.port),
        dbname: u.pathname.slice(1),
      });

      const r = await timeProcess(process.execPath, [CHILD], {
        env: {
          PATH: process.env.PATH,
          SG_TEST_SECRET: secret,
          NODE_OPTIONS: heapOptions(DEFAULT_MEMORY_MB),
          [ENV.secretArn]: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:memory-AbCdEf',
          [ENV.migrationsDir]: dir,
          [ENV.contractsDir]: join(dir, 'no-contracts'),
          [ENV.tls]: 'disable',
          [ENV.reserveMs]: '1000',
        },
        timeoutMs: 600_000,
      });

      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { complete: { IsComplete: boolean }; maxRssMb: number };
      console.log(`[handler memory] ${target.name}: ${big.statements} statements, peak ${out.maxRssMb.toFixed(1)} MB, ${(r.ms / 1000).toFixed(1)} s`);
      expect(out.complete.IsComplete).toBe(true);
      expect(await rows<{ n: number }>(url, 'SELECT count(*)::int AS n FROM bench_big')).toEqual([{ n: big.rows }]);
      expect(out.maxRssMb).toBeLessThan(DEFAULT_MEMORY_MB - MARGIN_MB);
    },
    900_000,
  );
});
