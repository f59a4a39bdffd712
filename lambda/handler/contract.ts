/**
 * The one contract between the constructs (lib/) and the functions they
 * deploy (lambda/handler/): every environment variable a construct writes
 * and a function reads, with its type, its default and its bounds, once.
 * The constructs write through `contractEnvironment`, the functions read
 * through `readContract`; test/lambda/handler/contract.test.ts proves that
 * every key a construct writes is declared and read, and every key read is
 * written by some construct (or said to be for local runs only).
 *
 * To add a key: one entry in CONTRACT. Where the project file has the same
 * setting (lib/config/settings.ts), `setting` names it, and the test holds
 * the two defaults equal. Nothing here imports aws-cdk-lib.
 */
import { DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_LOCK_WAIT_MS, DEFAULT_STANDBY_WAIT_MS } from '../engine/defaults';
import { InputError } from '../engine/errors/errors';

/** The functions a construct deploys from the handler bundle, as readers of the contract. */
export const FUNCTION_KINDS = ['migrations', 'provisioner', 'operator', 'guard'] as const;
export type FunctionKind = (typeof FUNCTION_KINDS)[number];

const CONNECTING: readonly FunctionKind[] = FUNCTION_KINDS;
const MIGRATING: readonly FunctionKind[] = ['migrations', 'provisioner', 'operator'];
const FILES: readonly FunctionKind[] = ['migrations', 'provisioner', 'operator', 'guard'];

export interface ContractEntry {
  /** The environment variable. */
  readonly name: string;
  readonly kind: 'string' | 'integer' | 'boolean' | 'json';
  readonly description: string;
  /** Which functions read it. */
  readonly readBy: readonly FunctionKind[];
  /** Applied when the variable is unset (and, with `blankIsUnset`, when empty). */
  readonly default?: string | number | boolean;
  /** An empty value counts as unset (a path: empty means the default, not the bundle's root). */
  readonly blankIsUnset?: boolean;
  /** Integers: the range the function takes. */
  readonly min?: number;
  readonly max?: number;
  /** Integers: what 0 would mean, when 0 is refused for it (said instead of the range). */
  readonly zero?: string;
  /** The project file's setting of the same value (lib/config/settings.ts), whose default must be this one. */
  readonly setting?: string;
  /** Never written by a construct: for local runs and tests (the test of the contract skips it when it looks for a writer). */
  readonly localOnly?: true;
}

/** Every key, by the name the code uses. */
export const CONTRACT = {
  secretArn: {
    name: 'SCHEMAGUARD_SECRET_ARN',
    kind: 'string',
    readBy: CONNECTING,
    description: 'ARN of the Secrets Manager secret with `username`, `password`, `host`, `port` (and maybe `dbname`).',
  },
  iamUser: {
    name: 'SCHEMAGUARD_IAM_USER',
    kind: 'string',
    readBy: CONNECTING,
    description:
      "IAM database authentication: the database user to connect as, with a token signed per connection from the function's role, instead of a secret (then SCHEMAGUARD_SECRET_ARN is not set).",
  },
  pooler: {
    name: 'SCHEMAGUARD_POOLER',
    kind: 'boolean',
    readBy: CONNECTING,
    default: false,
    description: 'The endpoint is a pooler or proxy that multiplexes sessions (the runner takes its lease, not a session lock).',
  },
  databaseName: {
    name: 'SCHEMAGUARD_DATABASE_NAME',
    kind: 'string',
    readBy: CONNECTING,
    blankIsUnset: true,
    description: "Database to migrate; empty means the secret's `dbname`, else `postgres`.",
  },
  host: {
    name: 'SCHEMAGUARD_DB_HOST',
    kind: 'string',
    readBy: CONNECTING,
    blankIsUnset: true,
    description: "Host override (e.g. a proxy endpoint); empty means the secret's `host`.",
  },
  port: {
    name: 'SCHEMAGUARD_DB_PORT',
    kind: 'integer',
    readBy: CONNECTING,
    min: 1,
    max: 65535,
    description: "Port override; empty means the secret's `port`, else 5432.",
  },
  endpointHost: {
    name: 'SCHEMAGUARD_DB_ENDPOINT_HOST',
    kind: 'string',
    readBy: CONNECTING,
    blankIsUnset: true,
    description:
      "The database's own endpoint (from an rds instance or cluster): used only when the secret has no `host`, as an RDS-managed master secret (`manageMasterUserPassword`) holds only the username and password.",
  },
  endpointPort: {
    name: 'SCHEMAGUARD_DB_ENDPOINT_PORT',
    kind: 'integer',
    readBy: CONNECTING,
    min: 1,
    max: 65535,
    description: "The endpoint's port, with `endpointHost`.",
  },
  migrationsDir: {
    name: 'SCHEMAGUARD_MIGRATIONS_DIR',
    kind: 'string',
    readBy: FILES,
    default: 'migrations',
    blankIsUnset: true,
    setting: 'migrations',
    description: 'Directory of the migration files, relative to LAMBDA_TASK_ROOT (or absolute).',
  },
  migrationsLayout: {
    name: 'SCHEMAGUARD_MIGRATIONS_LAYOUT',
    kind: 'string',
    readBy: FILES,
    blankIsUnset: true,
    description: 'How the migrations are laid out (flat, prisma, drizzle: lambda/engine/files/layout.ts), as synth resolved it; detected when unset.',
  },
  contractsDir: {
    name: 'SCHEMAGUARD_CONTRACTS_DIR',
    kind: 'string',
    readBy: FILES,
    default: 'contracts',
    blankIsUnset: true,
    setting: 'contracts',
    description: 'Directory of the contract files, relative to LAMBDA_TASK_ROOT (or absolute).',
  },
  snapshotFile: {
    name: 'SCHEMAGUARD_SNAPSHOT_FILE',
    kind: 'string',
    readBy: FILES,
    default: 'schema.snapshot.json',
    description: 'Schema snapshot to compare the live schema with after migrating; empty (set but empty) or a missing file: no drift check.',
  },
  stateSchema: {
    name: 'SCHEMAGUARD_STATE_SCHEMA',
    kind: 'string',
    readBy: FILES,
    default: 'schemaguard',
    blankIsUnset: true,
    setting: 'stateSchema',
    description: 'Schema of the state table, which also keys the runner lock.',
  },
  reserveMs: {
    name: 'SCHEMAGUARD_RESERVE_MS',
    kind: 'integer',
    readBy: MIGRATING,
    // More than the engine's 10 s: after its last migration the invocation still checks the contracts and the drift,
    // reads what this request applied and answers the framework, all before the Lambda timeout.
    default: 15_000,
    min: 0,
    max: 600_000,
    description: 'Time kept back before the Lambda deadline (ms): no migration starts inside it.',
  },
  connectAttempts: {
    name: 'SCHEMAGUARD_CONNECT_ATTEMPTS',
    kind: 'integer',
    readBy: CONNECTING,
    default: 8,
    min: 1,
    max: 50,
    description: 'Connect attempts while a new instance is not reachable yet.',
  },
  lockTimeoutMs: {
    name: 'SCHEMAGUARD_LOCK_TIMEOUT_MS',
    kind: 'integer',
    readBy: MIGRATING,
    default: DEFAULT_LOCK_TIMEOUT_MS,
    min: 1,
    max: 600_000,
    zero: 'turns the lock timeout off (lock_timeout 0 in PostgreSQL: a migration waits forever behind any lock it conflicts with)',
    setting: 'lockTimeout',
    description: '`lock_timeout` per migration (ms), more than 0.',
  },
  lockWaitMs: {
    name: 'SCHEMAGUARD_LOCK_WAIT_MS',
    kind: 'integer',
    readBy: MIGRATING,
    default: DEFAULT_LOCK_WAIT_MS,
    min: 0,
    max: 900_000,
    localOnly: true,
    setting: 'lockWait',
    description: "How long one invocation waits for another runner's lock (ms); then it answers not complete, and the next isComplete tries again.",
  },
  totalTimeoutMs: {
    name: 'SCHEMAGUARD_TOTAL_TIMEOUT_MS',
    kind: 'integer',
    readBy: MIGRATING,
    min: 1000,
    max: 3_600_000,
    description:
      "The Provider's totalTimeout (ms): the handler stops trying for a busy runner lock, and fails naming it, when the next invocation's wait would end past it.",
  },
  caBundle: {
    name: 'SCHEMAGUARD_CA_BUNDLE',
    kind: 'string',
    readBy: CONNECTING,
    // The Node.js 20+ Lambda runtimes ship the Amazon CA certificates, RDS's among them, in this file
    // (the AWS Lambda Node.js guide, "CA certificate loading").
    default: '/var/runtime/ca-cert.pem',
    blankIsUnset: true,
    localOnly: true,
    description: 'PEM bundle used to verify the server certificate.',
  },
  tls: {
    name: 'SCHEMAGUARD_TLS',
    kind: 'string',
    readBy: CONNECTING,
    default: 'verify-full',
    blankIsUnset: true,
    localOnly: true,
    description: '`verify-full` (default) or `disable` (local tests against a server without TLS only).',
  },
  databaseLogGroup: {
    name: 'SCHEMAGUARD_DATABASE_LOG_GROUP',
    kind: 'string',
    readBy: MIGRATING,
    blankIsUnset: true,
    description: "The database's PostgreSQL log group, named in failure messages.",
  },
  failOnDrift: {
    name: 'SCHEMAGUARD_FAIL_ON_DRIFT',
    kind: 'boolean',
    readBy: MIGRATING,
    default: false,
    description: 'Drift fails the deploy; otherwise it is reported in the response and the log.',
  },
  replicationPlanned: {
    name: 'SCHEMAGUARD_REPLICATION_PLANNED',
    kind: 'string',
    readBy: MIGRATING,
    blankIsUnset: true,
    description: 'Why changing tables that logical replication carries is planned for (every file); unset: such a file needs its directive.',
  },
  standbyWaitMs: {
    name: 'SCHEMAGUARD_STANDBY_WAIT_MS',
    kind: 'integer',
    readBy: MIGRATING,
    default: DEFAULT_STANDBY_WAIT_MS,
    // The wait runs inside one invocation, whose limit is 15 minutes.
    min: 0,
    max: 900_000,
    setting: 'standbyWait',
    description: 'After applying, how long to wait for the standbys to replay it (ms; 0: report only).',
  },
  standbyStrict: {
    name: 'SCHEMAGUARD_STANDBY_STRICT',
    kind: 'boolean',
    readBy: MIGRATING,
    default: false,
    setting: 'standbyStrict',
    description: 'A standby still behind after the wait fails the deploy; otherwise it is a warning.',
  },
  clusterArn: {
    name: 'SCHEMAGUARD_CLUSTER_ARN',
    kind: 'string',
    readBy: CONNECTING,
    blankIsUnset: true,
    description: 'ARN of an Aurora cluster: the function uses the RDS Data API (no connection, no VPC); the secret ARN is passed to the service, never read.',
  },
  operatorWrites: {
    name: 'SCHEMAGUARD_OPERATOR_WRITES',
    kind: 'boolean',
    readBy: ['operator'],
    default: false,
    description:
      'The operator function may run `baseline` and `repair` too (SchemaMigrations `operatorCommands.writes`); otherwise only the read-only commands.',
  },
  backfill: {
    name: 'SCHEMAGUARD_BACKFILL',
    kind: 'json',
    readBy: ['migrations', 'operator'],
    description: "Backfills' batch sizes and health bounds, a JSON object in the engine's units (`BackfillSettings`: ms, bytes); unset: the defaults.",
  },
  fleet: {
    name: 'SCHEMAGUARD_FLEET',
    kind: 'json',
    readBy: ['migrations', 'provisioner', 'guard'],
    description:
      "A fleet (SchemaMigrations `fleet`, or the project file's): its spec as JSON, the project file's `fleet` shape. Set, the custom resource migrates the tenants through the rollout's state machine, the function answers the workflow's tenant and tally items, and the guard checks every tenant.",
  },
  serves: {
    name: 'SCHEMAGUARD_SERVES',
    kind: 'json',
    readBy: ['migrations', 'provisioner', 'operator'],
    description:
      'What the function answers, fixed at synth (served.ts): the custom resources it was made for — stack, logical id, type and the properties that decide what a run may change — and whether it runs operator commands. Unset: the migrations resource only, without a baseline.',
  },
  guardNamespace: {
    name: 'SCHEMAGUARD_GUARD_NAMESPACE',
    kind: 'string',
    readBy: ['guard'],
    default: 'Schemaguard/Schema',
    blankIsUnset: true,
    description: 'The scheduled guard: CloudWatch namespace of its metrics.',
  },
  guardDatabaseIdentifier: {
    name: 'SCHEMAGUARD_GUARD_DATABASE_IDENTIFIER',
    kind: 'string',
    readBy: ['guard'],
    default: 'unknown',
    blankIsUnset: true,
    description: 'The scheduled guard: value of the `DatabaseIdentifier` dimension (the instance or cluster identifier).',
  },
} as const satisfies Record<string, ContractEntry>;

export type ContractKey = keyof typeof CONTRACT;
type KindValue<K> = K extends 'integer' ? number : K extends 'boolean' ? boolean : K extends 'json' ? unknown : string;

/** The values of the contract as a function reads them, typed by kind. */
export type ContractValues = { -readonly [K in ContractKey]?: KindValue<(typeof CONTRACT)[K]['kind']> };

/** What a construct writes: a value of the key's kind, or a token (an integer known at deploy time, as an endpoint's port). */
export type ContractInput = { -readonly [K in ContractKey]?: KindValue<(typeof CONTRACT)[K]['kind']> | string };

/** The variables' names, by key. */
export const ENV = Object.fromEntries(Object.entries(CONTRACT).map(([k, e]) => [k, e.name])) as {
  readonly [K in ContractKey]: (typeof CONTRACT)[K]['name'];
};

/** An entry's bounds, for the constructs' own checks and messages. */
export function boundsOf(key: ContractKey): { min: number; max: number } {
  const e: ContractEntry = CONTRACT[key];
  if (e.min === undefined || e.max === undefined) throw new Error(`${e.name} has no bounds`);
  return { min: e.min, max: e.max };
}

/**
 * The environment a construct gives a function: each value given, as text.
 * `false` is left out (the default), as a token string is taken as it is.
 */
export function contractEnvironment(values: ContractInput): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [key, value] of Object.entries(values) as [ContractKey, unknown][]) {
    if (value === undefined || value === false) continue;
    const e: ContractEntry = CONTRACT[key];
    environment[e.name] = e.kind === 'json' && typeof value !== 'string' ? JSON.stringify(value) : String(value);
  }
  return environment;
}

/** Every key of the contract from `env`, checked; a bad value is an InputError naming the variable, the value and the fix. */
export function readContract(env: NodeJS.ProcessEnv): ContractValues {
  const values: Record<string, unknown> = {};
  for (const key of Object.keys(CONTRACT) as ContractKey[]) values[key] = readKey(env, key);
  return values as ContractValues;
}

/** One key of the contract from `env`, checked, or its default. */
export function readKey<K extends ContractKey>(env: NodeJS.ProcessEnv, key: K): ContractValues[K] {
  const entry: ContractEntry = CONTRACT[key];
  const raw = env[entry.name];
  const unset = raw === undefined || (raw === '' && (entry.blankIsUnset || entry.kind !== 'string'));
  return (unset ? entry.default : parse(entry, raw)) as ContractValues[K];
}

function parse(e: ContractEntry, raw: string): unknown {
  switch (e.kind) {
    case 'string':
      return raw;
    case 'integer':
      return integer(e, raw);
    case 'boolean':
      return boolean(e, raw);
    case 'json':
      return json(e, raw);
  }
}

function integer(e: ContractEntry, raw: string): number {
  const n = Number(raw);
  const min = e.min ?? Number.MIN_SAFE_INTEGER;
  const max = e.max ?? Number.MAX_SAFE_INTEGER;
  if (n === 0 && e.zero && raw.trim() !== '') {
    throw new InputError(`${e.name}="${raw}" ${e.zero}`, {
      value: raw,
      fix: `set ${e.name} to a positive number of milliseconds up to ${max} (schemaguard retries lock timeouts with backoff), or unset it for ${e.default}`,
    });
  }
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InputError(`${e.name}="${raw}" is not an integer between ${min} and ${max}`, {
      value: raw,
      fix: `set ${e.name} to an integer in ${min}..${max}, or unset it${e.default === undefined ? '' : ` for the default, ${e.default}`}`,
    });
  }
  return n;
}

function boolean(e: ContractEntry, raw: string): boolean {
  const value = raw.toLowerCase();
  if (value === 'true' || value === 'false') return value === 'true';
  throw new InputError(`${e.name}="${raw}" is not true or false`, { value: raw, fix: `set ${e.name} to true or false, or leave it unset (false)` });
}

function json(e: ContractEntry, raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch (cause) {
    throw new InputError(`${e.name} is not JSON`, { value: raw.slice(0, 200), fix: 'deploy the function through its construct, which writes it', cause });
  }
}
