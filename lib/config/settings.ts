/**
 * The project file's settings, one entry each: its key, what it holds, its
 * default, the JSON Schema of its value, the CLI flag and the construct prop
 * it fills, and how its value is read and checked. Everything else follows
 * from this list: the loader (load.ts), the CLI (bin/cli/project-config.ts),
 * the constructs (SchemaMigrations), the published JSON Schema
 * (schemaguard.schema.json) and the keys' reference page
 * (docs/reference/more/configuration.md), both written by
 * `npm run docs:generate` and checked current by tests.
 *
 * To add a setting: add an entry below. With a `flag`, the CLI takes the
 * file's value for that flag by itself (bin/cli/project-config.ts), and the
 * help, the CLI reference and the keys' page name the key; without one, read
 * `config.settings.<key>` where it is used (`SettingsOf` types it). With a
 * `prop`, read it in SchemaMigrations (`resolveSettings`) where the prop is
 * read. Then run `npm run docs:generate`, and add the key's case to
 * test/bin/cli/config-keys.int.test.ts (tsc fails until it has one).
 *
 * Nothing here imports aws-cdk-lib or the SQL parser: the CLI's core bundle
 * reads the file too.
 */
import { isAbsolute, resolve } from 'node:path';
import {
  AUTOVACUUM_BOUNDS,
  DEFAULT_BACKFILL,
  DEFAULT_FLEET_CONCURRENCY,
  DEFAULT_FLEET_WAVE_SIZE,
  DEFAULT_LOCK_TIMEOUT_MS,
  DEFAULT_LOCK_WAIT_MS,
  DEFAULT_STANDBY_WAIT_MS,
} from '../../lambda/engine/defaults';
import type { BackfillSettings } from '../../lambda/engine/backfill/run';
import { DURATION_FORMAT_HINT, MAX_DURATION_MS, parseDuration } from '../../lambda/engine/files/duration';
import { InputError } from '../../lambda/engine/errors/errors';
import { validateSchemaName } from '../../lambda/engine/state/identifiers';
import { MIGRATION_LAYOUTS, type MigrationLayout } from '../../lambda/engine/files/layout-types';
import { SUPPORTED_MAJORS } from '../../lambda/engine/server/server-majors';
import { boundsOf } from '../../lambda/handler/contract';
import { FleetSpecError, readFleetSpec } from '../../lambda/engine/fleet/fleet-spec';

/** A JSON Schema fragment (draft 2020-12). */
export type JsonSchema = Record<string, unknown>;

/** A value the reader refuses: what is wrong with it, and what to write instead. */
export class SettingValueError extends Error {
  constructor(
    readonly problem: string,
    readonly fix: string,
  ) {
    super(problem);
    this.name = 'SettingValueError';
  }
}

/** Where a value is read: relative paths resolve against the project file's directory. */
export interface ReadContext {
  dir: string;
}

export interface Setting<K extends string = string, T = unknown> {
  readonly key: K;
  /** What it holds, one or two sentences (the reference and the schema's description). */
  readonly description: string;
  /** The default as the reference shows it. */
  readonly defaultText: string;
  /** The default as a value, where it is one (the JSON Schema's `default`, which editors offer). */
  readonly default?: unknown;
  /** The CLI flag it fills; a flag on the command line wins over the file. */
  readonly flag?: string;
  /** The construct prop it fills (SchemaMigrations, and the stacks that pass it on); a prop given in code wins over the file. */
  readonly prop?: string;
  /** Why it has no flag or no prop, when that is worth saying. */
  readonly note?: string;
  /**
   * A path: relative to the project file's directory in the file, to the
   * working directory as a flag. `default`: the path in the project root it
   * defaults to (none: the default is derived, as the snapshot's).
   */
  readonly path?: { readonly default?: string };
  readonly schema: JsonSchema;
  /** A value as a user would write it (the reference, `schemaguard init`). */
  readonly example: unknown;
  /** The value, checked; throws SettingValueError. */
  read(value: unknown, at: ReadContext): T;
}

/** A default of the engine's (`lambda/engine/defaults.ts`) as the project file writes it: "5s". */
function secondsText(ms: number): string {
  return `${ms / 1000}s`;
}

function setting<K extends string, T>(s: Setting<K, T>): Setting<K, T> {
  return s;
}

/** A path in the file: relative to the file's directory (absolute taken as it is); read as an absolute path. */
function path(what: string): (value: unknown, at: ReadContext) => string {
  return (value, at) => {
    if (typeof value !== 'string' || value.trim() === '')
      throw new SettingValueError(`is not a path`, `write the ${what} as a string, relative to the directory of the project file, e.g. "db/migrations"`);
    return isAbsolute(value) ? value : resolve(at.dir, value);
  };
}

const PATH_SCHEMA: JsonSchema = { type: 'string', minLength: 1 };

/** A duration as the flags take it (`5s`, `500ms`), read as milliseconds; `positive`: 0 refused, saying what it would mean. */
function duration(positive?: string): (value: unknown) => number {
  return (value) => {
    const ms = typeof value === 'string' ? parseDuration(value) : undefined;
    if (ms === undefined || ms > MAX_DURATION_MS) {
      const number = typeof value === 'number' ? ` (a number: "${value}s" for seconds, "${value}ms" for milliseconds)` : '';
      throw new SettingValueError(
        'is not a duration',
        `${DURATION_FORMAT_HINT.replace(' (or 0 for none)', positive ? '' : ' (or "0" for none)')}, as a string, up to 596h${number}`,
      );
    }
    if (ms === 0 && positive)
      throw new SettingValueError(
        `turns the timeout off (${positive})`,
        'write a positive duration, e.g. "5s" (schemaguard retries lock timeouts with backoff)',
      );
    return ms;
  };
}

/** A duration string; `positive`: none that is 0 (`"0"`, `"0s"`). */
function durationSchema(positive: boolean): JsonSchema {
  const some = '\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|min|h)\\s*';
  return { type: 'string', pattern: positive ? `^(?!\\s*0+(\\.0+)?\\s*[a-z]*\\s*$)${some}$` : `^${some}$|^\\s*0\\s*$` };
}

/** true or false, as JSON writes them. */
function bool(what: string): (value: unknown) => boolean {
  return (value) => {
    if (typeof value !== 'boolean') throw new SettingValueError('is not true or false', `write true (${what}) or false, without quotes`);
    return value;
  };
}

/** The PostgreSQL majors schemaguard supports (lambda/engine/server/server-majors.ts): the `serverVersion` key takes them. */
export const SERVER_VERSIONS = SUPPORTED_MAJORS;

/** The levels a lint rule can be given in `lintRules`. */
export const RULE_LEVELS = ['off', 'warning', 'error'] as const;
export type RuleLevel = (typeof RULE_LEVELS)[number];

/** `lintRules`: a rule's level, and why the team chose it. */
export interface RuleSetting {
  level: RuleLevel;
  reason: string;
}

/** A lint rule id's shape; which ids exist is checked by lint and plan (the rules are not loaded here). */
const RULE_ID = /^[a-z][a-z0-9-]*$/;

function readLintRules(value: unknown): Record<string, RuleSetting> {
  const example = '{ "index-not-concurrent": { "level": "warning", "reason": "our tables are small" } }';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SettingValueError('is not an object of rules', `write ${example}`);
  const rules: Record<string, RuleSetting> = {};
  for (const [id, entry] of Object.entries(value)) {
    if (!RULE_ID.test(id))
      throw new SettingValueError(`has "${id}", which is not a rule id`, `use the rule ids lint prints (e.g. index-not-concurrent): ${example}`);
    const e = entry as Partial<Record<string, unknown>>;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      throw new SettingValueError(`"${id}" is not an object`, `write "${id}": { "level": "off", "reason": "why the team accepts it" }`);
    const extra = Object.keys(e).filter((k) => k !== 'level' && k !== 'reason');
    if (extra.length)
      throw new SettingValueError(`"${id}" has ${extra.map((k) => `"${k}"`).join(', ')}, which a rule does not take`, `give "${id}" only "level" and "reason"`);
    if (!(RULE_LEVELS as readonly unknown[]).includes(e.level))
      throw new SettingValueError(`"${id}" has level ${JSON.stringify(e.level)}`, `write "level": "off", "warning" or "error"`);
    if (typeof e.reason !== 'string' || e.reason.trim() === '')
      throw new SettingValueError(
        `"${id}" has no reason`,
        `add "reason": why the team accepts it (as -- schemaguard:allow ${id} REASON needs one): it is printed with every finding it changes`,
      );
    rules[id] = { level: e.level as RuleLevel, reason: e.reason.trim() };
  }
  return rules;
}

/** The keys of `backfill`, as the file writes them, and what each fills of the engine's `BackfillSettings`. */
const BACKFILL_KEYS = {
  batchTime: { field: 'batchTimeMs', kind: 'duration', text: `"${DEFAULT_BACKFILL.batchTimeMs}ms"` },
  minRows: { field: 'minRows', kind: 'rows', text: String(DEFAULT_BACKFILL.minRows) },
  maxRows: { field: 'maxRows', kind: 'rows', text: String(DEFAULT_BACKFILL.maxRows) },
  standbyLag: { field: 'standbyLagMs', kind: 'duration', text: `"${DEFAULT_BACKFILL.standbyLagMs / 1000}s"` },
  slotRetainedWal: { field: 'slotRetainedBytes', kind: 'size', text: '"1GB"' },
  autovacuum: { field: 'autovacuum', kind: 'autovacuum', text: `"${DEFAULT_BACKFILL.autovacuum}"` },
  lockWaiters: { field: 'lockWaiters', kind: 'rows', text: String(DEFAULT_BACKFILL.lockWaiters) },
} as const;

const SIZE = /^\s*(\d+)\s*(kB|MB|GB|TB)\s*$/;
const SIZE_UNITS: Record<string, number> = { kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** One key of `backfill`, read into the engine's unit. */
function backfillValue(key: keyof typeof BACKFILL_KEYS, value: unknown): number | string {
  const kind = BACKFILL_KEYS[key].kind;
  if (kind === 'duration') {
    try {
      return duration('a batch or a lag of 0 leaves nothing to run')(value);
    } catch (e) {
      if (e instanceof SettingValueError) throw new SettingValueError(`"${key}" ${e.problem}`, e.fix);
      throw e;
    }
  }
  if (kind === 'size') {
    const m = typeof value === 'string' ? SIZE.exec(value) : null;
    if (!m) throw new SettingValueError(`"${key}" is not a size`, `write it as PostgreSQL writes sizes, a string: "512MB", "1GB"`);
    return Number(m[1]) * SIZE_UNITS[m[2]];
  }
  if (kind === 'autovacuum') {
    if (!(AUTOVACUUM_BOUNDS as readonly unknown[]).includes(value))
      throw new SettingValueError(
        `"${key}" is ${JSON.stringify(value)}`,
        `write "pause" (any autovacuum on the table), "wraparound" (only one to prevent wraparound) or "ignore"`,
      );
    return value as string;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new SettingValueError(`"${key}" is not a whole number of at least 1`, `write a number without quotes, e.g. ${BACKFILL_KEYS[key].text}`);
  return value;
}

function readBackfill(value: unknown): Partial<BackfillSettings> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new SettingValueError('is not an object', 'write e.g. { "batchTime": "200ms", "standbyLag": "10s" }');
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!(key in BACKFILL_KEYS))
      throw new SettingValueError(
        `has "${key}", which backfill does not take`,
        `use ${Object.keys(BACKFILL_KEYS)
          .map((k) => `"${k}"`)
          .join(', ')}`,
      );
    out[BACKFILL_KEYS[key as keyof typeof BACKFILL_KEYS].field] = backfillValue(key as keyof typeof BACKFILL_KEYS, v);
  }
  const read = out as Partial<BackfillSettings>;
  if ((read.minRows ?? DEFAULT_BACKFILL.minRows) > (read.maxRows ?? DEFAULT_BACKFILL.maxRows))
    throw new SettingValueError('has "minRows" above "maxRows"', 'write a "minRows" no larger than "maxRows"');
  return read;
}

/** The migrations folder when neither `--dir` nor the project file names one: the one place it is written. */
export const DEFAULT_MIGRATIONS_DIR = 'migrations';

/** The settings of `schemaguard.config.json`, in the reference's order. */
export const SETTINGS = [
  setting({
    key: 'migrations',
    flag: '--dir',
    prop: 'migrationsDir',
    defaultText: `"${DEFAULT_MIGRATIONS_DIR}"`,
    default: DEFAULT_MIGRATIONS_DIR,
    example: 'db/migrations',
    path: { default: DEFAULT_MIGRATIONS_DIR },
    description: 'The folder of the migration files (`<version>_<name>.sql`).',
    schema: PATH_SCHEMA,
    read: path('migrations folder'),
  }),
  setting({
    key: 'migrationsLayout',
    flag: '--layout',
    prop: 'migrationsLayout',
    defaultText: 'detected: drizzle with meta/_journal.json, prisma with migration_lock.toml or a <timestamp>_<name>/migration.sql folder, else flat',
    example: 'prisma',
    description: `How the migrations folder is laid out: ${MIGRATION_LAYOUTS.map((l) => `"${l}"`).join(', ')} (\`<version>_<name>.sql\` files; the folder \`prisma migrate dev\` writes; the folder \`drizzle-kit generate\` writes, in its journal's order).`,
    schema: { enum: [...MIGRATION_LAYOUTS] },
    read: (value): MigrationLayout => {
      if (!(MIGRATION_LAYOUTS as readonly unknown[]).includes(value))
        throw new SettingValueError(
          `is not a layout (${MIGRATION_LAYOUTS.join(', ')})`,
          `write one of ${MIGRATION_LAYOUTS.map((l) => `"${l}"`).join(', ')}, or leave it out: the layout is detected`,
        );
      return value as MigrationLayout;
    },
  }),
  setting({
    key: 'contracts',
    flag: '--contracts',
    prop: 'contractsDir',
    defaultText: '"contracts"',
    default: 'contracts',
    example: 'db/contracts',
    path: { default: 'contracts' },
    description:
      "The folder of the query contracts: the application's statements, checked against the migrated schema (`check`, `guard`, `capture`, and the custom resource after each deploy).",
    schema: PATH_SCHEMA,
    read: path('contracts folder'),
  }),
  setting({
    key: 'snapshot',
    flag: '--snapshot',
    prop: 'snapshotFile',
    defaultText: '"<migrations>/schema.snapshot.json"',
    example: 'db/migrations/schema.snapshot.json',
    path: {},
    description:
      "The schema snapshot `schemaguard snapshot` writes and `diff`, `guard` and the custom resource compare a live schema with. `schemaguard init` sets it beside the migrations folder, not in it (the folder holds migrations only, and may be a generator's). Without this key it is read in the migrations folder, where a project made before that keeps it: an existing snapshot is read where it is; to move it, `git mv` it and set this key.",
    schema: PATH_SCHEMA,
    read: path('snapshot file'),
  }),
  setting({
    key: 'stateSchema',
    flag: '--state-schema',
    prop: 'stateSchema',
    defaultText: '"schemaguard"',
    default: 'schemaguard',
    example: 'orders_schemaguard',
    description:
      "The schema of schemaguard's state table (`<stateSchema>.applied_migrations`), which also keys the runner lock: two services migrating one database need one each.",
    schema: { type: 'string', minLength: 1, maxLength: 63, not: { pattern: '^pg_' } },
    read: (value) => {
      if (typeof value !== 'string') throw new SettingValueError('is not a schema name', 'write a string of 1 to 63 bytes, e.g. "schemaguard"');
      try {
        return validateSchemaName(value, 'stateSchema');
      } catch (e) {
        if (e instanceof InputError) throw new SettingValueError(e.message.replace(/^stateSchema: "[^"]*" /, ''), e.fix ?? '');
        throw e;
      }
    },
  }),
  setting({
    key: 'serverVersion',
    flag: '--server-version',
    defaultText: "none: 18's grammar, no version checks",
    example: 16,
    description: `The PostgreSQL major version the migrations run on (${SERVER_VERSIONS.oldest} to ${SERVER_VERSIONS.newest}), for \`lint\` and \`plan\` when no database says it: syntax that version lacks is an error, and plan shows that version's locks. With a database, its own version decides.`,
    note: 'The custom resource runs on the deployed server, which says its own version.',
    schema: { type: 'integer', minimum: SERVER_VERSIONS.oldest, maximum: SERVER_VERSIONS.newest },
    read: (value) => {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < SERVER_VERSIONS.oldest || value > SERVER_VERSIONS.newest) {
        throw new SettingValueError(
          `is not a PostgreSQL major version lint knows (${SERVER_VERSIONS.oldest} to ${SERVER_VERSIONS.newest})`,
          `write the major version as a number, e.g. 16 for 16.4 (files for a newer server are read with ${SERVER_VERSIONS.newest}'s grammar: leave it out)`,
        );
      }
      return value;
    },
  }),
  setting({
    key: 'lockTimeout',
    flag: '--lock-timeout',
    prop: 'lockTimeout',
    defaultText: `"${secondsText(DEFAULT_LOCK_TIMEOUT_MS)}"`,
    default: secondsText(DEFAULT_LOCK_TIMEOUT_MS),
    example: '3s',
    description:
      '`lock_timeout` for each migration that sets none itself (`-- schemaguard:lock-timeout=…`): how long one of its statements waits for a lock before it gives up and is retried with backoff. More than 0.',
    schema: durationSchema(true),
    read: duration(
      'lock_timeout 0 in PostgreSQL means none: a statement waits forever behind any lock it conflicts with, and the queries queued behind it wait too',
    ),
  }),
  setting({
    key: 'lockWait',
    flag: '--lock-wait',
    defaultText: `"${secondsText(DEFAULT_LOCK_WAIT_MS)}"`,
    default: secondsText(DEFAULT_LOCK_WAIT_MS),
    example: '2m',
    description:
      'How long `migrate`, `baseline` and `repair` wait for another runner\'s lock (another deploy or CI job on the same database), trying again with backoff; "0" tries once.',
    note: 'The custom resource waits for the runner lock across its invocations, up to its `totalTimeout`.',
    schema: durationSchema(false),
    read: duration(),
  }),
  setting({
    key: 'lintRules',
    defaultText: '{} (every rule at its own level)',
    default: {},
    example: { 'index-not-concurrent': { level: 'warning', reason: 'our tables are small: a plain CREATE INDEX blocks writes for milliseconds' } },
    description:
      'Lint rules the team turned off or gave another level, each with its reason (as `-- schemaguard:allow RULE REASON` takes one for a statement). `lint` and `plan` report a rule turned off as allowed, with the reason; its inline allows still apply.',
    note: "No flag: a team's choice belongs in the file; one statement's exception is `-- schemaguard:allow`.",
    schema: {
      type: 'object',
      propertyNames: { pattern: RULE_ID.source },
      additionalProperties: {
        type: 'object',
        required: ['level', 'reason'],
        additionalProperties: false,
        properties: { level: { enum: [...RULE_LEVELS] }, reason: { type: 'string', minLength: 1 } },
      },
    },
    read: readLintRules,
  }),
  setting({
    key: 'backfill',
    prop: 'backfill',
    defaultText: `{ ${Object.entries(BACKFILL_KEYS)
      .map(([k, v]) => `"${k}": ${v.text}`)
      .join(', ')} }`,
    default: {},
    example: { batchTime: '200ms', standbyLag: '30s', slotRetainedWal: '4GB' },
    description:
      'How `-- schemaguard:backfill` statements run: each batch sized to take `batchTime` (between `minRows` and `maxRows` keys), and paused, saying why, while a standby or Aurora reader lags more than `standbyLag`, a logical slot retains more than `slotRetainedWal` of WAL, autovacuum works on the table (`autovacuum`: "pause", "wraparound" for only the one that prevents wraparound, "ignore"), or `lockWaiters` sessions wait behind one batch. Keys left out keep their default.',
    note: "No flag: the bounds are the team's, for every run; `migrate --backfill-later` chooses when a backfill runs.",
    schema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        batchTime: durationSchema(true),
        minRows: { type: 'integer', minimum: 1 },
        maxRows: { type: 'integer', minimum: 1 },
        standbyLag: durationSchema(true),
        slotRetainedWal: { type: 'string', pattern: SIZE.source },
        autovacuum: { enum: [...AUTOVACUUM_BOUNDS] },
        lockWaiters: { type: 'integer', minimum: 1 },
      },
    },
    read: readBackfill,
  }),
  setting({
    key: 'databaseUrlEnv',
    defaultText: '"DATABASE_URL"',
    default: 'DATABASE_URL',
    example: 'APP_DATABASE_URL',
    description:
      'The environment variable that holds the database URL for every command that connects (instead of `DATABASE_URL`). Without it, and without `--database-url`, commands use the embedded server.',
    note: '`--database-url` names the server itself, and wins.',
    schema: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    read: (value) => {
      if (typeof value !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(value))
        throw new SettingValueError(
          'is not an environment variable name',
          'write the variable\'s name, not its value: letters, digits and _, e.g. "APP_DATABASE_URL" (a URL there would be a secret in the repository)',
        );
      return value;
    },
  }),
  setting({
    key: 'standbyWait',
    flag: '--standby-wait',
    prop: 'standbys.wait',
    defaultText: `"${secondsText(DEFAULT_STANDBY_WAIT_MS)}"`,
    default: secondsText(DEFAULT_STANDBY_WAIT_MS),
    example: '2m',
    description: `After \`migrate\` (and each deploy) applied migrations: how long to wait for the streaming standbys (RDS read replicas, Aurora readers) to replay them, so an application deployed next never reads the old schema there; "0" reports their lag without waiting. The custom resource takes up to ${boundsOf('standbyWaitMs').max / 60_000} minutes (it waits inside one invocation).`,
    schema: durationSchema(false),
    read: duration(),
  }),
  setting({
    key: 'standbyStrict',
    flag: '--standby-strict',
    prop: 'standbys.strict',
    defaultText: 'false (a warning)',
    default: false,
    example: true,
    description:
      'A standby that has not replayed the migrations within `standbyWait` fails the command (exit 1) and the deploy (the stack rolls back), instead of a warning.',
    schema: { type: 'boolean' },
    read: bool('fail when a standby is behind'),
  }),
  setting({
    key: 'pooler',
    flag: '--pooler',
    defaultText: 'false (an RDS Proxy endpoint is recognised by its name, another pooler by its start-up)',
    default: false,
    example: true,
    description:
      'The database URL points at a pooler or proxy that multiplexes transactions (RDS Proxy, PgBouncer in transaction mode): the runner lock becomes a lease and no-transaction files are refused. It describes the server a URL names; the embedded server ignores it.',
    note: 'The constructs declare an rds.DatabaseProxy a pooler by themselves.',
    schema: { type: 'boolean' },
    read: bool('the URL is a pooler'),
  }),
  setting({
    key: 'iam',
    flag: '--iam',
    defaultText: "false (the URL's password, or PGPASSWORD)",
    default: false,
    example: true,
    description:
      'IAM database authentication: every command signs a token for each connection from the AWS credential chain and region instead of a password; the URL names the user and no password, and TLS is verify-full unless its sslmode says otherwise. It describes the server a URL names; the embedded server ignores it.',
    note: "The constructs' `iamAuthentication` names the database user and the database to grant `rds-db:connect` on, which belong in code.",
    schema: { type: 'boolean' },
    read: bool('sign IAM tokens'),
  }),
  setting({
    key: 'fleet',
    defaultText: 'none: one database, its state in `stateSchema`',
    example: { schemas: 'tenant\\_%', canary: 'tenant_demo', concurrency: 10, waveSize: 50, toleratedFailures: 0 },
    description:
      "A fleet: the tenants that run the same files, each with its own state table, one line each and a summary. Exactly one of `schemas` (a LIKE pattern of schema names in the target database: each tenant's files run with `search_path` set to its schema, its state in `<schema>.applied_migrations`), `schemaQuery` (a query whose first column is the schema names), `databases` (a LIKE pattern of database names on the server: each its own `stateSchema`), `databaseQuery` or `parameterPath` (an SSM Parameter Store path such as `/myapp/tenants`, read at run time: the value of each String parameter under it, at any depth, is a tenant schema of the target database); then `canary` (the tenant run first, alone; default the first by name), `concurrency` (tenants at once, default " +
      `${DEFAULT_FLEET_CONCURRENCY}), \`waveSize\` (tenants per wave, default ${DEFAULT_FLEET_WAVE_SIZE}) and \`toleratedFailures\` (failed tenants the rollout goes on after, default 0): \`migrate\` stops after the wave of the first failure beyond it.`,
    prop: 'fleet',
    note: '`--fleet-schemas`, `--fleet-databases`, `--fleet-parameter-path` and `--fleet-concurrency` override it on the command line; SchemaMigrations rolls it out on Step Functions at each deploy (its `fleet` prop wins), and with `parameterPath` its functions may call `ssm:GetParametersByPath` on that path alone.',
    schema: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        schemas: { type: 'string', minLength: 1 },
        schemaQuery: { type: 'string', minLength: 1 },
        databases: { type: 'string', minLength: 1 },
        databaseQuery: { type: 'string', minLength: 1 },
        parameterPath: { type: 'string', pattern: '^(/[A-Za-z0-9_.-]+){1,15}/?$' },
        canary: { type: 'string', minLength: 1 },
        concurrency: { type: 'integer', minimum: 1, maximum: 10000 },
        waveSize: { type: 'integer', minimum: 1, maximum: 10000 },
        toleratedFailures: { type: 'integer', minimum: 0, maximum: 10000 },
      },
    },
    read: (value) => {
      try {
        return readFleetSpec(value);
      } catch (e) {
        if (e instanceof FleetSpecError) throw new SettingValueError(e.problem, e.fix);
        throw e;
      }
    },
  }),
  setting({
    key: 'embeddedDir',
    flag: '--embedded-dir',
    defaultText: '".schemaguard"',
    default: '.schemaguard',
    example: '.schemaguard',
    path: { default: '.schemaguard' },
    description:
      'The data folder of the embedded PostgreSQL the CLI uses without a database URL (git-ignore it). `lint` without a database reads what it has applied.',
    schema: PATH_SCHEMA,
    read: path("embedded server's data folder"),
  }),
] as const;

export type AnySetting = (typeof SETTINGS)[number];
export type SettingKey = AnySetting['key'];

/** The values a project file sets, by key, as read (paths absolute, durations in milliseconds). */
export type SettingsOf = { [S in AnySetting as S['key']]?: ReturnType<S['read']> };
