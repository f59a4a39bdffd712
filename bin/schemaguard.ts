/** Entry point of the `schemaguard` CLI (bundled to dist/schemaguard.mjs). */
import { main } from './cli/main';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => { process.stderr.write(`schemaguard: internal error: ${e instanceof Error ? e.stack : String(e)}\n`); process.exitCode = 1; },
);
