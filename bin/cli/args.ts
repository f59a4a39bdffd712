/**
 * Command-line parsing: `schemaguard <command> [flags]`. Unknown flags and bad
 * values are UsageErrors (exit 2) that name the flag, the value and the fix.
 */
import { DURATION_FORMAT_HINT, MAX_DURATION_MS, parseDuration } from '../../lambda/engine/files/duration';
import { DEFAULT_LOCK_RETRIES, DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_LOCK_WAIT_MS, DEFAULT_STANDBY_WAIT_MS } from '../../lambda/engine/defaults';
import { HISTORY_SOURCES, type HistorySource } from '../../lambda/engine/foreign-history/foreign-history';
import { MIGRATION_LAYOUTS } from '../../lambda/engine/files/layout';
import { nearestWord } from '../../lambda/engine/errors/nearest';
import { CONFIG_FILE_NAME, defaultSnapshot } from '../../lib/config/load';
import { DEFAULT_MIGRATIONS_DIR, SETTINGS } from '../../lib/config/settings';
import { UsageError } from './errors';
import { orList } from '../../lambda/engine/errors/words';
import { commandSpec, COMMANDS, HELP_ORDER, OPTION_TAKERS, SARIF_COMMANDS, type Command, type GroupsOf } from './registry';
import { FORMATS, groupOf, type AllOptions, type CommonOptions, type GroupKeys, type OptionGroup, type OutputFormat } from './options';
import { DOCS_POINTERS } from '../../lambda/engine/errors/docs-pointers';

/** A setting's default as its flag's help shows it, read from the settings registry (lib/config/settings.ts), which owns it. */
function registryDefault(flag: string): string {
  const found = SETTINGS.find((s) => 'flag' in s && s.flag === flag && 'default' in s);
  if (!found || !('default' in found)) throw new Error(`the settings registry has no default for ${flag}`);
  return String(found.default);
}

export const VERSION = '0.1.0';

export { FORMATS, type OutputFormat } from './options';
/** The tools whose history `baseline --from` reads: the engine's registry. */
export const BASELINE_SOURCES = HISTORY_SOURCES;
export type BaselineSource = HistorySource;

/** What the parser produces: every group's options (options.ts), and the command. */
export interface CliOptions extends AllOptions {
  command: Command | 'help' | 'version';
  /** `help COMMAND`, `COMMAND --help`: the command whose help to print. */
  helpFor?: Command;
}

/** The options in the groups `G`, and the common ones: what code that needs only these reads. */
export type OptionsIn<G extends OptionGroup> = Pick<CliOptions, 'command' | keyof CommonOptions | GroupKeys<G>>;

/** The options `command` takes (the registry's OPTION_TAKERS): all its code may read. */
export type OptionsOf<C extends Command> = OptionsIn<GroupsOf<C>>;

type FlagKind = 'string' | 'duration' | 'int' | 'count' | 'version' | 'bool' | 'format' | 'source' | 'layout';
/**
 * `for`: the commands the flag applies to (in their help), its option's group's (OPTION_TAKERS); given to another, it is refused (parseArgs), never ignored. Every command when absent.
 * `helpFor`: the help line for one command, where the flag means more there (lint's --database-url).
 * `zero`: a duration that must be positive, and what 0 would mean (said when it is refused).
 */
export interface FlagSpec {
  key: keyof AllOptions;
  kind: FlagKind;
  help: string;
  value?: string;
  for?: readonly Command[];
  helpFor?: Partial<Record<Command, string>>;
  zero?: string;
}

/** `spec` with the commands that take its option's group; none for a common option (every command takes it). */
function withTakers(spec: Omit<FlagSpec, 'for'>): FlagSpec {
  const group = groupOf(spec.key);
  return group ? { ...spec, for: OPTION_TAKERS[group] } : spec;
}

const FLAG_SPECS: Record<string, Omit<FlagSpec, 'for'>> = {
  '--database-url': {
    key: 'databaseUrl',
    kind: 'string',
    value: 'URL',
    help: 'PostgreSQL to use (or DATABASE_URL); default: the embedded server under .schemaguard/',
    helpFor: {
      lint: 'PostgreSQL whose applied migrations lint takes as applied (or DATABASE_URL); default: what the embedded server under .schemaguard/ applied when it has data, else the files changed since the git base (origin/HEAD; --since REF names another), else every file counts as pending, and lint says so first',
      lsp: "PostgreSQL whose applied migrations, catalog and table sizes the server reads when it starts and when a file is saved, as lint reads them (or DATABASE_URL); default: as lint's",
    },
  },
  '--cluster-arn': {
    key: 'clusterArn',
    kind: 'string',
    value: 'ARN',
    help: 'an Aurora cluster to reach through the RDS Data API instead of a URL (with --secret-arn; AWS credentials from the standard chain, the region from the ARN)',
  },
  '--secret-arn': { key: 'secretArn', kind: 'string', value: 'ARN', help: 'with --cluster-arn: the Secrets Manager secret the Data API signs in with' },
  '--database': { key: 'database', kind: 'string', value: 'NAME', help: 'with --cluster-arn: the database on the cluster (default: postgres)' },
  '--function': {
    key: 'functionName',
    kind: 'string',
    value: 'NAME',
    help: 'run the command in the deployed migration function (SchemaMigrations onEventHandler, its name or ARN), against its database with its deployed files; baseline and repair only where operatorCommands.writes allows',
  },
  '--actor': {
    key: 'actor',
    kind: 'string',
    value: 'NAME',
    help: 'with --function: who asks, recorded by the function (default: your ARN from STS GetCallerIdentity)',
  },
  '--dir': { key: 'dir', kind: 'string', value: 'DIR', help: `migrations directory (default: ${registryDefault('--dir')})` },
  '--layout': {
    key: 'layout',
    kind: 'layout',
    value: 'LAYOUT',
    help: `how --dir is laid out: ${MIGRATION_LAYOUTS.join(', ')} (default: detected; drizzle by its meta/_journal.json, prisma by its <timestamp>_<name>/migration.sql folders)`,
  },
  '--config': {
    key: 'config',
    kind: 'string',
    value: 'FILE',
    help: 'the project file to read (default: schemaguard.config.json in the working directory or the nearest one above it)',
  },
  '--json': { key: 'json', kind: 'bool', help: 'print the result (or the error) as one JSON object' },
  '--lock-wait': {
    key: 'lockWaitMs',
    kind: 'duration',
    value: 'DURATION',
    help: `how long to wait for another runner's lock, trying again with backoff (default: ${DEFAULT_LOCK_WAIT_MS / 1000}s; 0 = one try)`,
  },
  '--lock-timeout': {
    key: 'lockTimeoutMs',
    kind: 'duration',
    value: 'DURATION',
    help: `lock_timeout per migration without a directive, more than 0 (default: ${DEFAULT_LOCK_TIMEOUT_MS / 1000}s)`,
    zero: 'lock_timeout 0 in PostgreSQL means none: a statement waits forever behind any lock it conflicts with, and the queries queued behind a waiting ALTER wait too',
  },
  '--statement-timeout': {
    key: 'statementTimeoutMs',
    kind: 'duration',
    value: 'DURATION',
    help: 'statement_timeout per migration without a directive (default: 0 = none)',
  },
  '--lock-retries': { key: 'lockRetries', kind: 'int', value: 'N', help: `retries after a lock timeout, with backoff (default: ${DEFAULT_LOCK_RETRIES})` },
  '--allow-ahead': { key: 'allowAhead', kind: 'bool', help: 'succeed when the database has migrations the files do not (rollbacks); status: with --exit-code' },
  '--out-of-order': { key: 'outOfOrder', kind: 'bool', help: 'apply pending migrations older than the newest applied one' },
  '--backfill-later': {
    key: 'backfillLater',
    kind: 'bool',
    help: 'run the first batch of each -- schemaguard:backfill and leave the rest for a later migrate (or the deployed workflow); a file that says -- schemaguard:after-backfill of one not done is then refused (exit 2), the files before it applied',
  },
  '--allow-rerun': {
    key: 'allowRerun',
    kind: 'version',
    value: 'VERSION',
    help: 'apply pending VERSION although an applied version has the same text (checksum): its statements run a second time (without it such a file is refused; a renumbered one is given its version back)',
  },
  '--ignore-foreign-history': {
    key: 'ignoreForeignHistory',
    kind: 'bool',
    help: "run the files where another tool's history table is and schemaguard has recorded nothing (instead: baseline --from TOOL)",
  },
  '--state-schema': {
    key: 'stateSchema',
    kind: 'string',
    value: 'NAME',
    help: `schema for schemaguard's state table (default: ${registryDefault('--state-schema')})`,
  },
  '--embedded': {
    key: 'embedded',
    kind: 'bool',
    help: 'use the embedded server under .schemaguard/ although PGHOST, PGPORT, PGDATABASE, PGUSER or PGSERVICE is set (without it they are refused, never silently ignored)',
  },
  '--iam': {
    key: 'iam',
    kind: 'bool',
    help: 'IAM database authentication: sign a token (15 minutes) for each connection from the AWS credential chain and region instead of a password; the URL names the user and no password, and TLS is verify-full unless its sslmode says otherwise',
  },
  '--pooler': {
    key: 'pooler',
    kind: 'bool',
    help: 'the URL points at a pooler or proxy that multiplexes transactions (RDS Proxy, PgBouncer in transaction mode): the runner lock becomes a lease and no-transaction files are refused (an RDS Proxy endpoint is recognised by its name, another pooler by its start-up)',
  },
  '--embedded-dir': {
    key: 'embeddedDir',
    kind: 'string',
    value: 'DIR',
    help: `data directory of the embedded server (default: ${registryDefault('--embedded-dir')})`,
  },
  '--quiet': { key: 'quiet', kind: 'bool', help: 'no progress lines' },
  '--connect-timeout': {
    key: 'connectTimeoutMs',
    kind: 'duration',
    value: 'DURATION',
    help: 'give up on one connection attempt after this long (default: 10s; 0 = no limit)',
  },
  '--connect-retries': {
    key: 'connectRetries',
    kind: 'int',
    value: 'N',
    help: 'retry a failed connection N times with backoff, e.g. while the server starts (default: 0)',
  },
  '--contracts': {
    key: 'contractsDir',
    kind: 'string',
    value: 'DIR',
    help: `query contracts for check, guard and capture (default: ${registryDefault('--contracts')})`,
  },
  '--snapshot': {
    key: 'snapshot',
    kind: 'string',
    value: 'FILE',
    help: 'schema snapshot that snapshot writes and diff, guard and check read (default: schema.snapshot.json in the migrations directory)',
  },
  '--format': {
    key: 'format',
    kind: 'format',
    value: 'FORMAT',
    help: 'text, json or github (workflow annotations; a failure is one) for every command; sarif (SARIF 2.1.0) for lint, check, doctor, diff, plan and guard (default: text)',
  },
  '--reason': { key: 'reason', kind: 'string', value: 'TEXT', help: 'why: kept with the rows baseline records and with every checksum repair accepts' },
  '--rename': { key: 'rename', kind: 'bool', help: 'repair: also accept a file whose version ran under another name (that migration renamed, not a new one)' },
  '--from': {
    key: 'from',
    kind: 'source',
    value: 'TOOL',
    help: `baseline: take the version from another tool's history table in the same database: ${BASELINE_SOURCES.join(', ')}`,
  },
  '--exit-code': {
    key: 'exitCode',
    kind: 'bool',
    help: 'status: exit 1 when a migration is pending or changed, or migrate would refuse the database; plan: exit 1 when it reports an error (a CI gate)',
    helpFor: {
      status: 'exit 1 when a migration is pending or changed, or migrate would refuse the database (a CI gate)',
      plan: 'exit 1 when plan reports an error, a lint error or a refusal of migrate, as lint does (a CI gate; without it plan is a report and exits 0)',
    },
  },
  '--since': {
    key: 'since',
    kind: 'string',
    value: 'REF',
    help: 'lint, lsp: the files git ref REF has, unchanged, count as applied, the rest pending (a pull request: --since origin/main)',
  },
  '--offline': { key: 'offline', kind: 'bool', help: 'plan: from the files alone, without a database (every file pending, no table sizes)' },
  '--server-version': {
    key: 'serverVersion',
    kind: 'int',
    value: 'MAJOR',
    help: 'lint and lsp without a database, plan --offline: the PostgreSQL major version (13 to 18) the migrations run on (e.g. 15): syntax it lacks is an error, and plan shows its locks (default: 18, the grammar they are parsed with; with a database, its own)',
  },
  '--warn-rows': {
    key: 'warnRows',
    kind: 'count',
    value: 'N',
    help: 'plan: warn when a write-blocking lock is held over a scan or rewrite of a table of at least N rows (default: 100000)',
  },
  '--trace': {
    key: 'trace',
    kind: 'bool',
    help: 'plan: run each pending file as migrate would on a copy of the schema without its rows (a database of its own on the embedded server, or on --trace-database, dropped after), and show the lock, rewrite and scan PostgreSQL took beside the ones plan predicts; a difference is a trace-mismatch warning',
  },
  '--trace-database': {
    key: 'traceDatabase',
    kind: 'string',
    value: 'URL',
    help: 'plan --trace: the scratch PostgreSQL server to trace on (implies --trace): schemaguard creates a database of its own there for the copy and drops it after (the role needs CREATEDB); never the target database (default: the embedded server)',
  },
  '--min-calls': { key: 'minCalls', kind: 'count', value: 'N', help: 'capture: only statements executed at least N times (default: 5)' },
  '--dry-run': { key: 'dryRun', kind: 'bool', help: 'capture: list the contracts it would write, write nothing' },
  '--replication-planned': {
    key: 'replicationPlanned',
    kind: 'string',
    value: 'REASON',
    help: 'migrate, plan: change tables that a publication or an active logical slot carries (RDS Blue/Green, DMS, Debezium, subscriptions), saying how that was planned for (without it such a file needs -- schemaguard:replication-planned, or is refused)',
  },
  '--standby-wait': {
    key: 'standbyWaitMs',
    kind: 'duration',
    value: 'DURATION',
    help: `migrate: after applying, wait this long for every standby to replay the migrations, with progress lines (default: ${DEFAULT_STANDBY_WAIT_MS / 1000}s; 0 = report their lag only)`,
  },
  '--stdio': {
    key: 'stdio',
    kind: 'bool',
    help: 'lsp: speak the Language Server Protocol on stdin and stdout (the only transport; editors pass it, and it may be left out)',
  },
  '--clientProcessId': {
    key: 'clientProcessId',
    kind: 'count',
    value: 'PID',
    help: "lsp: the editor's process id (VS Code's language client passes it): the server ends when that process has",
  },
  '--fleet-schemas': {
    key: 'fleetSchemas',
    kind: 'string',
    value: 'PATTERN',
    help: 'a fleet: every schema of the database whose name is LIKE PATTERN (e.g. tenant\\_%) is a tenant, with its own state table, the files run with search_path set to it; one line per tenant and a summary (default: the project file\'s "fleet")',
  },
  '--fleet-databases': {
    key: 'fleetDatabases',
    kind: 'string',
    value: 'PATTERN',
    help: 'a fleet: every database on the server whose name is LIKE PATTERN is a tenant (default: the project file\'s "fleet")',
  },
  '--fleet-parameter-path': {
    key: 'fleetParameterPath',
    kind: 'string',
    value: 'PATH',
    help: 'a fleet: the value of each String parameter under the SSM Parameter Store PATH (e.g. /myapp/tenants, read recursively with the default AWS credentials and region) is a tenant schema of the database (default: the project file\'s "fleet")',
  },
  '--no-fleet': {
    key: 'noFleet',
    kind: 'bool',
    help: 'one database, as without a fleet: the project file\'s "fleet" is set aside (a tenant alone: its URL, with options=-csearch_path=TENANT and --state-schema TENANT for a schema tenant)',
  },
  '--fleet-concurrency': {
    key: 'fleetConcurrency',
    kind: 'int',
    value: 'N',
    help: 'a fleet: tenants at work at once (default: the project file\'s "fleet.concurrency", else 10)',
  },
  '--standby-strict': {
    key: 'standbyStrict',
    kind: 'bool',
    help: 'migrate: exit 1 when a standby has not replayed the migrations within --standby-wait (default: a warning)',
  },
};

export const FLAGS: Record<string, FlagSpec> = Object.fromEntries(Object.entries(FLAG_SPECS).map(([flag, spec]) => [flag, withTakers(spec)]));

/** The flags that choose or reach a server: unused where a command reads no database. */
const CONNECTION_FLAGS = ['--database-url', '--embedded', '--embedded-dir', '--connect-timeout', '--connect-retries', '--state-schema'] as const;

/** plan --trace without --trace-database: the copy is made on the embedded server (--embedded-dir's). */
function tracesOnEmbedded(o: CliOptions): boolean {
  return o.command === 'plan' && o.trace && o.traceDatabase === undefined;
}

/**
 * Flags a command takes, but not in this combination, where they would be
 * ignored: refused as a flag the command does not take is.
 */
const UNUSED_TOGETHER: readonly { flags: readonly string[]; when: (o: CliOptions) => boolean; why: string; fix: string }[] = [
  {
    flags: ['--database-url'],
    when: (o) => o.command === 'snapshot',
    why: 'it applies the migrations to a throwaway embedded PostgreSQL',
    fix: 'drop --database-url (schemaguard diff --database-url URL compares a live database with the snapshot)',
  },
  {
    flags: CONNECTION_FLAGS.filter((f) => f !== '--embedded-dir'),
    when: (o) => o.command === 'plan' && o.offline,
    why: 'plan --offline reads no database',
    fix: 'drop it, or drop --offline to plan against a database',
  },
  {
    flags: ['--embedded-dir'],
    when: (o) => o.command === 'plan' && o.offline && !tracesOnEmbedded(o),
    why: 'plan --offline reads no database (plan --offline --trace runs the files on the embedded server)',
    fix: 'drop it, add --trace to trace on the embedded server in that directory, or drop --offline to plan against a database',
  },
  {
    flags: CONNECTION_FLAGS,
    when: (o) => o.command === 'lint' && o.since !== undefined,
    why: 'lint --since takes the applied files from git, not from a database',
    fix: "give one: --since REF (the base branch's files count as applied), or the database to read them from",
  },
  {
    flags: CONNECTION_FLAGS,
    when: (o) => o.command === 'lsp' && o.since !== undefined,
    why: 'lsp --since takes the applied files from git, not from a database',
    fix: "give one: --since REF (the base branch's files count as applied), or the database to read them from",
  },
  {
    flags: ['--json', '--format'],
    when: (o) => o.command === 'lsp',
    why: 'it speaks the Language Server Protocol on stdout, whatever the format',
    fix: 'drop it: an editor reads the diagnostics from the protocol (lint --json prints the same findings)',
  },
  {
    flags: ['--embedded-dir'],
    when: (o) => o.given.has('databaseUrl') && !tracesOnEmbedded(o),
    why: '--database-url names the server, so no embedded server is used',
    fix: 'drop --embedded-dir, or drop --database-url to use the embedded server',
  },
  {
    flags: ['--allow-ahead'],
    when: (o) => o.command === 'status' && !o.exitCode,
    why: 'status reports migrations the files do not have either way; --allow-ahead changes only the exit code of --exit-code',
    fix: 'add --exit-code, or drop --allow-ahead',
  },
];

export function defaults(env: NodeJS.ProcessEnv = process.env): CliOptions {
  return {
    command: 'help',
    // Set but empty (a CI secret that is missing) is kept: a command that needs a database refuses it (connectTarget).
    databaseUrl: env.DATABASE_URL,
    dir: DEFAULT_MIGRATIONS_DIR,
    json: false,
    lockWaitMs: DEFAULT_LOCK_WAIT_MS,
    lockTimeoutMs: DEFAULT_LOCK_TIMEOUT_MS,
    statementTimeoutMs: 0,
    lockRetries: DEFAULT_LOCK_RETRIES,
    allowAhead: false,
    outOfOrder: false,
    backfillLater: false,
    backfill: {},
    ignoreForeignHistory: false,
    stateSchema: 'schemaguard',
    embeddedDir: '.schemaguard',
    embedded: false,
    quiet: false,
    connectTimeoutMs: 10_000,
    connectRetries: 0,
    contractsDir: 'contracts',
    snapshot: defaultSnapshot(DEFAULT_MIGRATIONS_DIR),
    databaseUrlEnv: 'DATABASE_URL',
    projectFiles: true,
    lintRules: {},
    given: new Set(),
    fromFile: new Set(),
    outsideProject: new Set(),
    args: [],
    format: 'text',
    exitCode: false,
    rename: false,
    offline: false,
    warnRows: 100_000,
    trace: false,
    minCalls: 5,
    dryRun: false,
    standbyWaitMs: DEFAULT_STANDBY_WAIT_MS,
    standbyStrict: false,
    iam: false,
    pooler: false,
    stdio: false,
  };
}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  const opts = defaults(env);
  const read = readFlags(argv, opts);
  if (read === 'help' || read === 'version') return opts;
  const [command, ...extra] = read.rest;
  // `schemaguard help` and `schemaguard help migrate` are --help.
  // No command (a CI step's `schemaguard $COMMAND` with the variable empty) is a usage error, not help: it must not pass.
  if (command === undefined) {
    // No `value`: the arguments may hold a database URL with its password.
    throw new UsageError('no command given', {
      fix: `write schemaguard COMMAND [flags], COMMAND one of: ${COMMANDS.join(', ')} (schemaguard help lists them and the flags)`,
    });
  }
  if (command === 'help') {
    opts.command = 'help';
    opts.helpFor = helpArguments(extra);
    return opts;
  }
  opts.command = knownCommand(command);
  opts.args = commandArguments(opts.command, extra);
  if (opts.json && opts.format !== 'text' && opts.format !== 'json') {
    throw new UsageError(`--json and --format ${opts.format} ask for two outputs`, {
      value: opts.format,
      fix: `write one: --json (the same as --format json) or --format ${opts.format}`,
    });
  }
  if (opts.json) opts.format = 'json';
  else if (opts.format === 'json') opts.json = true;
  refuseFormat(opts.command, opts.format);
  refuseUnusedFlags(opts, read.flags);
  // Beside the migrations, wherever --dir put them.
  if (!opts.given.has('snapshot')) opts.snapshot = defaultSnapshot(opts.dir);
  return opts;
}

/** The flags into `opts`; the other arguments and the flags given, in order; or the help or version, which end the reading. */
function readFlags(argv: string[], opts: CliOptions): { rest: string[]; flags: string[] } | 'help' | 'version' {
  const rest: string[] = [];
  const flags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      opts.command = 'help';
      opts.helpFor = commandIn(argv);
      return 'help';
    }
    if (arg === '-v' || arg === '--version') {
      opts.command = 'version';
      return 'version';
    }
    if (!arg.startsWith('--')) {
      rest.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const spec = FLAGS[name];
    if (!spec) {
      // By edit distance, as commands and the project file's keys are: a shared prefix named --lock-wait for --lock-timout.
      const near = nearestWord(
        name.replace(/^--/, ''),
        Object.keys(FLAGS).map((f) => f.slice(2)),
      );
      throw new UsageError(`unknown flag ${name}`, {
        value: name,
        fix: near ? `did you mean --${near}? (schemaguard --help lists the flags)` : 'schemaguard --help lists the flags',
      });
    }
    opts.given.add(spec.key);
    flags.push(name);
    if (spec.kind === 'bool') {
      if (eq >= 0) throw new UsageError(`${name} takes no value`, { value: arg, fix: `write ${name} alone` });
      (opts as unknown as Record<string, unknown>)[spec.key] = true;
      continue;
    }
    const raw = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (raw === undefined || (eq < 0 && raw.startsWith('--'))) {
      throw new UsageError(`${name} needs a value`, { value: name, fix: `write ${name} ${spec.value ?? 'VALUE'}` });
    }
    (opts as unknown as Record<string, unknown>)[spec.key] = convert(name, spec, raw);
  }
  return { rest, flags };
}

/**
 * A flag the command does not use is refused, not ignored (`lint
 * --lock-timeout 5s` changed nothing, and said nothing): one the command
 * never takes, and one it takes but not in this combination (UNUSED_TOGETHER).
 */
function refuseUnusedFlags(opts: CliOptions, flags: readonly string[]): void {
  const command = opts.command as Command;
  for (const flag of flags) {
    const unused = UNUSED_TOGETHER.find((u) => u.flags.includes(flag) && u.when(opts));
    if (unused) throw new UsageError(`${command} does not use ${flag}: ${unused.why}`, { value: flag, fix: unused.fix });
    const takers = FLAGS[flag].for;
    if (takers && !takers.includes(command)) {
      throw new UsageError(`${command} does not use ${flag}`, {
        value: flag,
        fix: `drop ${flag}; it is for ${orList(takers)} (schemaguard help ${command} lists the flags ${command} takes)`,
      });
    }
  }
}

/**
 * What a command line that failed to parse still says: its command and its
 * --format (or --json), where they are written; so that a usage error is
 * reported in the shape the caller asked for (the JSON names the command,
 * a workflow gets its annotation). Never throws.
 */
export function statedArgs(argv: string[]): { command?: Command; format?: OutputFormat } {
  let command: Command | undefined;
  let format: OutputFormat | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(0, eq) : arg;
      const spec = FLAGS[name];
      const value = spec && spec.kind !== 'bool' ? (eq >= 0 ? arg.slice(eq + 1) : argv[++i]) : undefined;
      if (name === '--json') format = 'json';
      if (name === '--format' && (FORMATS as readonly string[]).includes(value ?? '')) format = value as OutputFormat;
    } else if (command === undefined && (COMMANDS as readonly string[]).includes(arg)) command = arg as Command;
  }
  return { ...(command ? { command } : {}), ...(format ? { format } : {}) };
}

function knownCommand(command: string): Command {
  if ((COMMANDS as readonly string[]).includes(command)) return command as Command;
  const near = nearestCommand(command);
  const list = `use one of: help, ${COMMANDS.join(', ')}`;
  throw new UsageError(`unknown command "${command}"`, { value: command, fix: near ? `did you mean ${near}? (${list})` : list });
}

/** The command a typo most likely meant (`migrat`, `stauts`, `mig`), or undefined (nearest.ts). */
export function nearestCommand(typed: string): string | undefined {
  return nearestWord(typed, ['help', ...COMMANDS]);
}

/** `help [COMMAND]`: a command named after help must be one. */
function helpArguments(extra: string[]): Command | undefined {
  if (extra.length > 1)
    throw new UsageError(`unexpected argument "${extra[1]}"`, { value: extra[1], fix: 'write schemaguard help, or schemaguard help COMMAND' });
  return extra[0] === undefined ? undefined : knownCommand(extra[0]);
}

/** The command of `… COMMAND … --help`: the first argument that is neither a flag nor a flag's value, when it is a command. */
function commandIn(argv: string[]): Command | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith('-')) {
      const spec = FLAGS[arg];
      if (spec && spec.kind !== 'bool' && !arg.includes('=')) i++;
      continue;
    }
    return (COMMANDS as readonly string[]).includes(arg) ? (arg as Command) : undefined;
  }
  return undefined;
}

/** Formats `command` supports. */
export function formatsOf(command: Command): readonly OutputFormat[] {
  return (SARIF_COMMANDS as readonly Command[]).includes(command) ? FORMATS : FORMATS.filter((f) => f !== 'sarif');
}

/** A --format the command does not write is refused, not ignored (`status --format sarif` printed a text table). */
function refuseFormat(command: Command, format: OutputFormat): void {
  const supported = formatsOf(command);
  if (supported.includes(format)) return;
  throw new UsageError(`--format ${format}: ${command} has no ${format} output`, {
    value: format,
    fix: `${command} takes --format ${orList(supported)}; ${format} is for ${orList(SARIF_COMMANDS)}`,
  });
}

function commandArguments(command: Command, extra: string[]): string[] {
  const spec = commandSpec(command);
  const [least, most] = spec.args ?? [0, 0];
  const usage = spec.args ? `schemaguard ${spec.usage}` : '';
  if (extra.length > most) {
    const value = extra[most];
    throw new UsageError(`unexpected argument "${value}"`, { value, fix: usage ? `write ${usage}` : 'flags start with --; see schemaguard --help' });
  }
  if (extra.length < least) throw new UsageError(`${command} needs an argument`, { value: command, fix: `write ${usage}` });
  return extra;
}

/** How to write a duration: a bare number is given its two likely units; `zero`: what 0 means for the flag, if it takes 0. */
function durationFix(raw: string, zero: string | undefined): string {
  const n = /^\s*(\d+(?:\.\d+)?)\s*$/.exec(raw)?.[1];
  const units = n === undefined ? DURATION_FORMAT_HINT.replace(' (or 0 for none)', '') : `a duration needs a unit: ${n}s for seconds, ${n}ms for milliseconds`;
  return zero ? `${units} (0 alone: ${zero})` : units;
}

/** What 0 means for the durations that take it (`FlagSpec.zero` names the ones that refuse it). */
const ZERO_MEANS: Partial<Record<string, string>> = { '--lock-wait': 'one try', '--connect-timeout': 'no limit' };

function convert(name: string, spec: FlagSpec, raw: string): unknown {
  switch (spec.kind) {
    case 'duration': {
      const ms = parseDuration(raw);
      // A number with a unit that parseDuration cannot hold exactly is too large, not malformed.
      if (ms === undefined && !/^\s*\d+(?:\.\d+)?\s*(?:ms|s|m|min|h)\s*$/.test(raw)) {
        throw new UsageError(`${name}: bad duration "${raw}"`, {
          value: raw,
          fix: durationFix(raw, spec.zero === undefined ? (ZERO_MEANS[name] ?? 'none') : undefined),
        });
      }
      const least = spec.zero ? '1ms' : '0';
      if (ms === undefined || ms > MAX_DURATION_MS) {
        throw new UsageError(
          `${name}: ${raw} is out of range (from ${least} to ${MAX_DURATION_MS}ms, about 596h: PostgreSQL's and Node.js's largest timeout)`,
          {
            value: raw,
            fix: `write ${name} with a duration from ${least} to 596h, e.g. ${name} 30s${spec.zero ? '' : ' (0 = none)'}`,
          },
        );
      }
      if (ms === 0 && spec.zero) refuseZero(name, raw, spec.zero);
      return ms;
    }
    case 'int':
      return wholeNumber(name, raw, MAX_RETRIES, '3');
    case 'count':
      return wholeNumber(name, raw.replace(/_/g, ''), MAX_COUNT, '1_000_000', raw);
    case 'version':
      return wholeNumber(name, raw, MAX_COUNT, '3');
    case 'format':
      return oneOf(name, raw, FORMATS);
    case 'source':
      return oneOf(name, raw, BASELINE_SOURCES);
    case 'layout':
      return oneOf(name, raw, MIGRATION_LAYOUTS);
    default:
      if (raw === '') throw new UsageError(`${name} is empty`, { value: raw, fix: `write ${name} ${spec.value ?? 'VALUE'}` });
      return raw;
  }
}

/** A duration flag that must be positive, written as 0 (or less than half a millisecond: `0.4ms`, rounded to 0). */
function refuseZero(name: string, raw: string, zero: string): never {
  throw new UsageError(`${name}: ${raw} turns the timeout off (${zero})`, {
    value: raw,
    fix: `write a positive duration, e.g. ${name} 5s (schemaguard retries lock timeouts with backoff); the lock-timeout=0 directive is refused by lint's lock-timeout-disabled for the same reason`,
  });
}

/** The most retries `--lock-retries` and `--connect-retries` take. */
const MAX_RETRIES = 1000;
/** The largest `--warn-rows` and `--min-calls`: a row count (PostgreSQL's bigint) still exact as a JavaScript number. */
const MAX_COUNT = Number.MAX_SAFE_INTEGER;

/** `digits` as a whole number from 0 to `max`, or a UsageError naming the flag, the value (as written) and the range. */
function wholeNumber(name: string, digits: string, max: number, example: string, written = digits): number {
  const range = `from 0 to ${max}`;
  if (!/^\d+$/.test(digits))
    throw new UsageError(`${name}: "${written}" is not a whole number`, { value: written, fix: `write a whole number ${range}, e.g. ${name} ${example}` });
  const n = Number(digits);
  if (n > max)
    throw new UsageError(`${name}: ${written} is out of range (${range})`, { value: written, fix: `write a whole number ${range}, e.g. ${name} ${example}` });
  return n;
}

function oneOf<T extends string>(name: string, raw: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new UsageError(`${name}: unknown value "${raw}"`, { value: raw, fix: `use one of: ${allowed.join(', ')}` });
}

export const EXIT_CODES = 'Exit codes: 0 success, 1 a migration, check or refusal failed, 2 usage or input error.';

/** The help's word on the project file (the CLI reference says it with a link). */
const PROJECT_FILE_HELP = `Project file: ${CONFIG_FILE_NAME} in the working directory or the nearest one above it (schemaguard init writes one);
a flag given wins over it. Its keys: ${DOCS_POINTERS.configuration}.`;

/** One flag's help line (`command`'s own where it has one), naming the project file's key that sets it too. */
function flagLine([flag, spec]: [string, FlagSpec], command?: Command): string {
  const key = SETTINGS.find((s) => s.flag === flag)?.key;
  const help = (command && spec.helpFor?.[command]) || spec.help;
  return `  ${`${flag}${spec.value ? ` ${spec.value}` : ''}`.padEnd(30)} ${help}${key ? `; ${CONFIG_FILE_NAME}: "${key}"` : ''}`;
}

/** The help: every command and flag, or (`command`) that command's usage and the flags it takes. */
export function helpText(version: string, command?: Command): string {
  if (command) {
    const { usage, what } = commandSpec(command);
    const flags = Object.entries(FLAGS)
      .filter(([, spec]) => !spec.for || spec.for.includes(command))
      .map((f) => flagLine(f, command))
      .join('\n');
    return `schemaguard ${version} — ${command}: ${what.replace(/\n/g, ' ')}

Usage: schemaguard ${usage} [flags]

Flags:
${flags}

${EXIT_CODES}
${PROJECT_FILE_HELP}
schemaguard help lists every command.
`;
  }
  const commands = HELP_ORDER.map((c) => {
    const { usage, what } = commandSpec(c);
    const lines = what.split('\n');
    const first = usage.length <= 8 ? `  ${usage.padEnd(9)} ${lines[0]}` : `  ${usage}\n            ${lines[0]}`;
    return [first, ...lines.slice(1).map((l) => `            ${l}`)].join('\n');
  }).join('\n');
  return `schemaguard ${version} — ordered, checked PostgreSQL schema fixes

Usage: schemaguard <command> [flags]
       schemaguard help [command]

Commands:
${commands}

Flags:
${Object.entries(FLAGS)
  .map((f) => flagLine(f))
  .join('\n')}

${EXIT_CODES}
${PROJECT_FILE_HELP}
`;
}
