/**
 * The scheduled guard's alarms: one entry per metric the guard publishes
 * (GUARD_METRIC, lambda/handler/constants.ts), with its severity, how many
 * consecutive runs must breach, what missing data means, and the runbook that
 * goes into the alarm description. Plain data and string functions, like the
 * error catalog (error-catalog.ts), so tests and docs read it without
 * aws-cdk-lib.
 *
 * Severity follows the project's rule: `page` when the application is about
 * to fail (a checked object drifted, a contract fails), `ticket` for the rest.
 * Pages fire on the first run that sees the finding; tickets when two
 * consecutive runs see it (a transient state — an index being built
 * concurrently, a deploy between its function update and its migrations —
 * does not open one). The finding alarms ignore missing data: a run that was
 * skipped (a migration running) or failed says nothing about the schema, so
 * the alarm keeps its state. Only the guard's own health alarm treats missing
 * data as breaching: a guard that stopped reporting is a guard that failed.
 */
import { GUARD_METRIC, type GuardMetricName } from '../../lambda/handler/constants';
import { deployedLength, listTokenProblem, listTokens, stringTokens } from './deployed-length';
import { MAX_ALARM_DESCRIPTION_LENGTH, type Severity } from './error-catalog';
import { DOCS_POINTERS } from '../../lambda/engine/errors/docs-pointers';
import { present } from '../../lambda/engine/errors/present';

export interface GuardAlarmSpec {
  /** Stable id, kebab-case: construct ids and alarm names (`<prefix>-<severity>-<id>`). */
  readonly id: string;
  readonly metricName: GuardMetricName;
  readonly title: string;
  readonly severity: Severity;
  /** Consecutive runs at or above 1 before the alarm fires. */
  readonly runs: 1 | 2;
  /** `ignore`: a run without this metric keeps the state; `breaching`: no report counts as a failure. */
  readonly missingData: 'ignore' | 'breaching';
  readonly runbook: {
    /** What it means. */
    readonly meaning: string;
    /** The usual fix. */
    readonly fix: string;
  };
}

export const GUARD_ALARMS: readonly GuardAlarmSpec[] = [
  {
    id: 'schema-drift',
    metricName: GUARD_METRIC.driftedObjects,
    title: 'Schema drift',
    severity: 'page',
    runs: 1,
    missingData: 'ignore',
    runbook: {
      meaning:
        'An object the migrations create differs live from the snapshot, or is missing: a hand edit such as a dropped default, a dropped or partial unique index, a changed type or nullability. The application fails on its next statement that needs the object (23502, 42P10).',
      fix: 'Put the object back as the finding says (its SQL is printed), in a new migration, and deploy; or revert the hand edit. The next run clears the alarm.',
    },
  },
  {
    id: 'minor-drift',
    metricName: GUARD_METRIC.minorDrift,
    title: 'Minor schema drift',
    severity: 'ticket',
    runs: 2,
    missingData: 'ignore',
    runbook: {
      meaning:
        'For two runs the live schema has drift the application does not depend on yet: an object added by hand, a changed comment, or any drift while migrations are pending (the deploy is not settled).',
      fix: 'Fold the change into a migration (and schemaguard snapshot), or drop what was added by hand; if migrations are pending, deploy first.',
    },
  },
  {
    id: 'contract-failures',
    metricName: GUARD_METRIC.contractFailures,
    title: 'Contract failures',
    severity: 'page',
    runs: 1,
    missingData: 'ignore',
    runbook: {
      meaning:
        'A statement the application runs (contracts/) no longer works against the live schema: a missing column or index, a NOT NULL without default, an ON CONFLICT target with no matching unique index. It fails in production as soon as it runs.',
      fix: 'Restore what the failing contract names (the index, default or column) with a migration and deploy; if the application changed on purpose, update the contract file.',
    },
  },
  {
    id: 'doctor-errors',
    metricName: GUARD_METRIC.doctorErrors,
    title: 'Doctor errors',
    severity: 'ticket',
    runs: 2,
    missingData: 'ignore',
    runbook: {
      meaning:
        'For two runs: doctor errors (sequence-behind: a sequence behind its column, the next insert a duplicate key; fk-type-mismatch; extension-missing), a constraint never validated, or a contract the guard role may not check (contract-unchecked).',
      fix: 'Apply the fix each finding prints (SELECT setval(...), a migration); contract-unchecked: run the GRANT it prints as the master user.',
    },
  },
  {
    id: 'invalid-indexes',
    metricName: GUARD_METRIC.invalidIndexes,
    title: 'INVALID indexes',
    severity: 'ticket',
    runs: 2,
    missingData: 'ignore',
    runbook: {
      meaning:
        'An index is INVALID for two runs: a CREATE INDEX CONCURRENTLY failed or was cancelled. Queries do not use it and ON CONFLICT cannot infer it, while writes still maintain it.',
      fix: 'DROP INDEX CONCURRENTLY it, then create it again CONCURRENTLY (the finding prints both statements), in a no-transaction migration.',
    },
  },
  {
    id: 'pending-migrations',
    metricName: GUARD_METRIC.pendingMigrations,
    title: 'Migrations pending or unknown',
    severity: 'ticket',
    runs: 2,
    missingData: 'ignore',
    runbook: {
      meaning:
        'For two runs the database and the deployed migration files disagree: a file is not applied (a deploy stopped half way) or the database has a version the files do not (migrated by hand, or a rollback).',
      fix: 'Pending or unknown: deploy again, or schemaguard status to see which versions differ. state-unreadable (the guard role may not read a state table): run the GRANT the finding prints as the master user; a deploy does not.',
    },
  },
  {
    id: 'guard-health',
    metricName: GUARD_METRIC.guardErrors,
    title: 'Schema guard failed or silent',
    severity: 'ticket',
    runs: 2,
    missingData: 'breaching',
    runbook: {
      meaning: 'The guard failed (database unreachable, password refused, a timeout) or sent no report for two intervals: the schema is not watched.',
      fix: 'Why: its last "schema guard failed" log line. Unreachable: the database, its security group. 28P01: the role\'s password is not its secret\'s, and redeploying alone resets nothing: raise roleRevision (stacks: guardRoleRevision; app: -c schemaguard:guardRoleRevision=<n+1>), deploy. No lines: is the schedule rule on?',
    },
  },
];

/**
 * The command the runbooks start with: the same pass, from a checkout of the
 * deployed application (its migrations, contracts and snapshot) on a machine
 * that reaches the database, as the guard's role (password from its secret):
 * as the guard's role, the errors its probes log (a failing contract's
 * EXPLAIN) page no one (DatabaseAlarms' `ignoredUsers`). Placeholders are
 * upper-case words, not `<…>`, which Slack and Chatbot take for markup.
 * The password is read at a silent prompt into PGPASSWORD (`read -rs`, in
 * bash and zsh; the prompt printed first, as `read -p` differs between the
 * two), never typed on the command line: `PGPASSWORD=… npx …` and a
 * password in the URL both land in the shell's history (and in `ps` while
 * the command runs).
 * Over TLS verified against the RDS CA bundle: the stacks set
 * rds.force_ssl=1, which refuses a connection without TLS ("no pg_hba.conf
 * entry ... no encryption", 28000), and verify-full checks the RDS
 * certificate against that bundle, whose CA is not in Node.js's store.
 */
export const GUARD_FIRST_COMMAND =
  'printf \'Password: \' >&2 && read -rs PGPASSWORD && echo >&2 && export PGPASSWORD && npx schemaguard guard --database-url "postgres://GUARD_ROLE@ENDPOINT/DATABASE?sslmode=verify-full&sslrootcert=global-bundle.pem"';

/**
 * The options the deployed guard runs with that differ from the CLI's
 * defaults: its migrations' state schema and where the checkout holds the
 * files (relative to the directory the app was synthesized from).
 */
export interface GuardCommandOptions {
  /** `--state-schema` (the CLI's default: `schemaguard`); null: the description names the flag only (no room for its value). */
  readonly stateSchema?: string | null;
  /** `--dir` (default `migrations`); null as for stateSchema. */
  readonly migrationsDir?: string | null;
  /** `--contracts` (default `contracts`); null as for stateSchema. */
  readonly contractsDir?: string | null;
  /** `--snapshot` (default `schema.snapshot.json` in the migrations directory); null as for stateSchema. */
  readonly snapshotFile?: string | null;
}

const COMMAND_FLAGS: readonly [keyof GuardCommandOptions, string][] = [
  ['stateSchema', '--state-schema'],
  ['migrationsDir', '--dir'],
  ['contractsDir', '--contracts'],
  ['snapshotFile', '--snapshot'],
];

/** A word for bash and zsh: as it is when it holds only safe characters, else in single quotes. */
function shellWord(text: string): string {
  return /^[\w./@%+=:,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * GUARD_FIRST_COMMAND with the deployed guard's own options: without
 * `--state-schema`, a database migrated with another state schema read every
 * migration as pending.
 */
export function guardFirstCommand(options: GuardCommandOptions = {}): string {
  const flags = COMMAND_FLAGS.flatMap(([key, flag]) => (typeof options[key] === 'string' ? [`${flag} ${shellWord(options[key])}`] : []));
  const elsewhere = COMMAND_FLAGS.filter(([key]) => options[key] === null).map(([, flag]) => flag);
  return [GUARD_FIRST_COMMAND, ...flags, ...(elsewhere.length === 0 ? [] : [`+ the stack's ${elsewhere.join(' ')}`])].join(' ');
}

/** Where a runbook points: the database it watches and the guard's log group. */
export interface GuardRunbookContext {
  /** e.g. `schemaguard-prod/app`. */
  readonly database: string;
  /** Its name, or where to find it when CloudFormation makes the name at deploy time (`(stack Orders, resource GuardLogs1A2B3C4D)`). */
  readonly logGroupName: string;
  /**
   * A shorter way to name it (`(resource GuardLogs1A2B3C4D)`), used when
   * `logGroupName` would take the description over CloudWatch's limit.
   * @default - none: the description names no log group then
   */
  readonly logGroupShortName?: string;
  /** The schedule, for the health alarm's wording, e.g. `15 minutes`. */
  readonly interval: string;
  /**
   * The options the guard runs with, which the first command repeats.
   * @default - none: the CLI's defaults
   */
  readonly command?: GuardCommandOptions;
  /**
   * The longest value each token in these strings can resolve to, keyed by
   * the token itself, e.g. `{ [instance.instanceIdentifier]: 63 }` (an RDS
   * instance identifier has at most 63 characters; so has a database name).
   * The description is fitted to CloudWatch's 1,024 characters with each
   * token counted so, not as its placeholder. Each value is a whole number
   * of characters, 0 or more. A number known only at deploy time (a number
   * token, keyed as `String(n)`) needs no entry: it counts as the longest a
   * number prints as, 25 characters, unless one is given
   * (e.g. `{ [String(port)]: 5 }`). A list token is refused: join it first
   * (`Fn.join(', ', list)`) and give the joined string's longest length.
   * @default - none: a string known only at deploy time (a token) anywhere in the context is refused, naming the field that holds it
   */
  readonly tokenMaxLengths?: Readonly<Record<string, number>>;
}

/** What the first command needs, after it; the short form when nothing else is left to drop. */
// The on-call page: how to reach a database in isolated subnets, where the endpoint and the secret are.
const FIRST_COMMAND_HINT = `the guard secret's password at the prompt; app checkout; RDS CA bundle; ${DOCS_POINTERS.onCall}`;
const FIRST_COMMAND_SHORT_HINT = "the guard secret's password";

/**
 * The alarm description: severity, what it watches, meaning, the first
 * command, the fix. Fitted to CloudWatch's limit once deployed (each token
 * at its longest value, `tokenMaxLengths`): the optional parts give way in
 * turn — the log group's full reference, the command's flag values, the
 * short reference, the log group, the hint's long form.
 *
 * A value known only at deploy time (a CDK token, such as an instance
 * identifier CloudFormation names) may be in any field of `ctx`, with its
 * longest length in `ctx.tokenMaxLengths`:
 *
 * ```ts
 * guardAlarmDescription(spec, {
 *   database: `${instance.instanceIdentifier}/app`, logGroupName: '/aws/lambda/orders-guard', interval: '15 minutes',
 *   tokenMaxLengths: { [instance.instanceIdentifier]: 63 },
 * });
 * ```
 *
 * @throws Error naming the field and the token when a string token has no entry in
 * `tokenMaxLengths` (its deployed length, and so whether the description
 * fits, is unknown), when a field holds a list token (CloudFormation cannot
 * put a list into a description), or when an entry is not a whole number of 0 or more.
 */
export function guardAlarmDescription(spec: GuardAlarmSpec, ctx: GuardRunbookContext): string {
  checkTokenMaxLengths(ctx);
  const when = spec.runs === 1 ? 'in one guard run' : `in two consecutive guard runs (every ${ctx.interval})`;
  const command = guardFirstCommand(ctx.command);
  const build = ([logGroup, first, hint]: Shape) =>
    [
      `[${spec.severity.toUpperCase()}] ${spec.title} on ${ctx.database}: ${spec.metricName} >= 1 ${when}.`,
      `Meaning: ${spec.runbook.meaning}`,
      `First: ${first} (${hint})${logGroup === undefined ? '' : `; the guard's log group ${logGroup} has the last run's`}.`,
      `Fix: ${spec.runbook.fix}`,
    ].join('\n');
  // Paths too long to quote: the flags are named, their values are the stack's.
  const short = guardFirstCommand(Object.fromEntries(COMMAND_FLAGS.filter(([key]) => ctx.command?.[key] !== undefined).map(([key]) => [key, null])));
  // The longest that fits: a stack's name (up to 128 characters) may not leave room for the log group's full reference.
  const shapes: Shape[] = [
    ...[ctx.logGroupName, ctx.logGroupShortName, undefined].flatMap((logGroup) =>
      [command, short].map((first): Shape => [logGroup, first, FIRST_COMMAND_HINT]),
    ),
    [undefined, short, FIRST_COMMAND_SHORT_HINT],
  ];
  const fitting = shapes.find((shape) => deployedLength(build(shape), ctx.tokenMaxLengths) <= MAX_ALARM_DESCRIPTION_LENGTH);
  return build(fitting ?? present(shapes.at(-1), 'the last shape'));
}

/** The fields of a runbook context that hold text, as a caller names them. */
function contextTexts(ctx: GuardRunbookContext): [field: string, text: string | null | undefined][] {
  return [
    ['database', ctx.database],
    ['logGroupName', ctx.logGroupName],
    ['logGroupShortName', ctx.logGroupShortName],
    ['interval', ctx.interval],
    ...COMMAND_FLAGS.map(([key]): [string, string | null | undefined] => [`command.${key}`, ctx.command?.[key]]),
  ];
}

/**
 * Every token in the context has a usable longest length: else an error that
 * names the field, the token and the fix, before the description is built
 * (deployedLength's own error cannot say where the token came from).
 */
function checkTokenMaxLengths(ctx: GuardRunbookContext): void {
  const given = ctx.tokenMaxLengths ?? {};
  for (const [token, longest] of Object.entries(given)) {
    if (!Number.isInteger(longest) || longest < 0) {
      throw new Error(
        `guardAlarmDescription: tokenMaxLengths gives ${token} the longest length ${longest}; give a whole number of characters, 0 or more (e.g. 63 for an RDS instance identifier)`,
      );
    }
  }
  for (const [field, text] of contextTexts(ctx)) {
    const list = listTokens(text ?? '')[0];
    if (list !== undefined) {
      throw new Error(
        `guardAlarmDescription: ctx.${field} holds ${listTokenProblem(list)}, and key the joined value's longest length by it in ctx.tokenMaxLengths`,
      );
    }
    const token = stringTokens(text ?? '').find((t) => given[t] === undefined);
    if (token !== undefined) {
      throw new Error(
        `guardAlarmDescription: ctx.${field} holds a value known only at deploy time (${token}), and ctx.tokenMaxLengths gives no longest length for it, ` +
          "so whether the description fits CloudWatch's 1,024 characters once deployed is unknown. Key its maximum by the token itself: " +
          `tokenMaxLengths: { [value]: n }, where value is what you put in ctx.${field} (e.g. { [instance.instanceIdentifier]: 63 }: an RDS identifier or database name has at most 63 characters)`,
      );
    }
  }
}

/** The log group's reference (none: left out), the first command, its hint. */
type Shape = [logGroup: string | undefined, first: string, hint: string];

/** Throws when a description could exceed CloudWatch's limit once deployed (each token at its longest value). */
export function checkGuardDescription(spec: GuardAlarmSpec, description: string, tokenMaxLengths?: Readonly<Record<string, number>>): void {
  const length = deployedLength(description, tokenMaxLengths);
  if (length > MAX_ALARM_DESCRIPTION_LENGTH) {
    throw new Error(
      `SchemaGuard: the runbook of alarm "${spec.id}" makes a description of up to ${length} characters once deployed; CloudWatch allows ${MAX_ALARM_DESCRIPTION_LENGTH}. Shorten its meaning or fix in lib/alarms/guard-catalog.ts`,
    );
  }
}
