/** What every command gets from `main`: options, output and a way to reach the database. */
import { hostname, userInfo } from 'node:os';
import { parseDatabaseUrl, PgDriver, type PgDriverOptions } from '../../../lambda/driver/pg/pg-driver';
import { maskUrl } from '../../../lambda/engine/errors/redact';
import { InputError } from '../../../lambda/engine/errors/errors';
import type { Driver } from '../../../lambda/engine/ports';
import type { MigrateOptions } from '../../../lambda/engine/runner';
import { validateSchemaName } from '../../../lambda/engine/state/identifiers';
import type { Redactor } from '../../../lambda/engine/errors/redact';
import { scriptConfigs, skippedLookalikes, upFiles } from '../../../lambda/engine/files/source';
import { SUPPORTED_MAJORS } from '../../../lambda/engine/server/server-majors';
import { describeSubfolders, sqlSubfolders } from '../../../lambda/engine/files/subfolders';
import { layoutOf } from '../../../lambda/engine/files/layout';
import type { CliOptions, OptionsIn, OptionsOf } from '../args';
import type { Command } from '../registry';
import { defaultTls, DEFAULT_TLS_NOTE } from '../default-tls';
import type { EmbeddedServer } from '../embedded';
import { UsageError } from '../errors';
import { refuseWritingOutside } from '../project-config';
import { DOCS_POINTERS } from '../../../lambda/engine/errors/docs-pointers';
import { andList, noun, oneOrMany, verb } from '../../../lambda/engine/errors/words';
import { present } from '../../../lambda/engine/errors/present';

/** `O`: the options the code may read; a command's own (ContextOf), or the groups a helper needs (OptionsIn). */
export interface CommandContext<O extends Partial<CliOptions> = CliOptions> {
  opts: O;
  /** The process environment (`migrate` records who applied from it). */
  env: NodeJS.ProcessEnv;
  out(text: string): void;
  /** Resolves once stdout's reader has caught up: a long report waits for it between blocks, so it is never all in memory. */
  outDrained(): Promise<void>;
  err(text: string): void;
  /** Progress lines on stderr (silent with --quiet). */
  progress(text: string): void;
  redactor: Redactor;
  /** Called with the embedded server this command uses, so `main` releases it in `finally` (the last user stops it). */
  onEmbedded(server: EmbeddedServer): void;
  /** The database, when the caller has one of its own (the deployed function: its connection); the flags are not read then. */
  target?(): Promise<{ driver: Driver; where: string }>;
}

/** The context of `command`: its options only (the registry's OPTION_TAKERS). */
export type ContextOf<C extends Command> = CommandContext<OptionsOf<C>>;

/** What every command's context has: the common options (output, the project file). */
export type CommonContext = CommandContext<OptionsIn<never>>;

type Connecting = CommandContext<OptionsIn<'connection'>>;

/** Whether the command line names a database: a URL (flag or DATABASE_URL), a Data API cluster, or the caller's own. */
export function namesDatabase(ctx: Pick<Connecting, 'opts' | 'target'>): boolean {
  return ctx.target !== undefined || !!ctx.opts.databaseUrl || ctx.opts.clusterArn !== undefined;
}

/**
 * A driver for the caller's own database, else a Data API cluster
 * (--cluster-arn), else --database-url/DATABASE_URL, else the embedded
 * server (started if needed).
 */
export async function connectTarget(ctx: Connecting): Promise<{ driver: Driver; where: string; options?: PgDriverOptions }> {
  if (ctx.target) return ctx.target();
  refuseStrayDataApiFlags(ctx.opts);
  if (ctx.opts.clusterArn !== undefined) return dataApiTarget(ctx);
  return pgTarget(ctx);
}

/** --secret-arn and --database say which secret and database of a cluster: without --cluster-arn they say nothing. */
function refuseStrayDataApiFlags(opts: OptionsIn<'connection'>): void {
  if (opts.clusterArn !== undefined) return;
  const stray = (['secretArn', 'database'] as const).filter((k) => opts[k] !== undefined);
  if (stray.length === 0) return;
  const flags = andList(stray.map((k) => (k === 'secretArn' ? '--secret-arn' : '--database')));
  throw new UsageError(`${flags} ${oneOrMany(stray.length, 'is', 'are')} for the RDS Data API, and --cluster-arn is not given`, {
    fix: `add --cluster-arn ARN (the Aurora cluster), or drop ${flags} (a URL carries its own database: --database-url postgres://user@host:5432/NAME)`,
  });
}

/** The RDS Data API on --cluster-arn, signed in with --secret-arn: the handler's driver, AWS credentials from the SDK's standard chain. */
async function dataApiTarget(ctx: Connecting): Promise<{ driver: Driver; where: string }> {
  const { opts } = ctx;
  const url = opts.given.has('databaseUrl') ? '--database-url' : opts.databaseUrl !== undefined ? 'DATABASE_URL' : opts.embedded ? '--embedded' : undefined;
  if (url) {
    throw new UsageError(`--cluster-arn and ${url} name two different databases`, {
      fix: url === 'DATABASE_URL' ? 'unset DATABASE_URL to reach the cluster through the Data API, or drop --cluster-arn' : `drop one of them`,
    });
  }
  if (!opts.secretArn) {
    throw new UsageError("--cluster-arn needs --secret-arn: the Data API signs in with a Secrets Manager secret of the cluster's credentials", {
      fix: "add --secret-arn arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME (the cluster's secret; your credentials need secretsmanager:GetSecretValue on it)",
    });
  }
  // Loaded only here: the SDK is a package of its own, left out of the CLI bundle.
  const { DataApiDriver } = await import('../../../lambda/driver/data-api/data-api-driver');
  try {
    return {
      driver: new DataApiDriver({ resourceArn: present(opts.clusterArn), secretArn: opts.secretArn, database: opts.database ?? 'postgres' }),
      where: '',
    };
  } catch (e) {
    // The driver's words name its options; here they are flags.
    if (!(e instanceof InputError)) throw e;
    const message = e.message
      .replace('data-api: resourceArn', '--cluster-arn')
      .replace('data-api: secretArn', '--secret-arn')
      .replace('data-api: database', '--database');
    throw new UsageError(message, { value: e.value, fix: e.fix, cause: e });
  }
}

/** A driver for --database-url/DATABASE_URL (or the project file's `databaseUrlEnv`), else for the embedded server (started if needed). */
async function pgTarget(ctx: Connecting): Promise<{ driver: PgDriver; where: string; options: PgDriverOptions }> {
  let url = ctx.opts.databaseUrl;
  const variable = ctx.opts.databaseUrlEnv;
  if (ctx.opts.embedded && url !== undefined) {
    throw new UsageError(`--embedded and ${ctx.opts.given.has('databaseUrl') ? '--database-url' : variable} name two different servers`, {
      fix: ctx.opts.given.has('databaseUrl') ? 'drop one of them' : `drop --embedded to use ${variable}, or unset ${variable} to use the embedded server`,
    });
  }
  let where = '';
  let embeddedTls: { ssl: false } | undefined;
  if (url) {
    // The variable fills the same setting as the flag, and is reported under the flag's name.
    const parsed = parseDatabaseUrl(url, '--database-url');
    // pg reads PGPASSWORD when the URL has no password: then it is masked as the URL's would be (not otherwise:
    // a PGPASSWORD of postgres would mask every "postgres" printed).
    if (!parsed.password && ctx.env.PGPASSWORD) ctx.redactor.add(ctx.env.PGPASSWORD);
  } else {
    if (url === '') {
      // A CI secret that is missing expands to nothing: never migrate a scratch server in its place.
      throw new UsageError(`${variable} is set but empty`, {
        value: '',
        fix: `set it to postgres://user:password@host:5432/database, or unset it (unset ${variable}) to use the embedded server under ${ctx.opts.embeddedDir}/`,
      });
    }
    if (!ctx.opts.embedded) refuseIgnoredPgVariables(ctx.env, variable);
    // Imported here: a run against a URL loads none of the embedded server's code (nor node:child_process).
    const { startEmbedded } = await import('../embedded');
    refuseWritingOutside(ctx.opts, 'embeddedDir', 'the embedded server');
    const embedded = await startEmbedded({ dir: ctx.opts.embeddedDir, onProgress: ctx.progress });
    ctx.onEmbedded(embedded);
    ctx.redactor.add(embedded.password);
    url = embedded.url;
    where = ` (embedded, ${ctx.opts.embeddedDir}/)`;
    embeddedTls = { ssl: false }; // a local server without TLS, whatever PGSSLMODE the shell has
  }
  const given = (['iam', 'pooler'] as const).find((k) => ctx.opts[k] && ctx.opts.given.has(k));
  if (given && embeddedTls) {
    throw new UsageError(`--${given} is for a database server named by --database-url (or DATABASE_URL), not the embedded one`, {
      fix: 'pass --database-url postgres://USER@HOST:5432/DATABASE',
    });
  }
  // The project file's iam and pooler describe the server a URL names: the embedded server ignores them.
  const iam = ctx.opts.iam && !embeddedTls;
  const pooler = ctx.opts.pooler && !embeddedTls;
  if (iam) checkIamUrl(url, ctx.opts.fromFile.has('iam') ? `"iam": true in ${ctx.opts.configFile}` : '--iam');
  // A URL the user gave (never the embedded server's): TLS verified unless it is for this machine or says otherwise.
  const tls = embeddedTls ? { url, defaulted: false } : defaultTls(url, ctx.env, iam);
  if (tls.defaulted) ctx.progress(DEFAULT_TLS_NOTE);
  const options: PgDriverOptions = {
    connectionString: tls.url,
    redactor: ctx.redactor,
    ...embeddedTls,
    ...(tls.defaulted ? { sslModeDefaulted: true } : {}),
    ...(iam ? { iam: {} } : {}),
    ...(pooler ? { pooler: true } : {}),
    connectTimeoutMs: ctx.opts.connectTimeoutMs,
    connectRetry: { attempts: ctx.opts.connectRetries + 1 },
    onConnectRetry: (attempt, delayMs, message) => ctx.progress(`  cannot connect yet (attempt ${attempt}): ${message}; retrying in ${delayMs} ms`),
  };
  return { driver: new PgDriver(options), where, options };
}

/**
 * A URL for IAM authentication has a user and no password (the token takes
 * its place); its TLS is defaulted to verify-full whatever the host
 * (defaultTls: RDS accepts a token over TLS only).
 */
function checkIamUrl(url: string, source: string): void {
  const u = new URL(url);
  if (u.password) {
    const off = source === '--iam' ? '' : ` (or set "iam": false there for a server without IAM authentication)`;
    throw new UsageError(`${source} signs a token in place of the password, and the URL has one`, {
      value: maskUrl(url),
      fix: `drop the password from the URL: postgres://USER@HOST:5432/DATABASE${off}`,
    });
  }
  if (!u.username)
    throw new UsageError(`${source} needs the database user in the URL`, {
      value: maskUrl(url),
      fix: 'write it as postgres://USER@HOST:5432/DATABASE, USER granted rds_iam',
    });
}

/** The libpq variables that name a server (PGPASSWORD and the PGSSL… ones only complete a URL's connection). */
export const TARGET_PG_VARIABLES = ['PGHOST', 'PGHOSTADDR', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGSERVICE'] as const;

/**
 * Without --database-url/DATABASE_URL the CLI uses its embedded server. A
 * shell or CI job with PGHOST and friends set (a GitHub Actions service, a
 * Docker image) means another server, as psql would take it: refused rather
 * than a green run against a scratch database. --embedded says the embedded
 * one is meant.
 */
export function refuseIgnoredPgVariables(env: NodeJS.ProcessEnv, variable = 'DATABASE_URL'): void {
  const set = TARGET_PG_VARIABLES.filter((name) => env[name]);
  if (set.length === 0) return;
  const shown = set.map((name) => `${name}=${env[name]}`).join(' ');
  throw new UsageError(
    `${shown} ${oneOrMany(set.length, 'is', 'are')} set, but schemaguard connects only where --database-url or ${variable} says; without one it would use its embedded server under .schemaguard/`,
    {
      value: shown,
      fix:
        `to migrate the server ${oneOrMany(set.length, 'it names', 'they name')}, pass --database-url ${urlFromPgVariables(env)} (or set ${variable}; the URL needs the host, and parts it leaves out, the user, port, database or password, are taken from PGUSER, PGPORT, PGDATABASE, PGPASSWORD as psql would); ` +
        `to use the embedded server, pass --embedded (or unset ${set.join(' ')})`,
    },
  );
}

/** A --database-url for what the PG* variables name, for the fix (no password: PGPASSWORD still applies). */
function urlFromPgVariables(env: NodeJS.ProcessEnv): string {
  if (env.PGSERVICE && !env.PGHOST && !env.PGHOSTADDR) return 'postgres://user@host:5432/database (schemaguard does not read pg_service.conf)';
  const host = env.PGHOST || env.PGHOSTADDR || 'localhost';
  const user = env.PGUSER ? `${encodeURIComponent(env.PGUSER)}@` : '';
  const db = encodeURIComponent(env.PGDATABASE || env.PGUSER || 'postgres');
  if (host.startsWith('/')) return `"postgres://${user}localhost:${env.PGPORT || '5432'}/${db}?host=${host}"`;
  return `postgres://${user}${host.includes(':') ? `[${host}]` : host}:${env.PGPORT || '5432'}/${db}`;
}

/**
 * The files and the database. Files first: bad input never starts the
 * embedded server nor sends anything to a server. With --database-url (or
 * DATABASE_URL) the first connection is made while the files are read — its
 * handshake and authentication take turns with the reading — and closed
 * unused when a file is bad.
 */
export async function readWhileConnecting<T>(ctx: Connecting, read: () => Promise<T>): Promise<{ files: T; driver: Driver; where: string }> {
  if (!namesDatabase(ctx)) {
    const files = await read();
    return { files, ...(await connectTarget(ctx)) };
  }
  const target = await connectTarget(ctx);
  // A connection only (the Data API has none to open ahead).
  if (target.driver instanceof PgDriver) target.driver.prepareConnection();
  try {
    return { files: await read(), ...target };
  } catch (e) {
    await target.driver.end();
    throw e;
  }
}

/**
 * `--server-version MAJOR` (lint without a database, plan --offline), checked:
 * undefined when not given. With a database, its own version decides
 * (SUPPORTED_MAJORS: the majors it takes).
 */
export function serverVersionFlag(opts: OptionsIn<'lintSettings'>, connects: boolean): number | undefined {
  const v = opts.serverVersion;
  if (v === undefined) return undefined;
  if (connects) {
    // The project file's serverVersion is for runs without a database; with one, its version decides, as the flag's refusal says.
    if (!opts.given.has('serverVersion')) return undefined;
    throw new UsageError('--server-version is for lint and plan without a database: with one, its own version decides', {
      value: `--server-version ${v}`,
      fix: 'drop --server-version (the database says its version), or lint without a database (no --database-url, no DATABASE_URL) / add --offline (plan)',
    });
  }
  if (v < SUPPORTED_MAJORS.oldest || v > SUPPORTED_MAJORS.newest) {
    throw new UsageError(
      `--server-version ${v} is not a PostgreSQL major version schemaguard supports (${SUPPORTED_MAJORS.oldest} to ${SUPPORTED_MAJORS.newest})`,
      {
        value: String(v),
        fix: `give the major version only, ${SUPPORTED_MAJORS.oldest} to ${SUPPORTED_MAJORS.newest} (--server-version 15 for 15.8); files for a newer server are read with 18's grammar: leave it out`,
      },
    );
  }
  return v;
}

/** --state-schema for the runner, refused (as a usage error) under the flag's name. */
export function stateSchemaFlag(opts: OptionsIn<'state'>): string {
  try {
    return validateSchemaName(opts.stateSchema, '--state-schema');
  } catch (e) {
    throw e instanceof InputError ? new UsageError(e.message, { value: e.value, fix: e.fix, cause: e }) : e;
  }
}

/** Flyway's per-script configuration beside the files: not read, and what to write instead of executeInTransaction=false. */
function scriptConfigNote(dir: string, configs: { file: string; noTransaction: boolean }[]): string {
  const names = configs.map((c) => c.file).join(', ');
  const noTx = configs.filter((c) => c.noTransaction).map((c) => c.file.replace(/\.conf$/i, ''));
  return (
    `note: ${dir}/: ${names}: Flyway's per-script configuration, which schemaguard does not read; ` +
    (noTx.length
      ? `executeInTransaction=false there is schemaguard's no-transaction directive: put -- schemaguard:no-transaction on the first line of ${noTx.join(', ')} (${DOCS_POINTERS.directives})`
      : `for executeInTransaction=false, put -- schemaguard:no-transaction on the first line of the script instead (${DOCS_POINTERS.directives})`)
  );
}

/**
 * What a run over the files says of them on stderr (even with --quiet: a
 * warning, not progress): a --dir without a migration file (a wrong path
 * read as "up to date"), and files named like migrations that are not read
 * (no `.sql`), and `.sql` files in subfolders (never read: no recursion).
 * The exit code stays the command's: an empty directory is a new project too.
 */
export function warnAboutFiles(ctx: Pick<CommandContext<OptionsIn<'files'>>, 'opts' | 'err'>, count: number): void {
  const dir = ctx.opts.dir.replace(/\/+$/, '');
  // Prisma's folders and drizzle's journal name their own files: the flat layout's look-alikes and subfolders are theirs.
  if (layoutOf(dir, ctx.opts.layout) !== 'flat') {
    if (count === 0) ctx.err(`warning: no migrations in ${dir}/`);
    return;
  }
  const skipped = skippedLookalikes(dir);
  if (count === 0)
    ctx.err(`warning: no migration files in ${dir}/ (a migration is <version>_<name>.sql, e.g. 0001_create_users.sql; schemaguard new NAME makes one)`);
  if (skipped.length)
    ctx.err(`note: ${dir}/: skipped ${skipped.join(', ')}: named like migrations, but only <version>_<name>.sql files are read (rename to .sql to apply)`);
  const nested = sqlSubfolders(dir);
  if (nested.length) ctx.err(subfolderWarning(dir, nested));
  const configs = scriptConfigs(dir);
  if (configs.length) ctx.err(scriptConfigNote(dir, configs));
  const ups = upFiles(dir);
  if (ups.length)
    ctx.err(
      `note: ${dir}/: ${ups.join(', ')} ${verb(ups.length, 'keep')} golang-migrate's .up in the name (${ups[0].replace(/\.up\.sql$/i, '.sql')} reads better): rename while no database has applied ${oneOrMany(ups.length, 'it', 'them')} (a database records the name)`,
    );
}

/** .sql files in subfolders of --dir: never read (no recursion), said once with the folders and the fix. */
function subfolderWarning(dir: string, nested: ReturnType<typeof sqlSubfolders>): string {
  const files = nested.reduce((n, f) => n + f.files, 0);
  const folder = nested.length === 1 ? `${dir}/${nested[0].folder}` : 'the folder that holds them';
  return (
    `warning: ${dir}/: ${files} .sql ${noun(files, 'file')} in subfolders ${oneOrMany(nested.length, 'is', 'are')} not read: ${describeSubfolders(nested)}; ` +
    `schemaguard reads only the files directly in ${dir}/ (subfolders are not searched): move them up into ${dir}/ as <version>_<name>.sql, or point --dir at ${folder}`
  );
}

/** What `migrate`'s flags tell the runner, the same for one database and for each tenant of a fleet. */
export function migrateFlags(
  ctx: ContextOf<'migrate'>,
): Pick<
  MigrateOptions,
  'appliedBy' | 'lockWaitMs' | 'lockTimeoutMs' | 'statementTimeoutMs' | 'lockRetries' | 'allowAhead' | 'source' | 'allowOutOfOrder' | 'ignoreForeignHistory'
> {
  const { opts } = ctx;
  return {
    appliedBy: appliedBy(ctx.env),
    lockWaitMs: opts.lockWaitMs,
    lockTimeoutMs: opts.lockTimeoutMs,
    statementTimeoutMs: opts.statementTimeoutMs,
    lockRetries: opts.lockRetries,
    allowAhead: opts.allowAhead,
    source: opts.dir,
    allowOutOfOrder: opts.outOfOrder,
    ignoreForeignHistory: opts.ignoreForeignHistory,
  };
}

/** Who applied, for the state table: SCHEMAGUARD_APPLIED_BY, else `cli:user@host`. */
export function appliedBy(env: NodeJS.ProcessEnv): string {
  if (env.SCHEMAGUARD_APPLIED_BY) return env.SCHEMAGUARD_APPLIED_BY;
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry */
  }
  return `cli:${user}@${hostname()}`;
}
