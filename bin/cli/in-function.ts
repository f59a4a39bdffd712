/**
 * A CLI command run inside the deployed migration function, for a direct
 * invocation (lambda/handler/operator.ts; the CLI's `--function` sends it,
 * commands/remote.ts). The command line is made here from the request —
 * the command, its arguments, the flags of OPERATOR_FLAGS — and the
 * function's own: its files (`--dir`, `--contracts`, `--snapshot`, as
 * deployed with it) and state schema. The database is the function's, reached
 * as a deploy reaches it (connection.ts). What the command writes is kept in
 * order and returned for the CLI to print.
 *
 * Refused, as usage errors in the command's own output: a command outside
 * OPERATOR_COMMANDS, a flag outside OPERATOR_FLAGS, an argument that looks
 * like a flag, and `baseline` or `repair` unless SchemaMigrations
 * `operatorCommands.writes` allowed them.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { readConfig, type HandlerConfig } from '../../lambda/handler/config';
import { createConnector } from '../../lambda/handler/connection';
import { operatorWrites, type OperatorSetup } from '../../lambda/handler/operator';
import {
  OPERATOR_COMMANDS,
  OPERATOR_FLAGS,
  OPERATOR_PROTOCOL_VERSION,
  OPERATOR_RESULT_FIELD,
  type OperatorRequest,
  type OperatorResult,
} from '../../lambda/handler/operator-protocol';
import { FLAGS, type CliOptions } from './args';
import type { Command } from './registry';
import { runCommand } from './commands';
import { UsageError } from './errors';
import { formatError } from './format';
import { runCli, type Io } from './run-cli';
import { present } from '../../lambda/engine/errors/present';

/** The most output returned, in bytes of its JSON: Lambda answers a synchronous invoke with at most 6 MB. */
const OUTPUT_LIMIT_BYTES = 5_000_000;

export async function runOperatorCommand(request: OperatorRequest, setup: OperatorSetup): Promise<OperatorResult> {
  // The command first, before any argument is parsed: a flag in its place (`--dir=/etc`) never reaches the parser.
  const refused = refuseCommand(request);
  if (refused) return refused;
  const output: [0 | 1, string][] = [];
  let bytes = 0;
  let cut = 0;
  const keep = (stream: 0 | 1, t: string) => {
    const text = t.endsWith('\n') ? t : `${t}\n`;
    const size = Buffer.byteLength(JSON.stringify(text));
    if (bytes + size > OUTPUT_LIMIT_BYTES) {
      cut += size;
      return;
    }
    output.push([stream, text]);
    bytes += size;
  };
  const read = readSettings(setup.env);
  const functionName = setup.env.AWS_LAMBDA_FUNCTION_NAME || 'the operator function';
  // Who a baseline or repair records: the caller the CLI named, and through what.
  const io: Io = {
    noProjectFile: true,
    out: (t) => keep(0, t),
    err: (t) => keep(1, t),
    env: { SCHEMAGUARD_APPLIED_BY: `${String(request.caller?.identity)} via function ${functionName}` },
  };
  const argv = [...requestArgv(request), ...(read.config ? functionFlags(read.config, request.command as Command) : [])];
  const connector = createConnector({ ...setup.connector, applicationName: 'schemaguard-operator' });
  const exitCode = await runCli(
    argv,
    io,
    async (ctx) => {
      if (read.error) throw read.error;
      refuseRequest(request, ctx.opts, operatorWrites(setup.env), present(read.config));
      return runCommand({
        ...ctx,
        target: async () => ({ driver: await connector.connect(present(read.config).database, setup.log, ctx.redactor), where: '' }),
      });
    },
    async (command, error, baseDir) => (await import('./output/sarif')).sarifErrorLog(command as never, error, baseDir),
  );
  if (cut) output.push([1, `note: ${cut} bytes of output were left out: the function answers with at most ${OUTPUT_LIMIT_BYTES} bytes\n`]);
  return { [OPERATOR_RESULT_FIELD]: OPERATOR_PROTOCOL_VERSION, exitCode, output };
}

/** The function's settings, or what is wrong with them (said as the command's error). */
function readSettings(env: NodeJS.ProcessEnv): { config?: HandlerConfig; error?: unknown } {
  try {
    return { config: readConfig(env) };
  } catch (error) {
    return { error };
  }
}

const isFlagLike = (a: unknown) => typeof a !== 'string' || a.startsWith('-');

/** The request's own part of the command line: only what may be sent (refuseRequest names the rest). */
function requestArgv(request: OperatorRequest): string[] {
  const args = Array.isArray(request.args) && !request.args.some(isFlagLike) ? request.args : [];
  const flags = Object.entries(typeof request.flags === 'object' && request.flags !== null ? request.flags : {})
    .filter(([flag, value]) => (OPERATOR_FLAGS as readonly string[]).includes(flag) && (value === true || typeof value === 'string'))
    .map(([flag, value]) => (value === true ? flag : `${flag}=${value}`));
  return [String(request.command), ...args, ...flags];
}

/** A command outside OPERATOR_COMMANDS, refused as the CLI refuses a usage error (exit 2), nothing parsed or run. */
function refuseCommand(request: OperatorRequest): OperatorResult | undefined {
  const commands = Object.keys(OPERATOR_COMMANDS);
  const command = (request as Partial<OperatorRequest> | null)?.command;
  if (typeof command === 'string' && commands.includes(command)) return undefined;
  const error = new UsageError(`the operator function runs ${commands.join(', ')}; not ${JSON.stringify(command)}`, {
    value: String(command),
    fix: `send one of ${commands.join(', ')} as "command", its flags in "flags" (only ${OPERATOR_FLAGS.join(', ')}); the function uses its own files, database and state schema`,
  });
  return { [OPERATOR_RESULT_FIELD]: OPERATOR_PROTOCOL_VERSION, exitCode: 2, output: [[1, `${formatError(error)}\n`]] };
}

/** The function's own files and state schema, as paths relative to its directory (as deployed: `migrations/`). */
function functionFlags(config: HandlerConfig, command: Command): string[] {
  const shown = (path: string) => {
    const rel = relative(process.cwd(), path);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
  };
  const flags: [string, string][] = [
    ['--dir', shown(config.migrationsDir)],
    ['--state-schema', config.run.stateSchema],
    ...(existsSync(config.contractsDir) ? [['--contracts', shown(config.contractsDir)] as [string, string]] : []),
    ...(config.verify.snapshotFile && existsSync(config.verify.snapshotFile) ? [['--snapshot', shown(config.verify.snapshotFile)] as [string, string]] : []),
  ];
  // Only the ones the command takes: the parser refuses a flag a command never uses.
  return flags.filter(([flag]) => FLAGS[flag]?.for === undefined || FLAGS[flag]?.for?.includes(command)).map(([flag, value]) => `${flag}=${value}`);
}

/** The first thing the function does not do for this request, as a usage error. */
function refuseRequest(request: OperatorRequest, opts: CliOptions, writes: boolean, config: HandlerConfig): void {
  const flags = Object.keys(typeof request.flags === 'object' && request.flags !== null ? request.flags : {});
  const stray = flags.filter((f) => !(OPERATOR_FLAGS as readonly string[]).includes(f));
  if (stray.length) {
    throw new UsageError(`the operator function takes no ${stray.join(', ')}: it uses its own files, database and state schema`, {
      value: stray.join(' '),
      fix: `send only ${OPERATOR_FLAGS.join(', ')}`,
    });
  }
  if (!Array.isArray(request.args) || request.args.some(isFlagLike)) {
    throw new UsageError("the request's arguments must be plain values (a version), not flags", { fix: 'send the flags in "flags"' });
  }
  if (OPERATOR_COMMANDS[opts.command as keyof typeof OPERATOR_COMMANDS] === 'writes' && !writes) {
    throw new UsageError(
      `${opts.command} through the operator function is turned off: it writes the state table, and this function runs only the read-only commands`,
      {
        fix: `to allow it, set SchemaMigrations operatorCommands: { writes: true } and deploy (whoever may invoke the function may then write); or run ${opts.command} where the database is reachable (--database-url or --cluster-arn)`,
      },
    );
  }
  if (opts.command === 'diff' && !(config.verify.snapshotFile && existsSync(config.verify.snapshotFile))) {
    throw new UsageError('diff through the operator function needs the snapshot deployed with it, and it has none', {
      fix: 'give SchemaMigrations a snapshotFile (schemaguard snapshot writes one) and deploy',
    });
  }
}
