/**
 * Command-line parsing: `schemaguard <command> [flags]`. Unknown flags and bad
 * values are UsageErrors (exit 2) that name the flag, the value and the fix.
 */
import { DURATION_FORMAT_HINT, parseDuration } from '../../lambda/engine/duration';
import { UsageError } from './errors';

export const VERSION = '0.1.0';

export const COMMANDS = ['migrate', 'plan', 'status', 'lint', 'check', 'diff', 'snapshot', 'doctor', 'guard', 'capture', 'new', 'baseline', 'repair'] as const;
export type Command = (typeof COMMANDS)[number];

/** Positional arguments each command takes: [least, most, how to write them]. */
const ARGUMENTS: Partial<Record<Command, [number, number, string]>> = {
  new: [1, 1, 'schemaguard new NAME'],
  baseline: [0, 1, 'schemaguard baseline VERSION'],
  repair: [0, Number.POSITIVE_INFINITY, 'schemaguard repair [VERSION…] --reason TEXT'],
};

export const FORMATS = ['text', 'json', 'github', 'sarif'] as const;
export type OutputFormat = (typeof FORMATS)[number];
/** The tools whose history `baseline --from` reads. */
export const BASELINE_SOURCES = ['flyway', 'node-pg-migrate'] as const;
export type BaselineSource = (typeof BASELINE_SOURCES)[number];

export interface CliOptions {
  command: Command | 'help' | 'version';
  databaseUrl?: string;
  dir: string;
  json: boolean;
  lockWaitMs: number;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  lockRetries: number;
  allowAhead: boolean;
  outOfOrder: boolean;
  stateSchema: string;
  /** Where the embedded server keeps its data. */
  embeddedDir: string;
  quiet: boolean;
  /** Per-attempt connect timeout. */
  connectTimeoutMs: number;
  /** Connect attempts after the first one fails with a transient error. */
  connectRetries: number;
  /** Directory of query contracts (`check`). */
  contractsDir: string;
  /** Schema snapshot file (`diff`). */
  snapshot: string;
  /** Positional arguments after the command (`new NAME`, `baseline VERSION`, `repair VERSION…`). */
  args: string[];
  /** How findings are printed; `--json` is `--format json`. */
  format: OutputFormat;
  /** Why (`baseline`, `repair`). */
  reason?: string;
  /** `baseline --from`: read the version from another tool's history table. */
  from?: BaselineSource;
  /** `status --exit-code`: exit 1 when anything is pending or changed. */
  exitCode: boolean;
  /** `plan --offline`: the files alone, no database (every file pending, no table sizes). */
  offline: boolean;
  /** `plan`: warn when a write-blocking lock is held over a scan or rewrite of a table with at least this many rows. */
  warnRows: number;
  /** `capture`: only statements executed at least this often. */
  minCalls: number;
  /** `capture`: list what would be written, write nothing. */
  dryRun: boolean;
}

type FlagKind = 'string' | 'duration' | 'int' | 'count' | 'bool' | 'format' | 'source';
interface FlagSpec { key: keyof CliOptions; kind: FlagKind; help: string; value?: string }

export const FLAGS: Record<string, FlagSpec> = {
  '--database-url': { key: 'databaseUrl', kind: 'string', value: 'URL', help: 'PostgreSQL to use (or DATABASE_URL); default: the embedded server under .schemaguard/' },
  '--dir': { key: 'dir', kind: 'string', value: 'DIR', help: 'migrations directory (default: migrations)' },
  '--json': { key: 'json', kind: 'bool', help: 'print the result (or the error) as one JSON object' },
  '--lock-wait': { key: 'lockWaitMs', kind: 'duration', value: 'DURATION', help: 'how long to wait for another runner\'s lock, trying again with backoff (default: 60s; 0 = one try)' },
  '--lock-timeout': { key: 'lockTimeoutMs', kind: 'duration', value: 'DURATION', help: 'lock_timeout per migration without a directive (default: 5s)' },
  '--statement-timeout': { key: 'statementTimeoutMs', kind: 'duration', value: 'DURATION', help: 'statement_timeout per migration without a directive (default: 0 = none)' },
  '--lock-retries': { key: 'lockRetries', kind: 'int', value: 'N', help: 'retries after a lock timeout, with backoff (default: 3)' },
  '--allow-ahead': { key: 'allowAhead', kind: 'bool', help: 'succeed when the database has migrations the files do not (rollbacks)' },
  '--out-of-order': { key: 'outOfOrder', kind: 'bool', help: 'apply pending migrations older than the newest applied one' },
  '--state-schema': { key: 'stateSchema', kind: 'string', value: 'NAME', help: "schema for schemaguard's state table (default: schemaguard)" },
  '--embedded-dir': { key: 'embeddedDir', kind: 'string', value: 'DIR', help: 'data directory of the embedded server (default: .schemaguard)' },
  '--quiet': { key: 'quiet', kind: 'bool', help: 'no progress lines' },
  '--connect-timeout': { key: 'connectTimeoutMs', kind: 'duration', value: 'DURATION', help: 'give up on one connection attempt after this long (default: 10s; 0 = no limit)' },
  '--connect-retries': { key: 'connectRetries', kind: 'int', value: 'N', help: 'retry a failed connection N times with backoff, e.g. while the server starts (default: 0)' },
  '--contracts': { key: 'contractsDir', kind: 'string', value: 'DIR', help: 'query contracts for check, guard and capture (default: contracts)' },
  '--snapshot': { key: 'snapshot', kind: 'string', value: 'FILE', help: 'schema snapshot for diff and guard (default: lambda/schema/snapshot.json)' },
  '--format': { key: 'format', kind: 'format', value: 'FORMAT', help: 'text, json, github (workflow annotations) or sarif (SARIF 2.1.0) for lint, check, doctor, diff, plan and guard (default: text)' },
  '--reason': { key: 'reason', kind: 'string', value: 'TEXT', help: 'why: kept with the rows baseline records and with every checksum repair accepts' },
  '--from': { key: 'from', kind: 'source', value: 'TOOL', help: 'baseline: take the version from flyway or node-pg-migrate history in the same database' },
  '--exit-code': { key: 'exitCode', kind: 'bool', help: 'status: exit 1 when a migration is pending or changed (a CI gate)' },
  '--offline': { key: 'offline', kind: 'bool', help: 'plan: from the files alone, without a database (every file pending, no table sizes)' },
  '--warn-rows': { key: 'warnRows', kind: 'count', value: 'N', help: 'plan: warn when a write-blocking lock is held over a scan or rewrite of a table of at least N rows (default: 100000)' },
  '--min-calls': { key: 'minCalls', kind: 'count', value: 'N', help: 'capture: only statements executed at least N times (default: 5)' },
  '--dry-run': { key: 'dryRun', kind: 'bool', help: 'capture: list the contracts it would write, write nothing' },
};

export function defaults(env: NodeJS.ProcessEnv = process.env): CliOptions {
  return {
    command: 'help',
    // Set but empty (a CI secret that is missing) is kept: a command that needs a database refuses it (connectTarget).
    databaseUrl: env.DATABASE_URL,
    dir: 'migrations',
    json: false,
    lockWaitMs: 60_000,
    lockTimeoutMs: 5000,
    statementTimeoutMs: 0,
    lockRetries: 3,
    allowAhead: false,
    outOfOrder: false,
    stateSchema: 'schemaguard',
    embeddedDir: '.schemaguard',
    quiet: false,
    connectTimeoutMs: 10_000,
    connectRetries: 0,
    contractsDir: 'contracts',
    snapshot: 'lambda/schema/snapshot.json',
    args: [],
    format: 'text',
    exitCode: false,
    offline: false,
    warnRows: 100_000,
    minCalls: 5,
    dryRun: false,
  };
}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  const opts = defaults(env);
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') { opts.command = 'help'; return opts; }
    if (arg === '-v' || arg === '--version') { opts.command = 'version'; return opts; }
    if (!arg.startsWith('--')) { rest.push(arg); continue; }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const spec = FLAGS[name];
    if (!spec) {
      const near = Object.keys(FLAGS).find((f) => f.startsWith(name.slice(0, 6)));
      throw new UsageError(`unknown flag ${name}`, { value: name, fix: near ? `did you mean ${near}? (schemaguard --help lists the flags)` : 'schemaguard --help lists the flags' });
    }
    let raw: string | undefined;
    if (spec.kind === 'bool') {
      if (eq >= 0) throw new UsageError(`${name} takes no value`, { value: arg, fix: `write ${name} alone` });
      (opts as unknown as Record<string, unknown>)[spec.key] = true;
      continue;
    }
    raw = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (raw === undefined || (eq < 0 && raw.startsWith('--'))) {
      throw new UsageError(`${name} needs a value`, { value: name, fix: `write ${name} ${spec.value ?? 'VALUE'}` });
    }
    (opts as unknown as Record<string, unknown>)[spec.key] = convert(name, spec, raw);
  }
  if (rest.length === 0) { opts.command = 'help'; return opts; }
  const [command, ...extra] = rest;
  if (!(COMMANDS as readonly string[]).includes(command!)) {
    throw new UsageError(`unknown command "${command}"`, { value: command, fix: `use one of: ${COMMANDS.join(', ')}` });
  }
  opts.command = command as Command;
  opts.args = commandArguments(opts.command, extra);
  if (opts.json) opts.format = 'json';
  else if (opts.format === 'json') opts.json = true;
  return opts;
}

function commandArguments(command: Command, extra: string[]): string[] {
  const [least, most, usage] = ARGUMENTS[command] ?? [0, 0, ''];
  if (extra.length > most) {
    const value = extra[most]!;
    throw new UsageError(`unexpected argument "${value}"`, { value, fix: usage ? `write ${usage}` : 'flags start with --; see schemaguard --help' });
  }
  if (extra.length < least) throw new UsageError(`${command} needs an argument`, { value: command, fix: `write ${usage}` });
  return extra;
}

function convert(name: string, spec: FlagSpec, raw: string): unknown {
  switch (spec.kind) {
    case 'duration': {
      const ms = parseDuration(raw);
      if (ms === undefined) throw new UsageError(`${name}: bad duration "${raw}"`, { value: raw, fix: DURATION_FORMAT_HINT });
      return ms;
    }
    case 'int': {
      if (!/^\d{1,6}$/.test(raw)) throw new UsageError(`${name}: "${raw}" is not a whole number`, { value: raw, fix: `e.g. ${name} 3` });
      return Number(raw);
    }
    case 'count': {
      const n = raw.replace(/_/g, '');
      if (!/^\d{1,15}$/.test(n)) throw new UsageError(`${name}: "${raw}" is not a whole number`, { value: raw, fix: `e.g. ${name} 1_000_000` });
      return Number(n);
    }
    case 'format':
      return oneOf(name, raw, FORMATS);
    case 'source':
      return oneOf(name, raw, BASELINE_SOURCES);
    default:
      if (raw === '') throw new UsageError(`${name} is empty`, { value: raw, fix: `write ${name} ${spec.value ?? 'VALUE'}` });
      return raw;
  }
}

function oneOf<T extends string>(name: string, raw: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new UsageError(`${name}: unknown value "${raw}"`, { value: raw, fix: `use one of: ${allowed.join(', ')}` });
}

export function helpText(version: string): string {
  const flags = Object.entries(FLAGS).map(([f, s]) => `  ${`${f}${s.value ? ` ${s.value}` : ''}`.padEnd(30)} ${s.help}`).join('\n');
  return `schemaguard ${version} — ordered, checked PostgreSQL schema fixes

Usage: schemaguard <command> [flags]

Commands:
  plan      what would run, in order: each statement's lock, its table's size, rewrites and scans (writes nothing)
  migrate   apply pending migrations, each in its own transaction with its checks
  status    applied / baselined / pending / changed / unknown, as a table
  lint      lint the pending migrations (all files without a database); exit 1 on errors
  check     check the query contracts (--contracts DIR) against the live schema, writing nothing
  diff      compare the live schema with the snapshot the migrations produce; exit 1 on drift
  snapshot  apply the migrations to a throwaway embedded PostgreSQL and write the schema they produce (--snapshot)
  doctor    schema problems on any database (missing defaults, foreign keys, INVALID indexes, …)
  guard     one read-only pass over a live database: drift, contracts, doctor errors, INVALID indexes,
            unvalidated constraints, pending or unknown migrations; exit 1 when a finding pages
  capture   write the application's statements from pg_stat_statements as contracts (--dry-run lists them)
  new NAME  create the next-numbered migration file in --dir, with a header of directives
  baseline VERSION
            record the files up to VERSION as applied without running them (adopting an existing database)
  repair [VERSION…] --reason TEXT
            accept the new text of applied files that were edited; old and new checksums are audited

Flags:
${flags}

Exit codes: 0 success, 1 a migration, check or refusal failed, 2 usage or input error.
`;
}
