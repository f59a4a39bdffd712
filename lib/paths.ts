/**
 * Where the package's own files are: found from this module, so they are the
 * same whether it runs from the repository's sources (lib/paths.ts) or from
 * the installed package's bundle (dist/index.js) — both sit one level below
 * the package root. Nothing a user writes (migrations, contracts, snapshot)
 * is found here: those paths come from the props and resolve against the
 * working directory (lib/user-files.ts).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPERATOR_BUNDLE } from '../lambda/handler/operator';

/** The repository root, or the installed package's root (`node_modules/schemaguard`). */
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/[\\/]$/, '');
/**
 * The pre-built custom-resource handler: `index.js` and the SQL parser's
 * `libpg-query.wasm`, written by scripts/build-handler.mjs (`npm run build`,
 * run by `npm install` and `npm pack`).
 */
export const HANDLER_BUNDLE_DIR = join(PACKAGE_ROOT, 'dist', 'handler');
/** The files of the pre-built handler, copied into every handler asset. */
export const HANDLER_BUNDLE_FILES = ['index.js', OPERATOR_BUNDLE, 'libpg-query.wasm'] as const;
/**
 * The parse SchemaMigrations runs at synth in a child process
 * (bin/synth-parse.ts, built beside the handler by scripts/build-handler.mjs).
 */
export const SYNTH_PARSE_SCRIPT = join(PACKAGE_ROOT, 'dist', 'synth-parse.cjs');
