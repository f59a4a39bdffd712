/**
 * The SQL parser inside an esbuild bundle, built as the custom-resource
 * handler is (CommonJS, node22, minified) with libpg-query.wasm copied beside
 * it, as the SchemaMigrations construct does; and in the CLI bundle, where
 * libpg-query stays external and loads from node_modules.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { PARSER_WASM } from '../../../../scripts/build-handler.mjs';
import { ROOT, runCli } from '../../../support/cli';
import { tempDir } from '../../../support/files';

describe('the SQL parser in a bundle', () => {
  it('loads in a CommonJS node22 bundle with the .wasm beside it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'schemaguard-bundle-'));
    const entry = join(out, 'entry.ts');
    writeFileSync(entry, `export { parseContract } from ${JSON.stringify(join(ROOT, 'lambda', 'checks', 'contracts', 'index.ts'))};\n`);
    await build({
      entryPoints: [entry],
      outfile: join(out, 'index.js'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node22',
      minify: true,
      logLevel: 'error',
      external: ['pg-native'],
    });
    copyFileSync(PARSER_WASM, join(out, 'libpg-query.wasm'));
    const script = `require(${JSON.stringify(join(out, 'index.js'))}).parseContract('a.sql', 'INSERT INTO t (a) VALUES ($1) ON CONFLICT (a) WHERE b DO NOTHING').then((c) => console.log(Object.keys(c.tree)[0]))`;
    // Run from a directory without node_modules: nothing may be resolved outside the bundle.
    expect(execFileSync(process.execPath, ['-e', script], { cwd: out, encoding: 'utf8' }).trim()).toBe('InsertStmt');
  });

  it('loads in the CLI bundle (libpg-query external, from node_modules)', async () => {
    const r = await runCli(['lint', '--dir', tempDir({ '1_a.sql': 'CREATE INDEX i ON t (a);' })], { env: { DATABASE_URL: undefined } });
    expect(r.stdout).toContain('1_a.sql:1:19: error index-not-concurrent');
  });
});
