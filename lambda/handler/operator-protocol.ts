/**
 * The shape of a direct invocation of the migration function and of its
 * answer, and what it may ask for: names, types and one test, no imports, so
 * the CLI's argument parser reads the command list without loading the
 * handler (operator.ts runs a request; bin/cli/commands/remote.ts sends one).
 */
/** The field that marks a direct invocation, with the version of its shape. A CloudFormation event never has it. */
export const OPERATOR_REQUEST_FIELD = 'schemaguardCommand';
/** The field that marks the function's answer, with the version of its shape. */
export const OPERATOR_RESULT_FIELD = 'schemaguardResult';
export const OPERATOR_PROTOCOL_VERSION = 1;

/** The commands a direct invocation may run: what each does to the database. */
export const OPERATOR_COMMANDS = {
  status: 'reads',
  plan: 'reads',
  diff: 'reads',
  guard: 'reads',
  doctor: 'reads',
  baseline: 'writes',
  repair: 'writes',
} as const;
export type OperatorCommand = keyof typeof OPERATOR_COMMANDS;

/**
 * The CLI flags a request may carry. Every other flag names something the
 * function has its own of — its files, its database, its state schema — or
 * is the CLI's own (--function, --actor).
 */
export const OPERATOR_FLAGS = [
  '--format',
  '--quiet',
  '--reason',
  '--rename',
  '--from',
  '--exit-code',
  '--allow-ahead',
  '--out-of-order',
  '--warn-rows',
  '--lock-wait',
] as const;

/** Who asks, as the CLI names them. The function cannot check it: it is kept and logged as the caller's claim. */
export interface OperatorCaller {
  identity: string;
  /** `sts`: the caller's ARN from STS GetCallerIdentity, as the CLI's credentials gave it; `actor`: the CLI's --actor. */
  source: 'sts' | 'actor';
}

export interface OperatorRequest {
  [OPERATOR_REQUEST_FIELD]: typeof OPERATOR_PROTOCOL_VERSION;
  command: string;
  /** Positional arguments: `baseline VERSION`, `repair VERSION…`. */
  args: string[];
  /** By flag (`--reason`): its value, or true for a flag without one. */
  flags: Record<string, string | true>;
  caller: OperatorCaller;
}

export interface OperatorResult {
  [OPERATOR_RESULT_FIELD]: typeof OPERATOR_PROTOCOL_VERSION;
  exitCode: number;
  /** What the command wrote, in order: [0, stdout text] or [1, stderr text]. */
  output: [0 | 1, string][];
}

/** A direct invocation, told apart from a CloudFormation event by its marker field. */
export function isOperatorRequest(event: unknown): event is OperatorRequest {
  return typeof event === 'object' && event !== null && OPERATOR_REQUEST_FIELD in event;
}
