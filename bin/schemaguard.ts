/** Entry point of the `schemaguard` CLI (bundled to dist/schemaguard.cjs, run by bin/schemaguard.cjs). */
import { exitOnInternalError, exitWhenWritten, keepRunningWhenReaderCloses } from './cli/exit';
import { flushOnExit } from './cli/line-batcher';
import { main, stderrLines } from './cli/main';

keepRunningWhenReaderCloses(process.stdout);
keepRunningWhenReaderCloses(process.stderr);
flushOnExit(stderrLines);
main(process.argv.slice(2)).then(
  (code) => { stderrLines.flush(); return exitWhenWritten(code); },
  (e: unknown) => { stderrLines.flush(); return exitOnInternalError(e); },
);
