/**
 * `schemaguard COMMAND --function NAME`: the command run by the deployed
 * migration function (SchemaMigrations onEventHandler), against the database
 * it reaches — from inside the VPC, or through the Data API — with the files
 * deployed with it. What it printed is printed here as the local command
 * prints it (stdout and stderr, in order, `--json` included), and its exit
 * code is this one's.
 *
 * - Sent: the command, its arguments, and the flags of OPERATOR_FLAGS; the
 *   flags that name files or a database are refused here (the function has
 *   its own), and the function refuses anything else itself.
 * - Who asks: --actor, else the ARN STS GetCallerIdentity gives for these
 *   credentials. The function cannot verify it (Lambda tells it nothing of
 *   its caller): it logs it, and baseline and repair record it with the
 *   reason. CloudTrail's Invoke data events, where enabled, name the caller.
 * - Credentials and region: the SDK's standard chain (AWS_PROFILE, the
 *   environment, SSO, …); a function ARN's region wins.
 */
import { ConnectionError, MigrationError } from '../../../lambda/engine/errors/errors';
import { importModule } from '../../../lambda/engine/runtime/import-module';
import {
  OPERATOR_COMMANDS,
  OPERATOR_FLAGS,
  OPERATOR_PROTOCOL_VERSION,
  OPERATOR_REQUEST_FIELD,
  OPERATOR_RESULT_FIELD,
  type OperatorCaller,
  type OperatorRequest,
  type OperatorResult,
} from '../../../lambda/handler/operator-protocol';
import { FLAGS, type CliOptions } from '../args';
import { UsageError } from '../errors';
import type { CommandContext } from './context';
import { present } from '../../../lambda/engine/errors/present';

/** Flags of the CLI itself in this mode: not sent (--json is sent as --format json). */
const LOCAL_FLAGS = ['--function', '--actor', '--json'];

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):\d{12}:function:[^:]+(:[^:]+)?$/;

export async function remoteCommand(ctx: CommandContext): Promise<number> {
  const fn = present(ctx.opts.functionName);
  if (!(ctx.opts.command in OPERATOR_COMMANDS)) {
    throw new UsageError(`--function runs ${Object.keys(OPERATOR_COMMANDS).join(', ')}; not ${ctx.opts.command}`, {
      value: ctx.opts.command,
      fix:
        ctx.opts.command === 'migrate'
          ? 'the deploy migrates (cdk deploy runs the function through CloudFormation)'
          : `run ${ctx.opts.command} with --database-url or --cluster-arn`,
    });
  }
  const region = LAMBDA_ARN.exec(fn)?.[1];
  const flags = requestFlags(ctx.opts);
  const caller = await callerOf(ctx.opts, region);
  ctx.progress(`${ctx.opts.command} through the function ${fn}, as ${caller.identity}`);
  const request: OperatorRequest = { [OPERATOR_REQUEST_FIELD]: OPERATOR_PROTOCOL_VERSION, command: ctx.opts.command, args: ctx.opts.args, flags, caller };
  const result = await invoke(fn, region, request);
  for (const [stream, text] of result.output) (stream === 0 ? ctx.out : ctx.err)(text);
  return result.exitCode;
}

/** The flags to send, as written on a command line; a flag that names local files or a database is refused. */
export function requestFlags(opts: CliOptions): Record<string, string | true> {
  const flags: Record<string, string | true> = {};
  for (const [flag, spec] of Object.entries(FLAGS)) {
    if (!opts.given.has(spec.key) || LOCAL_FLAGS.includes(flag) || flag === '--format') continue;
    if (!(OPERATOR_FLAGS as readonly string[]).includes(flag)) {
      throw new UsageError(`${flag} is for a local run: with --function, the function uses its own files, database and state schema`, {
        value: flag,
        fix: `drop ${flag}; to use ${flag}, run the command where the database is reachable (--database-url or --cluster-arn)`,
      });
    }
    flags[flag] = rawValue(opts, spec.key, spec.kind);
  }
  if (opts.format !== 'text') flags['--format'] = opts.format;
  return flags;
}

/** A parsed option written back as its flag's value (durations in ms). */
function rawValue(opts: CliOptions, key: keyof CliOptions, kind: string): string | true {
  const value = opts[key];
  if (kind === 'bool') return true;
  if (kind === 'duration') return `${String(value)}ms`;
  return String(value);
}

/** Who asks: --actor, else the ARN of these credentials (STS GetCallerIdentity needs no permission). */
async function callerOf(opts: CliOptions, region: string | undefined): Promise<OperatorCaller> {
  if (opts.actor !== undefined) return { identity: opts.actor, source: 'actor' };
  const { GetCallerIdentityCommand, STSClient } = await importModule('@aws-sdk/client-sts', () => import('@aws-sdk/client-sts'));
  try {
    const who = await new STSClient(region ? { region } : {}).send(new GetCallerIdentityCommand({}));
    return { identity: who.Arn ?? 'unknown', source: 'sts' };
  } catch (e) {
    throw awsError(e, 'STS GetCallerIdentity (who is asking)', 'or name yourself with --actor NAME');
  }
}

async function invoke(fn: string, region: string | undefined, request: OperatorRequest): Promise<OperatorResult> {
  const { InvokeCommand, LambdaClient } = await importModule('@aws-sdk/client-lambda', () => import('@aws-sdk/client-lambda'));
  let response;
  try {
    response = await new LambdaClient(region ? { region } : {}).send(
      new InvokeCommand({ FunctionName: fn, Payload: new TextEncoder().encode(JSON.stringify(request)) }),
    );
  } catch (e) {
    throw awsError(
      e,
      `lambda:InvokeFunction on ${fn}`,
      `allow lambda:InvokeFunction on the function's ARN to these credentials; ${fn} must be SchemaMigrations' onEventHandler (its name or ARN)`,
    );
  }
  const text = new TextDecoder().decode(response.Payload ?? new Uint8Array());
  const body = parse(text);
  if (response.FunctionError) {
    const said = (body as { errorMessage?: string } | undefined)?.errorMessage ?? text;
    throw new MigrationError(`the function ${fn} failed (${response.FunctionError}): ${said}`, {
      fix: "read the function's log group (/aws/lambda/<its name>) for the request",
    });
  }
  if (!body || typeof body !== 'object' || (body as Record<string, unknown>)[OPERATOR_RESULT_FIELD] !== OPERATOR_PROTOCOL_VERSION) {
    throw new MigrationError(`the function ${fn} answered something other than schemaguard's result: ${text.slice(0, 200)}`, {
      fix: "--function takes SchemaMigrations' onEventHandler (its name or ARN), deployed from this version of schemaguard",
    });
  }
  return body as OperatorResult;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** An SDK error as the CLI's, with what to check: credentials, region, permission, name. */
function awsError(e: unknown, call: string, fix: string): MigrationError {
  const name = (e as { name?: string })?.name ?? 'Error';
  const message = e instanceof Error ? e.message : String(e);
  if (name === 'CredentialsProviderError' || /credential/i.test(message)) {
    return new ConnectionError(`${call}: no AWS credentials (${message})`, {
      cause: e,
      fix: 'sign in as for the AWS CLI: AWS_PROFILE, aws sso login, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    });
  }
  if (/region/i.test(message) && name !== 'ResourceNotFoundException') {
    return new UsageError(`${call}: no AWS region (${message})`, {
      fix: "set AWS_REGION (or AWS_PROFILE with a region), or pass the function's ARN, which carries its region",
    });
  }
  return new ConnectionError(`${call} failed: ${name}: ${message}`, { cause: e, fix });
}
