/**
 * `schemaguard` — the CLI over the engine. `main` takes argv and an output
 * sink and returns the exit code, so tests can run it in-process: parse the
 * arguments, run the command (`commands/`), turn a failure into its exit code.
 */
import { InputError, MigrationError } from '../../lambda/engine/errors';
import { Redactor } from '../../lambda/engine/redact';
import { parseArgs, type CliOptions } from './args';
import type { EmbeddedServer } from './embedded';
import { formatError } from './format';
import { escapeData } from './output/github';
import { written } from './exit';
import { LineBatcher } from './line-batcher';
import { runCommand } from './commands';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Resolves once the reader of `out` has caught up (a long report waits for it between blocks). */
  outDrained?(): Promise<void>;
  env: NodeJS.ProcessEnv;
}

/** stderr's lines, batched (line-batcher.ts); bin/schemaguard.ts flushes them on the way out. */
export const stderrLines = new LineBatcher((t) => { process.stderr.write(t); });

export const processIo: Io = {
  out: (t) => {
    stderrLines.flush();
    process.stdout.write(t.endsWith('\n') ? t : `${t}\n`);
  },
  err: (t) => stderrLines.line(t.endsWith('\n') ? t : `${t}\n`),
  outDrained: () => written(process.stdout),
  env: process.env,
};

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const redactor = new Redactor();
  const out = (t: string) => io.out(redactor.redact(t));
  const err = (t: string) => io.err(redactor.redact(t));
  let opts: CliOptions | undefined;
  let embedded: EmbeddedServer | undefined;
  try {
    opts = parseArgs(argv, io.env);
    const quiet = opts.quiet;
    return await runCommand({
      opts, env: io.env, out, err, redactor,
      outDrained: () => io.outDrained?.() ?? Promise.resolve(),
      progress: (t) => { if (!quiet) err(t); },
      onEmbedded: (e) => { embedded = e; },
    });
  } catch (e) {
    const error = e instanceof MigrationError ? e : new MigrationError(e instanceof Error ? e.message : String(e), { cause: e });
    if (opts?.json) out(JSON.stringify(redactor.redactValue(error.toJSON())));
    else err(formatError(error));
    // In a workflow, the failure is an annotation too.
    if (opts?.format === 'github') out(`::error title=schemaguard ${opts.command} failed::${escapeData(error.message)}`);
    return error instanceof InputError ? 2 : error.exitCode;
  } finally {
    if (embedded?.owned) await embedded.stop().catch(() => undefined);
  }
}

