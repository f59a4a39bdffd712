/**
 * A preload (`node --require FILE`) that records each CommonJS bundle V8
 * compiles in the process — was cached code given, did V8 refuse it — and
 * writes the list as JSON to $V8_COMPILES_FILE at exit. The launcher's code
 * cache (bin/code-cache.cjs) says nothing about it itself.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Compile {
  file: string;
  cached: boolean;
  rejected: boolean;
}

/** Writes the preload into `dir`; returns its path. */
export function writeCompileSpy(dir: string): string {
  const file = join(dir, 'v8-compiles.cjs');
  writeFileSync(
    file,
    `const vm = require('node:vm');
const seen = [];
const Script = vm.Script;
vm.Script = class extends Script {
  constructor(code, options) {
    super(code, options);
    const file = (options && options.filename) || '';
    if (/\\.cjs$/.test(file)) seen.push({ file: require('node:path').basename(file), cached: options.cachedData !== undefined, rejected: this.cachedDataRejected === true });
  }
};
process.on('exit', () => require('node:fs').writeFileSync(process.env.V8_COMPILES_FILE, JSON.stringify(seen)));
`,
  );
  return file;
}

/** The compiles recorded in `file`, and removes it; throws when the process wrote none (the preload did not run, or the process was killed). */
export function readCompiles(file: string): Compile[] {
  if (!existsSync(file)) throw new Error(`the process wrote no record of its compiles to ${file}`);
  const list = JSON.parse(readFileSync(file, 'utf8')) as Compile[];
  rmSync(file);
  return list;
}
