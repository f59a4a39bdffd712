/**
 * The CLI's options in named groups: what every command takes (common), and
 * one interface per set of flags that some commands take. Which commands take
 * a group is the command registry's OPTION_TAKERS (registry.ts); a command's
 * code is typed with its own groups only (args.ts: OptionsOf), and each flag's
 * command list is its group's (args.ts: FLAGS). The parser fills them all.
 * Types and one key table: imports nothing that runs.
 */
import type { HistorySource } from '../../lambda/engine/foreign-history/foreign-history';
import type { MigrationLayout } from '../../lambda/engine/files/layout';
import type { RuleSetting } from '../../lib/config/settings';
import type { BackfillSettings } from '../../lambda/engine/backfill/run';
import type { FleetSpec } from '../../lambda/engine/fleet/fleet-spec';

export const FORMATS = ['text', 'json', 'github', 'sarif'] as const;
export type OutputFormat = (typeof FORMATS)[number];

/** Every command's: output, the project file, and what the parser records. */
export interface CommonOptions {
  json: boolean;
  quiet: boolean;
  /** How findings are printed; `--json` is `--format json`. */
  format: OutputFormat;
  /** `--config FILE`: the project file to read instead of the one found from the working directory. */
  config?: string;
  /** The project file read, as a path from the working directory (project-config.ts); undefined when there is none. */
  configFile?: string;
  /** The options the command line set (by key), not left at their defaults. */
  given: Set<string>;
  /** The options the project file set (by key), where the command line did not. */
  fromFile: Set<string>;
  /** Of those, the paths outside the project (the file's folder): a command refuses to write there (project-config.ts). */
  outsideProject: Set<string>;
  /** Positional arguments after the command (`new NAME`, `baseline VERSION`, `repair VERSION…`). */
  args: string[];
}

/** Which database, and how to reach it (the commands that connect). */
export interface ConnectionOptions {
  databaseUrl?: string;
  /** The environment variable the database URL is read from (the project file's `databaseUrlEnv`). */
  databaseUrlEnv: string;
  /** `--cluster-arn`: an Aurora cluster reached through the RDS Data API instead of a URL. */
  clusterArn?: string;
  /** `--secret-arn`: the secret the Data API signs in with (with --cluster-arn). */
  secretArn?: string;
  /** `--database`: the database on the cluster (with --cluster-arn). */
  database?: string;
  /** `--embedded`: use the embedded server although PG* variables name another (connectTarget). */
  embedded: boolean;
  /** Where the embedded server keeps its data. */
  embeddedDir: string;
  /** Sign an IAM authentication token for each connection instead of a password. */
  iam: boolean;
  /** The URL points at a pooler or proxy that multiplexes transactions (RDS Proxy, PgBouncer). */
  pooler: boolean;
  /** Per-attempt connect timeout. */
  connectTimeoutMs: number;
  /** Connect attempts after the first one fails with a transient error. */
  connectRetries: number;
}

/** `--function`: the command run in the deployed migration function instead. */
export interface RemoteOptions {
  /** `--function`: run the command in the deployed migration function, by name or ARN. */
  functionName?: string;
  /** `--actor`: who asks, recorded by the function (with --function). */
  actor?: string;
}

/** The state table's schema (the commands that read or write it). */
export interface StateOptions {
  stateSchema: string;
}

/** The migration files (the commands that read them). */
export interface FilesOptions {
  dir: string;
  /** `--layout`: how --dir is laid out (flat, prisma, drizzle); detected when not given. */
  layout?: MigrationLayout;
  /**
   * The migrations folder is the project's (the project file's `migrations`, or ./migrations), not
   * another folder named by --dir: lint then takes what the embedded server applied as applied.
   */
  projectFiles: boolean;
}

export interface ContractsOptions {
  /** Directory of query contracts. */
  contractsDir: string;
}

export interface SnapshotOptions {
  /** Schema snapshot file; by default beside the migrations. */
  snapshot: string;
}

/** The runner lock (the commands that write the state table). */
export interface RunnerLockOptions {
  lockWaitMs: number;
}

/** How `migrate` applies each file, and what it waits for afterwards. */
export interface ApplyOptions {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  lockRetries: number;
  outOfOrder: boolean;
  /** A pending version to apply although an applied version has its text (it runs again). */
  allowRerun?: number;
  ignoreForeignHistory: boolean;
  /** How long to wait for the standbys to replay what was applied (0: report only). */
  standbyWaitMs: number;
  /** Fail (exit 1) when a standby has not caught up within the wait. */
  standbyStrict: boolean;
  /** `--backfill-later`: run each backfill's first batch only, leave the rest for later, and refuse a file that waits for one not done. */
  backfillLater: boolean;
  /** The project file's `backfill`: batch sizes and health bounds. */
  backfill: Partial<BackfillSettings>;
}

export interface AheadOptions {
  /** Succeed when the database has migrations the files do not. */
  allowAhead: boolean;
}

export interface ReplicationOptions {
  /** Why changing tables that logical replication carries is planned for (every file). */
  replicationPlanned?: string;
}

export interface ExitCodeOptions {
  /** `status --exit-code`: exit 1 when anything is pending or changed; `plan --exit-code`: exit 1 on an error. */
  exitCode: boolean;
}

/** What lint's rules are run with (lint, and plan's lint findings). */
export interface LintSettingsOptions {
  /** Without a database: the PostgreSQL major version the migrations are for. */
  serverVersion?: number;
  /** Lint rules the project file turns off or re-levels (`lintRules`). */
  lintRules: Readonly<Record<string, RuleSetting>>;
}

export interface ReasonOptions {
  /** Why (`baseline`, `repair`). */
  reason?: string;
}

export interface BaselineOptions {
  /** `baseline --from`: read the version from another tool's history table. */
  from?: HistorySource;
}

export interface RepairOptions {
  /** `repair --rename`: accept a changed file whose version was applied under another name. */
  rename: boolean;
}

export interface LintScopeOptions {
  /** `lint --since`: the files this git ref has, unchanged, count as applied. */
  since?: string;
}

export interface PlanOptions {
  /** `plan --offline`: the files alone, no database (every file pending, no table sizes). */
  offline: boolean;
  /** Warn when a write-blocking lock is held over a scan or rewrite of a table with at least this many rows. */
  warnRows: number;
  /** `plan --trace`: run the pending files on a copy of the schema without rows, and show what PostgreSQL took beside what plan predicts. */
  trace: boolean;
  /** `plan --trace-database URL`: the server the copy is made on (a database of its own, dropped after); implies --trace. @default - the embedded server */
  traceDatabase?: string;
}

export interface CaptureOptions {
  /** Only statements executed at least this often. */
  minCalls: number;
  /** List what would be written, write nothing. */
  dryRun: boolean;
}

export interface LspOptions {
  /** `lsp --stdio`: the transport editors ask for by name; stdin and stdout are the only one. */
  stdio: boolean;
  /** `lsp --clientProcessId`: the editor's process; the server ends when it does (the protocol library reads it). */
  clientProcessId?: number;
}

/** A fleet: the project file's `fleet`, and the flags that name its tenants or its concurrency instead (fleet.ts). */
export interface FleetOptions {
  /** The project file's `fleet`. */
  fleet?: FleetSpec;
  /** `--fleet-schemas PATTERN`: the tenants are the schemas whose name is LIKE it. */
  fleetSchemas?: string;
  /** `--fleet-databases PATTERN`: the tenants are the databases on the server whose name is LIKE it. */
  fleetDatabases?: string;
  /** `--fleet-parameter-path PATH`: the tenants are the schemas named by the values of the SSM parameters under it. */
  fleetParameterPath?: string;
  /** `--fleet-concurrency N`: tenants at work at once. */
  fleetConcurrency?: number;
  /** `--no-fleet`: one database; the project file's `fleet` set aside. */
  noFleet?: boolean;
}

/** The groups some commands take, by name (registry.ts says which commands). */
export interface OptionGroups {
  connection: ConnectionOptions;
  remote: RemoteOptions;
  state: StateOptions;
  files: FilesOptions;
  contracts: ContractsOptions;
  snapshot: SnapshotOptions;
  runnerLock: RunnerLockOptions;
  apply: ApplyOptions;
  ahead: AheadOptions;
  replication: ReplicationOptions;
  exitCode: ExitCodeOptions;
  lintSettings: LintSettingsOptions;
  reason: ReasonOptions;
  baseline: BaselineOptions;
  repair: RepairOptions;
  lintScope: LintScopeOptions;
  plan: PlanOptions;
  capture: CaptureOptions;
  lsp: LspOptions;
  fleet: FleetOptions;
}
export type OptionGroup = keyof OptionGroups;

/** The keys of the groups `G` (a union of group names: each one's keys). */
export type GroupKeys<G extends OptionGroup> = G extends OptionGroup ? keyof OptionGroups[G] : never;

/** Every option of every group, and the common ones: what the parser fills. */
export interface AllOptions
  extends CommonOptions,
    ConnectionOptions,
    RemoteOptions,
    StateOptions,
    FilesOptions,
    ContractsOptions,
    SnapshotOptions,
    RunnerLockOptions,
    ApplyOptions,
    AheadOptions,
    ReplicationOptions,
    ExitCodeOptions,
    LintSettingsOptions,
    ReasonOptions,
    BaselineOptions,
    RepairOptions,
    LintScopeOptions,
    PlanOptions,
    CaptureOptions,
    LspOptions,
    FleetOptions {}

/** Each group's keys at run time (the compiler holds each list to its interface): a flag's group is its key's. */
const GROUP_KEYS: { [G in OptionGroup]: Record<keyof OptionGroups[G], true> } = {
  connection: {
    databaseUrl: true,
    databaseUrlEnv: true,
    clusterArn: true,
    secretArn: true,
    database: true,
    embedded: true,
    embeddedDir: true,
    iam: true,
    pooler: true,
    connectTimeoutMs: true,
    connectRetries: true,
  },
  remote: { functionName: true, actor: true },
  state: { stateSchema: true },
  files: { dir: true, layout: true, projectFiles: true },
  contracts: { contractsDir: true },
  snapshot: { snapshot: true },
  runnerLock: { lockWaitMs: true },
  apply: {
    lockTimeoutMs: true,
    statementTimeoutMs: true,
    lockRetries: true,
    outOfOrder: true,
    allowRerun: true,
    ignoreForeignHistory: true,
    standbyWaitMs: true,
    standbyStrict: true,
    backfillLater: true,
    backfill: true,
  },
  ahead: { allowAhead: true },
  replication: { replicationPlanned: true },
  exitCode: { exitCode: true },
  lintSettings: { serverVersion: true, lintRules: true },
  reason: { reason: true },
  baseline: { from: true },
  repair: { rename: true },
  lintScope: { since: true },
  plan: { offline: true, warnRows: true, trace: true, traceDatabase: true },
  capture: { minCalls: true, dryRun: true },
  lsp: { stdio: true, clientProcessId: true },
  fleet: { fleet: true, fleetSchemas: true, fleetDatabases: true, fleetParameterPath: true, fleetConcurrency: true, noFleet: true },
};

/** The group that holds option `key`, or undefined for a common one (every command takes it). */
export function groupOf(key: keyof AllOptions): OptionGroup | undefined {
  return (Object.keys(GROUP_KEYS) as OptionGroup[]).find((g) => key in GROUP_KEYS[g]);
}
