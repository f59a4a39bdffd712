/** Entry point of the `schemaguard` CLI (bundled to dist/schemaguard.cjs, run by bin/schemaguard.cjs). */
import { exitOnInternalError, exitWhenWritten, keepRunningWhenReaderCloses } from './cli/exit';
import { main } from './cli/main';

keepRunningWhenReaderCloses(process.stdout);
keepRunningWhenReaderCloses(process.stderr);
main(process.argv.slice(2)).then((code) => exitWhenWritten(code), exitOnInternalError);
