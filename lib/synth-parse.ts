/**
 * Parses the migrations and contracts at synth, so a statement PostgreSQL's
 * parser refuses stops `cdk synth` rather than the deploy, after the database
 * was made (a long deploy, then its rollback). The parser is the one `lint`,
 * `plan` and the handler's contract loader use (libpg-query, loaded
 * asynchronously); a construct's constructor is synchronous, so the parse runs
 * in one child process for all of a construct's files (dist/synth-parse.cjs,
 * from bin/synth-parse.ts), and its answer is waited for.
 *
 * When the parse cannot run (the script or the parser is missing, Node.js
 * cannot start it), synth stops, saying why: a check that quietly did not run
 * would let the next broken file through to a deploy. The construct's
 * `parseAtSynth: false` skips it.
 */
import type { MigrationLayout } from '../lambda/engine/files/layout';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { FilesToParse, ParseRefusal } from '../lambda/checks/deploy/parse-files';
import { SYNTH_PARSE_SCRIPT } from './paths';
import { noun, oneOrMany } from '../lambda/engine/errors/words';

/** The directories to parse: the migrations', and the contracts' when there is one. */
export interface SynthParseFiles {
  readonly migrationsDir: string;
  readonly migrationsLayout?: MigrationLayout;
  readonly contractsDir?: string;
}

export interface SynthParseOptions {
  /**
   * The files' hash (FilesHash: every file's name and text): files parsed
   * once in this process are not parsed again — two stacks on one folder of
   * migrations, or a test file's many constructs, start one child, not one each.
   * @default - parsed every time
   */
  readonly filesHash?: string;
  /** @default SYNTH_PARSE_SCRIPT */
  readonly script?: string;
}

/** What the child answered, by script and files' hash. */
const answers = new Map<string, ParseRefusal[]>();

/** A 16 MiB file takes seconds; this is only there so that a child that hangs does not hang synth. */
const PARSE_TIMEOUT_MS = 5 * 60_000;
const SKIP = 'set "parseAtSynth: false" to skip the check (the files are then first parsed by the deploy)';

/**
 * Throws, naming each refused file with its line, column and the parser's
 * message, and the command that shows the same; or, when the parse could not
 * run, why and what to do.
 */
export function refuseUnparsable(owner: string, files: SynthParseFiles, options: SynthParseOptions = {}): void {
  const script = options.script ?? SYNTH_PARSE_SCRIPT;
  const key = options.filesHash === undefined ? undefined : `${script}\0${options.filesHash}`;
  const refusals =
    (key && answers.get(key)) ||
    runParse(owner, { migrationsDir: files.migrationsDir, migrationsLayout: files.migrationsLayout, contractsDir: files.contractsDir }, script);
  if (key) answers.set(key, refusals);
  const problems = [
    migrationsProblem(
      refusals.filter((r) => r.kind === 'migration'),
      files.migrationsDir,
    ),
    contractsProblem(
      refusals.filter((r) => r.kind === 'contract'),
      files.contractsDir,
    ),
  ].filter((p): p is string => p !== undefined);
  if (problems.length) throw new Error(problems.map((p) => `${owner}: ${p}`).join('\n'));
}

/** The child's answer, or a clear error when it gave none. */
function runParse(owner: string, request: FilesToParse, script: string): ParseRefusal[] {
  const cannot = (why: string, fix: string) => new Error(`${owner}: the migrations and contracts cannot be parsed at synth: ${why}; ${fix}, or ${SKIP}`);
  if (!existsSync(script)) {
    throw cannot(
      `the parse script ${script} is missing`,
      'in the schemaguard repository run `npm run build`, in an app reinstall schemaguard (the package ships it)',
    );
  }
  const child = spawnSync(process.execPath, [script], {
    input: JSON.stringify(request),
    encoding: 'utf8',
    timeout: PARSE_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
    windowsHide: true,
  });
  const command = `${process.execPath} ${script}`;
  if (child.error) {
    const timedOut = (child.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
    throw cannot(
      timedOut ? `${command} did not answer within ${PARSE_TIMEOUT_MS / 1000} s` : `${command} could not be run (${child.error.message})`,
      timedOut ? 'run `npx schemaguard lint` on the migrations to see which file takes that long' : 'check that Node.js can start a child process here',
    );
  }
  if (child.status !== 0) {
    const exit = child.signal ? `was ended by ${child.signal}` : `exited with code ${child.status}`;
    throw cannot(
      `${command} ${exit}: ${firstLines(child.stderr)}`,
      'reinstall schemaguard so that its dependency libpg-query is there (`npm ls libpg-query`; in the schemaguard repository: `npm install`)',
    );
  }
  try {
    return (JSON.parse(child.stdout) as { refusals: ParseRefusal[] }).refusals;
  } catch {
    throw cannot(
      `${command} answered ${JSON.stringify(firstLines(child.stdout))}, not the JSON expected`,
      'reinstall schemaguard (dist/synth-parse.cjs and the library come from one build)',
    );
  }
}

/** The message of what the child wrote, without the stack that follows it: on one line, at most 1,000 characters. */
function firstLines(text: string): string {
  const lines = text.trim().split('\n');
  const stack = lines.findIndex((line) => /^\s+at /.test(line));
  const message = lines.slice(0, stack < 0 ? 6 : Math.min(stack, 6)).join(' | ');
  return message.length > 1000 ? `${message.slice(0, 1000)}…` : message || '(no output)';
}

/** Each refused migration as lint prints it: `0002_b.sql:3:33: syntax error at or near "DEFALT"`. */
function migrationsProblem(refused: ParseRefusal[], dir: string): string | undefined {
  if (refused.length === 0) return undefined;
  const which = oneOrMany(refused.length, 'a migration', `${refused.length} migrations`);
  return (
    `PostgreSQL's parser refuses ${which} in ${dir}, so the deploy would fail on ${oneOrMany(refused.length, 'it', 'them')} after the database was made: ` +
    `${refused.map((r) => r.message).join('; ')}; fix: correct the ${noun(refused.length, 'statement')}; \`npx schemaguard lint --dir ${shellWord(dir)}\` shows the same error`
  );
}

/** The first contract the handler would refuse (it loads them all before checking any), with the loader's fix. */
function contractsProblem(refused: ParseRefusal[], dir: string | undefined): string | undefined {
  const first = refused[0];
  if (!first || dir === undefined) return undefined;
  return (
    `the handler would refuse the contracts in ${dir} after applying the migrations, failing the deploy: ${first.message}; ` +
    `fix: ${first.fix ?? 'correct the contract'}; \`npx schemaguard check --contracts ${shellWord(dir)}\` shows the same error`
  );
}

/** A path as a shell word: quoted when it holds anything but the characters of a plain path. */
function shellWord(path: string): string {
  return /^[\w./@%+=:,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
