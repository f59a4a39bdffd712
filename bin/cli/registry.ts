/**
 * Every command of the CLI, once: its usage, what it does, the arguments it
 * takes and what it reaches (a database, the state table, the migration
 * files). The parser, the help, the flags' command lists, the core bundle and
 * the CLI reference (scripts/docs/cli-pages.ts) all read it. A command's
 * code is loaded from the tables in commands/core.ts (the core bundle's) and
 * commands/index.ts, keyed by these names: the compiler refuses a command
 * without one. Which groups of options each command takes is OPTION_TAKERS
 * below (its traits decide the connection, state and files groups): its
 * flags, and the type its code is given (args.ts: OptionsOf), follow from it.
 *
 * Which commands the core bundle holds is core-commands.json, read here and by
 * the executable (bin/schemaguard.cjs), which picks the bundle before any of
 * this is loaded. Which ones the deployed function runs (--function) is the
 * operator protocol's OPERATOR_COMMANDS, which the handler reads too.
 * Imports nothing heavy: the core bundle and every run load it.
 */
import { OPERATOR_COMMANDS, type OperatorCommand } from '../../lambda/handler/operator-protocol';
import CORE_LIST from './core-commands.json';
import type { OptionGroup } from './options';

export interface CommandSpec {
  /** How it is written, after `schemaguard`. */
  usage: string;
  /** What it does, for the help (a line break where the help wraps it). */
  what: string;
  /** Positional arguments: [least, most]; none when absent. */
  args?: readonly [least: number, most: number];
  /** It connects to a database (snapshot uses a throwaway server of its own). */
  connects: boolean;
  /** It reads or writes the state table. */
  stateful: boolean;
  /** It reads the migration files (check and doctor read the database and the contracts only). */
  readsFiles: boolean;
}

/** In the order "use one of" lists them. */
const REGISTRY = {
  migrate: {
    usage: 'migrate',
    what: 'apply pending migrations, each in its own transaction with its checks',
    connects: true,
    stateful: true,
    readsFiles: true,
  },
  plan: {
    usage: 'plan',
    what: "what would run, in order: each statement's lock, its table's size, rewrites and scans, and the lint findings\n(writes nothing; exit 0 as a report, or with --exit-code 1 on an error, as lint;\n2 on a file that waits for a backfill not done, naming it and its progress)",
    connects: true,
    stateful: true,
    readsFiles: true,
  },
  status: { usage: 'status', what: 'applied / baselined / pending / changed / unknown, as a table', connects: true, stateful: true, readsFiles: true },
  lint: {
    usage: 'lint',
    what: "lint the pending migrations: those the database (or the embedded server, or git's base branch) has not applied;\nexit 1 on errors",
    connects: true,
    stateful: true,
    readsFiles: true,
  },
  check: {
    usage: 'check',
    what: 'check the query contracts (--contracts DIR) against the live schema, writing nothing',
    connects: true,
    stateful: false,
    readsFiles: false,
  },
  diff: {
    usage: 'diff',
    what: 'compare the live schema with the snapshot the migrations produce; exit 1 on drift (comment changes alone: reported, exit 0)',
    connects: true,
    stateful: true,
    readsFiles: true,
  },
  snapshot: {
    usage: 'snapshot',
    what: 'apply the migrations to a throwaway embedded PostgreSQL and write the schema they produce (--snapshot)',
    connects: false,
    stateful: false,
    readsFiles: true,
  },
  doctor: {
    usage: 'doctor',
    what: 'schema problems on any database (missing defaults, foreign keys, INVALID indexes, …)',
    connects: true,
    stateful: true,
    readsFiles: false,
  },
  guard: {
    usage: 'guard',
    what: 'one read-only pass over a live database: drift, contracts, doctor errors, INVALID indexes,\nunvalidated constraints, pending or unknown migrations; exit 1 when a finding pages',
    connects: true,
    stateful: true,
    readsFiles: true,
  },
  capture: {
    usage: 'capture',
    what: "write the application's statements from pg_stat_statements as contracts (--dry-run lists them)",
    connects: true,
    stateful: true,
    readsFiles: true,
  },
  new: {
    usage: 'new NAME',
    what: 'create the next-numbered migration file in --dir, with a header of directives',
    args: [1, 1],
    connects: false,
    stateful: false,
    readsFiles: true,
  },
  baseline: {
    usage: 'baseline VERSION',
    what: 'record the files up to VERSION as applied without running them (adopting an existing database)',
    args: [0, 1],
    connects: true,
    stateful: true,
    readsFiles: true,
  },
  repair: {
    usage: 'repair [VERSION…] --reason TEXT',
    what: 'accept the new text of applied files that were edited; old and new checksums are audited',
    args: [0, Number.POSITIVE_INFINITY],
    connects: true,
    stateful: true,
    readsFiles: true,
  },
  lsp: {
    usage: 'lsp --stdio',
    what: "a language server for editors, on stdin and stdout: lint's findings as you type, each statement's plan row on hover,\nthe fixes as code actions; reads the database as lint does (on open and save), writes nothing",
    connects: true,
    stateful: true,
    readsFiles: true,
  },
  init: {
    usage: 'init',
    what: 'write schemaguard.config.json, the migrations and contracts folders and a GitHub Actions workflow\n(what exists is kept, and said; beside drizzle-kit or Prisma, their folder and layout)',
    connects: false,
    stateful: false,
    readsFiles: true,
  },
} as const satisfies Record<string, CommandSpec>;

export type Command = keyof typeof REGISTRY;
export const COMMANDS = Object.keys(REGISTRY) as readonly Command[];

/** The registry's entry for `command`. */
export const commandSpec = (command: Command): CommandSpec => REGISTRY[command];

type Trait = 'connects' | 'stateful' | 'readsFiles';
/** The commands whose entry has `trait`, as a type. */
type CommandsWith<T extends Trait> = { [C in Command]: (typeof REGISTRY)[C][T] extends true ? C : never }[Command];

/** The commands whose entry has `trait`, in registry order. */
const commandsWith = <T extends Trait>(trait: T): readonly CommandsWith<T>[] => COMMANDS.filter((c): c is CommandsWith<T> => REGISTRY[c][trait]);

/** The order of the commands in the help and the reference: init first, where a project starts. */
export const HELP_ORDER: readonly Command[] = [
  'init',
  'plan',
  'migrate',
  'status',
  'lint',
  'check',
  'diff',
  'snapshot',
  'doctor',
  'guard',
  'capture',
  'new',
  'baseline',
  'repair',
  'lsp',
];

/** The commands that write findings as SARIF, in the order messages name them; every command takes text, json and github. */
export const SARIF_COMMANDS = ['lint', 'check', 'doctor', 'diff', 'plan', 'guard'] as const satisfies readonly Command[];
export type ReportingCommand = (typeof SARIF_COMMANDS)[number];

/** The commands of the core bundle (dist/schemaguard-core.cjs), which the executable runs when one is named first. */
export const CORE_COMMANDS = CORE_LIST as readonly Command[];

/** The commands the deployed migration function runs for `--function`, in the operator protocol's order. */
export const REMOTE_COMMANDS = Object.keys(OPERATOR_COMMANDS) as readonly (Command & OperatorCommand)[];

/** What `command` does to the database through the deployed function (`--function`), or undefined when the function does not run it. */
export const operatorMode = (command: Command): 'reads' | 'writes' | undefined => OPERATOR_COMMANDS[command as OperatorCommand];

/**
 * The commands that take each group of options (options.ts), in the order
 * their flags' help and reference list them: the parser refuses a group's
 * flag on any other command, and the compiler refuses a command's code
 * reading an option of a group it does not take (args.ts: OptionsOf).
 */
export const OPTION_TAKERS = {
  connection: commandsWith('connects'),
  remote: REMOTE_COMMANDS,
  state: commandsWith('stateful'),
  files: commandsWith('readsFiles'),
  contracts: ['check', 'guard', 'capture', 'init'],
  snapshot: ['diff', 'guard', 'check', 'snapshot', 'init'],
  runnerLock: ['migrate', 'baseline', 'repair'],
  apply: ['migrate'],
  ahead: ['migrate', 'status'],
  replication: ['migrate', 'plan'],
  exitCode: ['status', 'plan'],
  lintSettings: ['lint', 'plan', 'lsp'],
  reason: ['baseline', 'repair'],
  baseline: ['baseline'],
  repair: ['repair'],
  lintScope: ['lint', 'lsp'],
  plan: ['plan'],
  capture: ['capture'],
  lsp: ['lsp'],
  fleet: ['migrate', 'status', 'plan', 'guard'],
} as const satisfies Record<OptionGroup, readonly Command[]>;

/** The option groups `command` takes. */
export type GroupsOf<C extends Command> = { [G in OptionGroup]: C extends (typeof OPTION_TAKERS)[G][number] ? G : never }[OptionGroup];
